// /account: who is logged in, changing the password, logging out.

import { api, ApiError } from '../api';
import { byId, checkFields, h, replaceChildren, setBusy, setFieldError, setStatus } from '../dom';
import { formatDateTime } from '../format';
import { logOut, messageOf, startAuthenticatedPage } from '../layout';
import type { User } from '../types';
import { validatePassword, validatePasswordConfirmation } from '../validation';

export async function init(): Promise<void> {
  const session = await startAuthenticatedPage('account');
  if (session === null) return;
  renderProfile(session.user);
  byId('account-username', HTMLInputElement).value = session.user.username;

  const form = byId('password-form', HTMLFormElement);
  const current = byId('current-password', HTMLInputElement);
  const next = byId('new-password', HTMLInputElement);
  const confirmation = byId('confirm-password', HTMLInputElement);
  const submit = byId('password-submit', HTMLButtonElement);
  const status = byId('password-status', HTMLElement);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const ok = checkFields([
      [current, current.value === '' ? 'Enter your current password.' : null],
      [next, validatePassword(next.value)],
      [confirmation, validatePasswordConfirmation(next.value, confirmation.value)],
    ]);
    if (!ok) return;
    setBusy(submit, true, 'Changing…');
    api
      .changePassword(current.value, next.value)
      .then(() => {
        form.reset();
        setStatus(status, 'Your password has been changed. Your other sessions have been logged out.', 'success');
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
    void logOut();
  });
}

function renderProfile(user: User): void {
  const facts: Array<[string, string]> = [
    ['Username', user.username],
    ['Email', user.email ?? 'none (password reset links cannot be sent)'],
    ['Role', user.is_admin ? 'Administrator' : 'User'],
    ['Member since', formatDateTime(user.created_at)],
  ];
  replaceChildren(
    byId('profile', HTMLElement),
    ...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}
