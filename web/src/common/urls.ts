// Addresses both apps read and build around the login. Pure functions: no access
// to `location` here, the callers pass what they read from it. Each app has its
// own main page (`home`): the worker's /upload, the manager's /.

/**
 * A path of this site that is safe to go to after logging in: it must start with
 * a single '/', so that "//evil.example" or "https://evil.example" (an open
 * redirect) and "javascript:" are refused. Anything else gives `fallback`.
 */
export function safeNextPath(raw: string | null, fallback: string): string {
  if (raw === null || raw === '') return fallback;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return fallback;
  // Control characters and backslashes are never in a path we made.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return fallback;
  // Never come back to the login page itself.
  if (raw === '/login' || raw.startsWith('/login?') || raw.startsWith('/login#')) return fallback;
  return raw;
}

/** Where to go after logging in: a path of this site from `?next=`, else `home`. */
export function nextAfterLogin(search: string, home: string): string {
  return safeNextPath(new URLSearchParams(search).get('next'), home);
}

/** `/login?next=...` for the page at `pathAndQuery`; plain `/login` for `home`. */
export function loginPathFor(pathAndQuery: string, home: string): string {
  const next = safeNextPath(pathAndQuery, '');
  if (next === '' || next === home) return '/login';
  return `/login?${new URLSearchParams({ next }).toString()}`;
}
