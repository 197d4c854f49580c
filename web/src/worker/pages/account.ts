// /account: who is logged in, the e-mail address (where reset links go), changing
// the password, logging out.

import { ApiError } from '../../common/api';
import { addressText, byId, checkFields, clearErrorsOnInput, setBusy, setFieldError, setStatus } from '../../common/dom';
import { formatDateTime } from '../../common/format';
import { attachAccountPage } from '../../common/pages/account';
import { validateOptionalEmail } from '../../common/validation';
import { api } from '../api';
import { messageOf, startAuthenticatedPage, workerLogOut } from '../layout';
import type { User } from '../types';

const NO_EMAIL = 'none (password reset links cannot be sent)';

export async function init(): Promise<void> {
  const session = await startAuthenticatedPage('account');
  if (session === null) return;
  const { user } = session;
  attachAccountPage({
    client: api,
    session,
    facts: [
      ['Username', user.username],
      ['Email', user.email === null ? NO_EMAIL : addressText(user.email)],
      ['Role', user.is_admin ? 'Administrator' : 'User'],
      ['Member since', formatDateTime(user.created_at)],
    ],
    logOut: workerLogOut,
    refuseSamePassword: false,
    changed: () => Promise.resolve('Your password has been changed. Your other sessions have been logged out.'),
  });
  attachEmailForm(user);
}

function attachEmailForm(user: User): void {
  const form = byId('email-form', HTMLFormElement);
  const email = byId('email', HTMLInputElement);
  const password = byId('email-password', HTMLInputElement);
  const submit = byId('email-submit', HTMLButtonElement);
  const status = byId('email-status', HTMLElement);
  email.value = user.email ?? '';

  clearErrorsOnInput(form, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const address = email.value.trim();
    const ok = checkFields([
      [email, validateOptionalEmail(address)],
      [password, password.value === '' ? 'Enter your current password.' : null],
    ]);
    if (!ok) return;
    setBusy(submit, true, 'Saving…');
    api
      .changeEmail(address, password.value)
      .then((stored) => {
        password.value = '';
        email.value = stored.email ?? '';
        // The profile's fact follows.
        const fact = [...document.querySelectorAll('#profile dt')].find((dt) => dt.textContent === 'Email')?.nextElementSibling;
        if (fact) fact.replaceChildren(stored.email === null ? NO_EMAIL : addressText(stored.email));
        setStatus(
          status,
          stored.email === null ? 'Your e-mail address has been removed.' : `Saved: reset links now go to ${stored.email}.`,
          'success',
        );
      })
      .catch((error: unknown) => {
        // One message per failure, at the field it concerns when there is one.
        if (error instanceof ApiError && error.status === 401) {
          setFieldError(password, 'The current password is not right.');
          password.focus();
        } else if (error instanceof ApiError && error.status === 400) {
          setFieldError(email, messageOf(error));
          email.focus();
        } else {
          setStatus(status, messageOf(error), 'error');
        }
      })
      .finally(() => setBusy(submit, false));
  });
}
