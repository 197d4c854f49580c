// /account (manager): who is logged in, changing the password, logging out.
// While the generated initial password is unchanged this is the only page the
// manager serves data to; it says so and leads on to the pool once it is changed.

import { ApiError } from '../../api';
import { byId, checkFields, h, replaceChildren, setBusy, setFieldError, setStatus } from '../../dom';
import { validatePassword, validatePasswordConfirmation } from '../../validation';
import { managerApi } from '../api';
import { attachDangerZone, managerLogOut, messageOf, startManagerPage } from '../layout';
import type { ManagerSession } from '../types';

export async function init(): Promise<void> {
  const session = await startManagerPage('account');
  if (session === null) return;
  renderProfile(session);
  byId('account-username', HTMLInputElement).value = session.user.username;

  const notice = byId('must-change', HTMLElement);
  notice.hidden = !session.must_change_password;
  const form = byId('password-form', HTMLFormElement);
  const current = byId('current-password', HTMLInputElement);
  const next = byId('new-password', HTMLInputElement);
  const confirmation = byId('confirm-password', HTMLInputElement);
  const submit = byId('password-submit', HTMLButtonElement);
  const status = byId('password-status', HTMLElement);
  const done = byId('password-done', HTMLElement);
  if (session.must_change_password) current.focus();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const ok = checkFields([
      [current, current.value === '' ? 'Enter your current password.' : null],
      [next, validatePassword(next.value)],
      [
        confirmation,
        validatePasswordConfirmation(next.value, confirmation.value) ??
          (next.value === current.value ? 'The new password must differ from the current one.' : null),
      ],
    ]);
    if (!ok) return;
    setBusy(submit, true, 'Changing…');
    managerApi
      .changeManagerPassword(current.value, next.value)
      .then(async (answer) => {
        form.reset();
        const wasInitial = !notice.hidden;
        notice.hidden = true;
        const fresh = answer ?? (await managerApi.peekSession().catch(() => null));
        if (fresh !== null && !fresh.must_change_password) attachDangerZone();
        setStatus(
          status,
          wasInitial
            ? 'Your password has been changed. The manager is yours to use.'
            : 'Your password has been changed. Your other sessions have been logged out.',
          'success',
        );
        done.hidden = false;
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) {
          setFieldError(current, 'The current password is not right.');
          current.focus();
        }
        setStatus(status, messageOf(error), 'error');
      })
      .finally(() => setBusy(submit, false));
  });

  const logout = byId('logout-button', HTMLButtonElement);
  logout.addEventListener('click', () => {
    setBusy(logout, true, 'Logging out…');
    void managerLogOut();
  });
}

function renderProfile(session: ManagerSession): void {
  const facts: Array<[string, string]> = [
    ['Username', session.user.username],
    ['Role', 'Administrator'],
  ];
  replaceChildren(
    byId('profile', HTMLElement),
    ...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}
