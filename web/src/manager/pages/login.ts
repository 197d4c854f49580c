// /login (manager): an administrator's name and password; then back to the page
// that sent here (?next=, else the pool), or to /account while the generated
// initial password must still be changed.

import { ApiError } from '../../api';
import { byId, checkFields, setBusy, setStatus } from '../../dom';
import { messageOf } from '../../layout';
import { validateUsername } from '../../validation';
import { managerApi } from '../api';
import type { ManagerSession } from '../types';
import { ACCOUNT_PATH, nextAfterLogin } from '../urls';

function destination(session: ManagerSession, next: string): string {
  return session.must_change_password ? ACCOUNT_PATH : next;
}

export async function init(): Promise<void> {
  const form = byId('login-form', HTMLFormElement);
  const username = byId('username', HTMLInputElement);
  const password = byId('password', HTMLInputElement);
  const submit = byId('login-submit', HTMLButtonElement);
  const status = byId('login-status', HTMLElement);
  const next = nextAfterLogin(location.search);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const ok = checkFields([
      [username, validateUsername(username.value)],
      [password, password.value === '' ? 'Enter your password.' : null],
    ]);
    if (!ok) return;
    setBusy(submit, true, 'Logging in…');
    setStatus(status, 'Logging in…');
    managerApi
      .managerLogin(username.value, password.value)
      .then((session) => {
        setStatus(status, 'Logged in.', 'success');
        location.assign(destination(session, next));
      })
      .catch((error: unknown) => {
        setBusy(submit, false);
        let message = messageOf(error);
        if (error instanceof ApiError && error.status === 403) {
          message = 'Only administrators can use the manager.';
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
    const session = await managerApi.peekSession();
    location.replace(destination(session, next));
  } catch {
    // No session: stay and ask.
  }
}
