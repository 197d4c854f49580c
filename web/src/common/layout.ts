// The frame both apps' pages share once the session is known: the navigation
// in the header, the user's name and the log-out button, and the page-wide
// status region. The static part (product name, skip link, <main>) is in each
// app's layout template (pages/_layout.html, pages/_manager_layout.html).

import { ApiError } from './api';
import { byId, h, replaceChildren, setStatus } from './dom';
import { asSentence } from './format';

export interface NavLink<Section extends string> {
  section: Section;
  href: string;
  label: string;
}

/** The page-wide status region of the layout (role="status", aria-live). */
export function pageStatus(): HTMLElement {
  return byId('page-status', HTMLElement);
}

/** The text to show for a failure: the server's message when there is one. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return asSentence(error.message);
  return 'Something went wrong. Please reload the page.';
}

/** Shows an error that stops the page (a failed load) in the page-wide region. */
export function showPageError(error: unknown): void {
  // After a 401 the browser is already on its way to the login page.
  if (error instanceof ApiError && error.status === 401) return;
  setStatus(pageStatus(), messageOf(error), 'error');
}

/** Ends the session (if it is still there) and goes to the login page. */
export async function logOut(client: { logout(): Promise<void> }): Promise<void> {
  try {
    await client.logout();
  } catch {
    // The session may already be gone; the login page is right either way.
  }
  location.assign('/login');
}

/** Fills #site-nav with `links` (the `current` one marked) and #site-user with the name and "Log out". */
export function renderHeader<Section extends string>(
  links: ReadonlyArray<NavLink<Section>>,
  current: Section | null,
  username: string,
  onLogOut: () => void,
): void {
  const nav = byId('site-nav', HTMLElement);
  const items = links.map((link) =>
    h('li', {}, h('a', { attrs: { href: link.href, 'aria-current': link.section === current ? 'page' : undefined } }, link.label)),
  );
  replaceChildren(nav, h('ul', { className: 'nav-links' }, ...items));
  nav.hidden = false;
  const logoutButton = h('button', { className: 'button link-button', attrs: { type: 'button' } }, 'Log out');
  logoutButton.addEventListener('click', () => {
    logoutButton.disabled = true;
    onLogOut();
  });
  const user = byId('site-user', HTMLElement);
  replaceChildren(
    user,
    h('span', { className: 'user-name', attrs: { title: `Logged in as ${username}` } }, username),
    logoutButton,
  );
  user.hidden = false;
}
