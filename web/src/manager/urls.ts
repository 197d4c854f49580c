// Addresses of the manager's pages and API queries. Pure functions: no access to
// `location` here, the callers pass what they read from it.

import { loginPathFor, nextAfterLogin as nextAfterLoginTo } from '../common/urls';

/** The manager's main page: where a login goes when no ?next= says otherwise. */
export const HOME_PATH = '/';
export const ACCOUNT_PATH = '/account';

/** Minutes of history the API keeps apart (docs/manager.md: 1..360, default 30). */
export const METRICS_MINUTES_MAX = 360;
/** Decisions the API lists at most (1..500, default 50). */
export const DECISIONS_LIMIT_MAX = 500;

function clampInt(value: number, low: number, high: number): number {
  if (!Number.isFinite(value)) return low;
  return Math.min(Math.max(Math.trunc(value), low), high);
}

/** Where to go after logging in: a path of this site from ?next=, else the pool. */
export function nextAfterLogin(search: string): string {
  return nextAfterLoginTo(search, HOME_PATH);
}

/** `/login?next=...` for the page at `pathAndQuery`; plain `/login` for the main page. */
export function managerLoginPath(pathAndQuery: string): string {
  return loginPathFor(pathAndQuery, HOME_PATH);
}

export function metricsPath(minutes: number): string {
  return `/api/v1/metrics?minutes=${clampInt(minutes, 1, METRICS_MINUTES_MAX)}`;
}

export function decisionsPath(limit: number): string {
  return `/api/v1/decisions?limit=${clampInt(limit, 1, DECISIONS_LIMIT_MAX)}`;
}

/**
 * The load balancer's entry URL when it is a plain http(s) address, to be used as
 * a link; null for anything else (a `javascript:` address must never become one).
 */
export function safeEntryUrl(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
