// The manager's bundle (static/manager.js): every manager page loads it, and
// <body data-page="..."> says which page module runs. Kept apart from the
// worker's bundle (main.ts), which does not need uPlot.

import * as account from './pages/account';
import * as login from './pages/login';
import * as policy from './pages/policy';
import * as pool from './pages/pool';

const PAGES: Readonly<Record<string, () => void | Promise<void>>> = {
  'manager-login': login.init,
  'manager-pool': pool.init,
  'manager-policy': policy.init,
  'manager-account': account.init,
};

// Forms are sent only by the page modules, through the API. A submit that comes
// before a module has attached its handler must not fall back to the browser's own.
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
