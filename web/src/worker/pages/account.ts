// /account: who is logged in, changing the password, logging out.

import { addressText } from '../../common/dom';
import { formatDateTime } from '../../common/format';
import { attachAccountPage } from '../../common/pages/account';
import { api } from '../api';
import { startAuthenticatedPage, workerLogOut } from '../layout';

export async function init(): Promise<void> {
  const session = await startAuthenticatedPage('account');
  if (session === null) return;
  const { user } = session;
  attachAccountPage({
    client: api,
    session,
    facts: [
      ['Username', user.username],
      ['Email', user.email === null ? 'none (password reset links cannot be sent)' : addressText(user.email)],
      ['Role', user.is_admin ? 'Administrator' : 'User'],
      ['Member since', formatDateTime(user.created_at)],
    ],
    logOut: workerLogOut,
    refuseSamePassword: false,
    changed: () => Promise.resolve('Your password has been changed. Your other sessions have been logged out.'),
  });
}
