// The shared frame of every page after login: the navigation in the header, the
// user's name and the log-out button. The static part (product name, skip link,
// <main>) is in pages/_layout.html; this fills #site-nav and #site-user once the
// session is known.

import { api, ApiError } from './api';
import { byId, h, replaceChildren, setStatus } from './dom';
import { asSentence } from './format';
import type { Session } from './types';

export type NavSection = 'upload' | 'history' | 'account' | 'users';

interface NavLink {
  section: NavSection;
  href: string;
  label: string;
  adminOnly: boolean;
}

const NAV_LINKS: readonly NavLink[] = [
  { section: 'upload', href: '/upload', label: 'Upload', adminOnly: false },
  { section: 'history', href: '/history', label: 'History', adminOnly: false },
  { section: 'account', href: '/account', label: 'Account', adminOnly: false },
  { section: 'users', href: '/admin/users', label: 'Users', adminOnly: true },
];

/** The page-wide status region of the layout (role="status", aria-live). */
export function pageStatus(): HTMLElement {
  return byId('page-status', HTMLElement);
}

/** Shows an error that stops the page (a failed load) in the page-wide region. */
export function showPageError(error: unknown): void {
  // After a 401 the browser is already on its way to the login page.
  if (error instanceof ApiError && error.status === 401) return;
  setStatus(pageStatus(), messageOf(error), 'error');
}

/** The text to show for a failure: the server's message when there is one. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return asSentence(error.message);
  return 'Something went wrong. Please reload the page.';
}

const FLASH_KEY = 'maskfleet.flash';

/** A message for the next page this tab opens ("Deleted ...", after which the page changes). */
export function setFlash(message: string): void {
  try {
    sessionStorage.setItem(FLASH_KEY, message);
  } catch {
    // Storage switched off: the message is lost, nothing else.
  }
}

function takeFlash(): string | null {
  try {
    const message = sessionStorage.getItem(FLASH_KEY);
    sessionStorage.removeItem(FLASH_KEY);
    return message;
  } catch {
    return null;
  }
}

export async function logOut(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // The session may already be gone; the login page is right either way.
  }
  location.assign('/login');
}

function renderNav(session: Session, current: NavSection | null): void {
  const nav = byId('site-nav', HTMLElement);
  const links = NAV_LINKS.filter((link) => !link.adminOnly || session.user.is_admin).map((link) =>
    h(
      'li',
      {},
      h('a', { attrs: { href: link.href, 'aria-current': link.section === current ? 'page' : undefined } }, link.label),
    ),
  );
  const logoutButton = h('button', { className: 'button link-button', attrs: { type: 'button' } }, 'Log out');
  logoutButton.addEventListener('click', () => {
    logoutButton.disabled = true;
    void logOut();
  });
  replaceChildren(nav, h('ul', { className: 'nav-links' }, ...links));
  nav.hidden = false;
  const user = byId('site-user', HTMLElement);
  replaceChildren(
    user,
    h('span', { className: 'user-name', attrs: { title: `Logged in as ${session.user.username}` } }, session.user.username),
    logoutButton,
  );
  user.hidden = false;
}

/**
 * Start of every page that needs a login: the session (or a redirect to
 * /login?next=...), then the navigation. Null when the page cannot go on.
 */
export async function startAuthenticatedPage(current: NavSection | null): Promise<Session | null> {
  try {
    const session = await api.requireSession();
    renderNav(session, current);
    const flash = takeFlash();
    if (flash !== null) setStatus(pageStatus(), flash, 'success');
    return session;
  } catch (error) {
    showPageError(error);
    return null;
  }
}
