// The frame of the worker's pages after login: the session (or a redirect), the
// navigation (Upload, History, Account, and Users for administrators) and the
// message a page leaves for the next one ("Deleted ..."). The shared parts are
// ../common/layout.ts.

import { setStatus } from '../common/dom';
import { logOut, pageStatus, renderHeader, showPageError, type NavLink } from '../common/layout';
import { api } from './api';
import type { Session } from './types';

export type NavSection = 'upload' | 'history' | 'account' | 'users';

const NAV_LINKS: ReadonlyArray<NavLink<NavSection> & { adminOnly: boolean }> = [
  { section: 'upload', href: '/upload', label: 'Upload', adminOnly: false },
  { section: 'history', href: '/history', label: 'History', adminOnly: false },
  { section: 'account', href: '/account', label: 'Account', adminOnly: false },
  { section: 'users', href: '/admin/users', label: 'Users', adminOnly: true },
];

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

/** Ends the session and goes to the login page. */
export function workerLogOut(): Promise<void> {
  return logOut(api);
}

/**
 * Start of every page that needs a login: the session (or a redirect to
 * /login?next=...), then the navigation. Null when the page cannot go on.
 */
export async function startAuthenticatedPage(current: NavSection | null): Promise<Session | null> {
  try {
    const session = await api.requireSession();
    const links = NAV_LINKS.filter((link) => !link.adminOnly || session.user.is_admin);
    renderHeader(links, current, session.user.username, () => void workerLogOut());
    const flash = takeFlash();
    if (flash !== null) setStatus(pageStatus(), flash, 'success');
    return session;
  } catch (error) {
    showPageError(error);
    return null;
  }
}

export { messageOf, pageStatus, showPageError } from '../common/layout';
