// /account (manager): who is logged in, changing the password, logging out.
// While the generated initial password is unchanged this is the only page the
// manager serves data to; it says so and leads on to the pool once it is changed.

import { byId } from '../../common/dom';
import { attachAccountPage } from '../../common/pages/account';
import { managerApi } from '../api';
import { attachDangerZone, managerLogOut, startManagerPage } from '../layout';

export async function init(): Promise<void> {
  const session = await startManagerPage('account');
  if (session === null) return;
  const notice = byId('must-change', HTMLElement);
  notice.hidden = !session.must_change_password;
  const done = byId('password-done', HTMLElement);

  attachAccountPage({
    client: managerApi,
    session,
    facts: [
      ['Username', session.user.username],
      ['Role', 'Administrator'],
    ],
    logOut: managerLogOut,
    refuseSamePassword: true,
    changed: async (answer) => {
      const wasInitial = !notice.hidden;
      notice.hidden = true;
      const fresh = answer ?? (await managerApi.getSession().catch(() => null));
      if (fresh !== null && !fresh.must_change_password) attachDangerZone();
      done.hidden = false;
      return wasInitial
        ? 'Your password has been changed. The manager is yours to use.'
        : 'Your password has been changed. Your other sessions have been logged out.';
    },
  });
  if (session.must_change_password) byId('current-password', HTMLInputElement).focus();
}
