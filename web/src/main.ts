// The bundle's entry: every page loads /static/app.js, and <body data-page="...">
// says which page module runs.

import * as account from './pages/account';
import * as forgot from './pages/forgot';
import * as history from './pages/history';
import * as image from './pages/image';
import * as login from './pages/login';
import * as reset from './pages/reset';
import * as upload from './pages/upload';
import * as users from './pages/users';

const PAGES: Readonly<Record<string, () => void | Promise<void>>> = {
  login: login.init,
  forgot: forgot.init,
  reset: reset.init,
  upload: upload.init,
  history: history.init,
  image: image.init,
  account: account.init,
  users: users.init,
};

// Forms are sent only by the page modules, through the API. A submit that comes
// before a module has attached its handler (a quick Enter, a password manager)
// must not fall back to the browser's own submission.
document.addEventListener('submit', (event) => event.preventDefault(), { capture: true });

function start(): void {
  const name = document.body.dataset['page'] ?? '';
  const init = PAGES[name];
  if (init === undefined) {
    console.error(`maskfleet: no page module for data-page="${name}"`);
    return;
  }
  Promise.resolve(init())
    .catch((error: unknown) => console.error('maskfleet: page failed to start', error))
    // For tests and tools: the page has attached its handlers and loaded its data.
    .finally(() => {
      document.documentElement.dataset['ready'] = 'true';
    });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
