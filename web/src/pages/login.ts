// /login: username and password; then back to the page that sent here (?next=).

import { api, ApiError } from '../api';
import { byId, checkFields, setBusy, setStatus } from '../dom';
import { messageOf } from '../layout';
import { safeNextPath } from '../urls';
import { validateUsername } from '../validation';

export async function init(): Promise<void> {
  const form = byId('login-form', HTMLFormElement);
  const username = byId('username', HTMLInputElement);
  const password = byId('password', HTMLInputElement);
  const submit = byId('login-submit', HTMLButtonElement);
  const status = byId('login-status', HTMLElement);
  const next = safeNextPath(new URLSearchParams(location.search).get('next'));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // Only the shape of the name is checked here; a wrong password is for the server to say.
    const ok = checkFields([
      [username, validateUsername(username.value)],
      [password, password.value === '' ? 'Enter your password.' : null],
    ]);
    if (!ok) return;
    setBusy(submit, true, 'Logging in…');
    setStatus(status, 'Logging in…');
    api
      .login(username.value, password.value)
      .then(() => {
        setStatus(status, 'Logged in.', 'success');
        location.assign(next);
      })
      .catch((error: unknown) => {
        setBusy(submit, false);
        let message = messageOf(error);
        if (error instanceof ApiError && error.status === 429 && error.retryAfterSeconds !== null) {
          message += ` Try again in ${error.retryAfterSeconds} seconds.`;
        }
        setStatus(status, message, 'error');
        password.value = '';
        password.focus();
      });
  });
  username.focus();

  // Already logged in (a bookmark, the back button): go straight on.
  try {
    await api.getSession();
    location.replace(next);
  } catch {
    // No session: stay and ask.
  }
}
