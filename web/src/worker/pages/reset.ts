// /reset?token=T: chooses a new password with the token from a reset link.

import { byId, checkFields, clearErrorsOnInput, setBusy, setStatus } from '../../common/dom';
import { validatePassword, validatePasswordConfirmation } from '../../common/validation';
import { api } from '../api';
import { messageOf } from '../layout';
import { resetTokenFromSearch } from '../urls';

export async function init(): Promise<void> {
  const form = byId('reset-form', HTMLFormElement);
  const password = byId('new-password', HTMLInputElement);
  const confirmation = byId('confirm-password', HTMLInputElement);
  const submit = byId('reset-submit', HTMLButtonElement);
  const status = byId('reset-status', HTMLElement);
  const done = byId('reset-done', HTMLElement);
  const token = resetTokenFromSearch(location.search);

  if (token === null) {
    form.hidden = true;
    setStatus(status, 'This link has no reset token. Ask for a new link below.', 'error');
    return;
  }

  // A link that was used or has expired is refused now, before a password is typed.
  try {
    await api.checkPasswordReset(token);
  } catch (error) {
    form.hidden = true;
    setStatus(status, messageOf(error), 'error');
    return;
  }

  clearErrorsOnInput(form, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const ok = checkFields([
      [password, validatePassword(password.value)],
      [confirmation, validatePasswordConfirmation(password.value, confirmation.value)],
    ]);
    if (!ok) return;
    setBusy(submit, true, 'Saving…');
    api
      .confirmPasswordReset(token, password.value)
      .then(() => {
        form.hidden = true;
        done.hidden = false;
        setStatus(status, 'Your password has been changed. You can log in with it now.', 'success');
      })
      .catch((error: unknown) => {
        setBusy(submit, false);
        setStatus(status, messageOf(error), 'error');
      });
  });
  password.focus();
}
