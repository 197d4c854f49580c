// The account page of both apps (/account): who is logged in, the password
// change form, and logging out. Each app's page module starts its page (session,
// header) and calls attachAccountPage with its client and what differs.

import { ApiError, type ApiClient } from '../api';
import { byId, checkFields, clearErrorsOnInput, h, replaceChildren, setBusy, setFieldError, setStatus } from '../dom';
import { messageOf } from '../layout';
import type { Session } from '../types';
import { validatePassword, validatePasswordConfirmation } from '../validation';

export interface AccountPageOptions<S extends Session> {
  client: ApiClient<S>;
  session: S;
  /** The profile's facts, term and value ("Username", "ann"). */
  facts: ReadonlyArray<readonly [string, string | Node]>;
  logOut: () => Promise<void>;
  /** Whether the form itself refuses a new password equal to the current one. */
  refuseSamePassword: boolean;
  /** Runs after a change, with the server's answer (a fresh session, or none); says what to show. */
  changed: (answer: S | undefined) => Promise<string>;
}

export function attachAccountPage<S extends Session>(options: AccountPageOptions<S>): void {
  replaceChildren(
    byId('profile', HTMLElement),
    ...options.facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
  byId('account-username', HTMLInputElement).value = options.session.user.username;

  const form = byId('password-form', HTMLFormElement);
  const current = byId('current-password', HTMLInputElement);
  const next = byId('new-password', HTMLInputElement);
  const confirmation = byId('confirm-password', HTMLInputElement);
  const submit = byId('password-submit', HTMLButtonElement);
  const status = byId('password-status', HTMLElement);

  clearErrorsOnInput(form, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const same = options.refuseSamePassword && next.value === current.value;
    const ok = checkFields([
      [current, current.value === '' ? 'Enter your current password.' : null],
      [next, validatePassword(next.value)],
      [
        confirmation,
        validatePasswordConfirmation(next.value, confirmation.value) ??
          (same ? 'The new password must differ from the current one.' : null),
      ],
    ]);
    if (!ok) return;
    setBusy(submit, true, 'Changing…');
    options.client
      .changePassword(current.value, next.value)
      .then(async (answer) => {
        form.reset();
        setStatus(status, await options.changed(answer), 'success');
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
    void options.logOut();
  });
}
