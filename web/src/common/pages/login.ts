// The login page of both apps (/login): username and password; then back to the
// page that sent here (?next=, else the app's main page). Each app's page module
// calls initLoginPage with its client and what differs.

import { ApiError, type ApiClient } from '../api';
import { byId, checkFields, clearErrorsOnInput, setBusy, setStatus } from '../dom';
import { messageOf } from '../layout';
import type { Session } from '../types';
import { nextAfterLogin } from '../urls';
import { validateUsername } from '../validation';

export interface LoginPageOptions<S extends Session> {
  client: ApiClient<S>;
  /** The app's main page, where a login goes when no ?next= says otherwise. */
  home: string;
  /** Where this session goes instead of `next` (the manager: /account while the initial password stands). */
  destination?: (session: S, next: string) => string;
  /** What to say on a 403 instead of the server's message. */
  forbiddenMessage?: string;
}

export async function initLoginPage<S extends Session>(options: LoginPageOptions<S>): Promise<void> {
  const form = byId('login-form', HTMLFormElement);
  const username = byId('username', HTMLInputElement);
  const password = byId('password', HTMLInputElement);
  const submit = byId('login-submit', HTMLButtonElement);
  const status = byId('login-status', HTMLElement);
  const next = nextAfterLogin(location.search, options.home);
  const destination = (session: S) => options.destination?.(session, next) ?? next;

  clearErrorsOnInput(form, status);
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
    options.client
      .login(username.value, password.value)
      .then((session) => {
        setStatus(status, 'Logged in.', 'success');
        location.assign(destination(session));
      })
      .catch((error: unknown) => {
        setBusy(submit, false);
        let message = messageOf(error);
        if (error instanceof ApiError && error.status === 403 && options.forbiddenMessage !== undefined) {
          message = options.forbiddenMessage;
        } else if (error instanceof ApiError && error.status === 429 && error.retryAfterSeconds !== null) {
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
    location.replace(destination(await options.client.getSession()));
  } catch {
    // No session: stay and ask.
  }
}
