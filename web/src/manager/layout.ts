// The frame of the manager's pages after login: the session (or a redirect), the
// navigation (Pool, Policy, Account), and the footer's danger zone ("Delete all
// data", "Stop manager"). The static part is pages/_manager_layout.html; the
// parts both apps share are ../common/layout.ts.

import { ApiError } from '../common/api';
import { confirmDialog, typedConfirmDialog } from '../common/dialogs';
import { byId, h, replaceChildren, setBusy, setStatus } from '../common/dom';
import { logOut, messageOf, pageStatus, renderHeader, showPageError, type NavLink } from '../common/layout';
import { managerApi } from './api';
import { stopAllPollers } from './poller';
import type { ManagerSession } from './types';
import { ACCOUNT_PATH } from './urls';

export type ManagerSection = 'pool' | 'policy' | 'account';

const NAV_LINKS: ReadonlyArray<NavLink<ManagerSection>> = [
  { section: 'pool', href: '/', label: 'Pool' },
  { section: 'policy', href: '/policy', label: 'Policy' },
  { section: 'account', href: ACCOUNT_PATH, label: 'Account' },
];

/** The confirmation phrase of "Delete all data", as the API wants it. */
export const DELETE_PHRASE = 'delete all data';

/** Ends the session and goes to the login page. */
export function managerLogOut(): Promise<void> {
  return logOut(managerApi);
}

/**
 * Start of every manager page but the login: the session (or a redirect to
 * /login?next=...), then the navigation and the danger zone. While the initial
 * password is unchanged every page but the account page sends the browser there.
 * Null when the page cannot go on.
 */
export async function startManagerPage(current: ManagerSection): Promise<ManagerSession | null> {
  let session: ManagerSession;
  try {
    session = await managerApi.requireSession();
  } catch (error) {
    showPageError(error);
    return null;
  }
  if (session.must_change_password && current !== 'account') {
    location.assign(ACCOUNT_PATH);
    return null;
  }
  renderHeader(NAV_LINKS, current, session.user.username, () => void managerLogOut());
  if (!session.must_change_password) attachDangerZone();
  return session;
}

/** Shows the footer's two buttons (once the password is the administrator's own). */
export function attachDangerZone(): void {
  const footer = byId('danger-zone', HTMLElement);
  if (!footer.hidden) return;
  const status = byId('danger-status', HTMLElement);
  const deleteButton = byId('delete-data-button', HTMLButtonElement);
  const stopButton = byId('stop-manager-button', HTMLButtonElement);

  deleteButton.addEventListener('click', () => {
    void (async () => {
      const confirmed = await typedConfirmDialog(
        'Delete all data?',
        'Every photo, its detection records and every stored object are deleted. Accounts and the policy stay.',
        DELETE_PHRASE,
        'Delete all data',
      );
      if (!confirmed) return;
      setBusy(deleteButton, true, 'Deleting…');
      setStatus(status, 'Deleting all data…');
      try {
        const result = await managerApi.deleteAllData(DELETE_PHRASE);
        setStatus(
          status,
          `All data deleted: ${result.images_deleted} image records and ${result.objects_deleted} stored objects.`,
          'success',
        );
      } catch (error) {
        setStatus(status, messageOf(error), 'error');
      } finally {
        setBusy(deleteButton, false);
      }
    })();
  });

  stopButton.addEventListener('click', () => {
    void (async () => {
      const confirmed = await confirmDialog(
        'Stop the manager?',
        'Every worker is drained and stopped, the load balancer stops and the manager exits. ' +
          'These pages stay unreachable until the manager is started again.',
        'Stop manager',
      );
      if (!confirmed) return;
      setBusy(stopButton, true, 'Stopping…');
      try {
        await managerApi.stopManager();
      } catch (error) {
        setBusy(stopButton, false);
        // The answer may be lost because the manager went away first.
        if (!(error instanceof ApiError && error.status === 0)) {
          setStatus(status, messageOf(error), 'error');
          return;
        }
      }
      showStopping();
    })();
  });
  footer.hidden = false;
}

/** Replaces the page by the shutdown's progress, until the manager no longer answers. */
function showStopping(): void {
  stopAllPollers();
  for (const id of ['site-nav', 'site-user', 'danger-zone']) byId(id, HTMLElement).hidden = true;
  setStatus(pageStatus(), '');
  const message = h('p', { attrs: { id: 'stop-status', role: 'status', 'aria-live': 'polite' }, className: 'status' });
  const heading = h('h1', { attrs: { id: 'stop-heading', tabindex: '-1' } }, 'Stopping the manager');
  replaceChildren(
    byId('main', HTMLElement),
    h('section', { className: 'card narrow stop-card', attrs: { 'aria-labelledby': 'stop-heading' } }, heading, message),
  );
  heading.focus();
  setStatus(message, 'The manager is draining and stopping its workers and the load balancer…');
  const started = Date.now();
  const check = async (): Promise<void> => {
    let answered: boolean;
    try {
      const response = await fetch('/healthz', { cache: 'no-store', credentials: 'omit' });
      answered = response.ok;
    } catch {
      answered = false;
    }
    if (!answered) {
      heading.textContent = 'Stopped';
      setStatus(message, 'The manager has stopped. Start it again to use these pages.', 'success');
      return;
    }
    if (Date.now() - started > 120_000) {
      setStatus(message, 'The manager is still shutting down; it may be waiting for requests in flight.');
    }
    setTimeout(() => void check(), 1_000);
  };
  setTimeout(() => void check(), 500);
}

export { pageStatus, messageOf, showPageError };
