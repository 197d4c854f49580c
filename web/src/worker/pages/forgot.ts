// /forgot: asks for a password-reset link. The answer is the same whether or not
// the account exists (the server never tells), and so is the message here.

import { byId, checkFields, clearErrorsOnInput, setBusy, setStatus } from '../../common/dom';
import { validateUsername } from '../../common/validation';
import { api } from '../api';
import { messageOf } from '../layout';

export function init(): void {
  const form = byId('forgot-form', HTMLFormElement);
  const username = byId('username', HTMLInputElement);
  const submit = byId('forgot-submit', HTMLButtonElement);
  const status = byId('forgot-status', HTMLElement);

  clearErrorsOnInput(form, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!checkFields([[username, validateUsername(username.value)]])) return;
    setBusy(submit, true, 'Sending…');
    api
      .requestPasswordReset(username.value)
      .then(() => {
        setStatus(
          status,
          'If this account exists and has an email address, a reset link is on its way. ' +
            'It can be used once, within 30 minutes.',
          'success',
        );
        form.reset();
      })
      .catch((error: unknown) => setStatus(status, messageOf(error), 'error'))
      .finally(() => setBusy(submit, false));
  });
  username.focus();
}
