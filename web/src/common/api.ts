// The client both apps' pages talk to their server with: the plumbing of the JSON
// APIs (docs/api.md, section 2; docs/manager.md, "JSON API") and the session
// routes the two share. worker/api.ts and manager/api.ts add their own routes.
//
// - Every call is same-origin with the session cookie (`credentials: 'same-origin'`).
// - Calls that change state carry `X-CSRF-Token`, the token that GET or POST
//   /api/v1/session returned; the client fetches it first when it has none.
// - A failure is thrown as an ApiError whose `message` is the server's own (from
//   the JSON error's `message`), or a plain description when the answer is not
//   the API's JSON (a proxy's error page, a lost connection).
// - A 401 on a call that needs a session calls `onUnauthenticated` (each app
//   sends the browser to its /login?next=<this page>) and then throws.
// - Every 2xx answer is checked against its shape (check.ts) before a page sees
//   it; an answer of another shape is an ApiError with reason 'bad_response'.
//
// fetch and XMLHttpRequest are injected so that tests run it in Node with fakes.

import { ShapeError, ignored, isRecord, type Check } from './check';
import type { Session } from './types';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** The part of XMLHttpRequest the upload uses; a fake in tests. */
export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: FormData): void;
  abort(): void;
  getResponseHeader(name: string): string | null;
  readonly status: number;
  readonly statusText: string;
  readonly responseText: string;
  withCredentials: boolean;
  upload: { onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  ontimeout: (() => void) | null;
}

export const CSRF_HEADER = 'X-CSRF-Token';

/** A failed API call. `status` is 0 when no answer arrived. */
export class ApiError extends Error {
  readonly status: number;
  /** The API's `reason` (docs/api.md), or 'network' / 'bad_response' made here. */
  readonly reason: string;
  /** Seconds from a Retry-After header (429, 503), when given. */
  readonly retryAfterSeconds: number | null;
  /** The answer's X-Request-Id, by which the server's log tells the technical detail. */
  readonly requestId: string | null;

  constructor(
    status: number,
    reason: string,
    message: string,
    retryAfterSeconds: number | null = null,
    requestId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
    this.requestId = requestId;
  }
}

const REASON_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  413: 'too_large',
  415: 'unsupported',
  429: 'unavailable',
  500: 'internal',
  503: 'unavailable',
  504: 'deadline_exceeded',
};

/** What to say when the answer carries no message of its own. */
export function defaultMessage(status: number): string {
  switch (status) {
    case 0:
      return 'Could not reach the server. Check your connection and try again.';
    case 401:
      return 'Your session has ended. Please log in again.';
    case 403:
      return 'You are not allowed to do that.';
    case 404:
      return 'Not found.';
    case 413:
      return 'The file is too large.';
    case 415:
      return 'This is not a supported image.';
    case 429:
      return 'Too many attempts. Please wait a moment and try again.';
    case 502:
    case 503:
    case 504:
      return 'The service is busy or restarting. Please try again in a moment.';
    default:
      return status >= 500 ? 'The server could not complete the request.' : `The request failed (HTTP ${status}).`;
  }
}

export function parseRetryAfter(value: string | null): number | null {
  if (value === null || !/^\s*\d{1,9}\s*$/.test(value)) return null;
  return Number(value.trim());
}

/**
 * The ApiError for a non-2xx answer, from its status and body text. The body is
 * expected to be `{"success": false, "error": {"code", "reason", "message"}}`;
 * anything else falls back to a message made from the status.
 */
export function errorFromResponse(
  status: number,
  bodyText: string,
  retryAfter: string | null = null,
  requestId: string | null = null,
): ApiError {
  let reason = REASON_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'invalid_argument');
  let message = defaultMessage(status);
  try {
    const body: unknown = JSON.parse(bodyText);
    const error = isRecord(body) ? body['error'] : undefined;
    if (isRecord(error)) {
      const givenMessage = error['message'];
      const givenReason = error['reason'];
      if (typeof givenMessage === 'string' && givenMessage.trim() !== '') message = givenMessage;
      if (typeof givenReason === 'string' && givenReason !== '') reason = givenReason;
    }
  } catch {
    // Not JSON: a proxy's page or an empty body. The status says enough.
  }
  const id = requestId !== null && /^[\w.:-]{1,100}$/.test(requestId) ? requestId : null;
  return new ApiError(status, reason, message, parseRetryAfter(retryAfter), id);
}

/**
 * The value of a 2xx answer, checked by `check`: its JSON, or undefined for an
 * empty body (204), which `check` then sees.
 */
export function parseSuccessBody<T>(status: number, bodyText: string, check: Check<T>): T {
  let body: unknown;
  if (status === 204 || bodyText.trim() === '') {
    body = undefined;
  } else {
    try {
      body = JSON.parse(bodyText);
    } catch {
      throw new ApiError(status, 'bad_response', 'The server sent an answer that could not be read.');
    }
  }
  try {
    return check(body, '');
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new ApiError(status, 'bad_response', `The server sent an answer this page does not understand (${error.message}).`);
  }
}

export interface ApiClientOptions {
  fetch?: FetchLike;
  createXhr?: () => XhrLike;
  /** Called on a 401 from a call that needs a session, before the error is thrown. */
  onUnauthenticated?: () => void;
}

/** What each app's client gives the base: its session's shape and its login page. */
export interface SessionKind<S extends Session> {
  check: Check<S>;
  /** `/login?next=...` for the page at this path and query. */
  loginPath: (pathAndQuery: string) => string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A JSON body (serialised here) or a FormData (sent as multipart). */
  body?: unknown;
  /** Whether a 401 means "the session is gone" (false for login and the like). */
  authenticated?: boolean;
}

function needsCsrf(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

function goToLogin(loginPath: (pathAndQuery: string) => string): void {
  if (typeof location === 'undefined') return;
  location.assign(loginPath(location.pathname + location.search));
}


export class ApiClient<S extends Session> {
  private readonly fetchImpl: FetchLike;
  protected readonly createXhr: () => XhrLike;
  private readonly onUnauthenticated: () => void;
  private readonly sessionCheck: Check<S>;
  private csrfToken: string | null = null;

  constructor(kind: SessionKind<S>, options: ApiClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.createXhr = options.createXhr ?? (() => new XMLHttpRequest() as unknown as XhrLike);
    this.onUnauthenticated = options.onUnauthenticated ?? (() => goToLogin(kind.loginPath));
    this.sessionCheck = kind.check;
  }

  // ---- session and account ----

  /** The current session; 401 (thrown) when there is none. Never redirects. */
  async getSession(): Promise<S> {
    return this.keepToken(await this.request('/api/v1/session', this.sessionCheck, { authenticated: false }));
  }

  /** The current session, or a redirect to the login page (then it throws). */
  async requireSession(): Promise<S> {
    return this.keepToken(await this.request('/api/v1/session', this.sessionCheck));
  }

  async login(username: string, password: string): Promise<S> {
    const session = await this.request('/api/v1/session', this.sessionCheck, {
      method: 'POST',
      body: { username, password },
      authenticated: false,
    });
    return this.keepToken(session);
  }

  async logout(): Promise<void> {
    await this.request('/api/v1/session', ignored, { method: 'DELETE', authenticated: false });
    this.csrfToken = null;
  }

  /**
   * 401 here means a wrong current password, not a lost session. The server
   * answers with a fresh session (200: new cookie and token, other sessions
   * ended), or with 204 (then undefined); a new token replaces the old one.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<S | undefined> {
    const check: Check<S | undefined> = (value, path) => (value === undefined ? undefined : this.sessionCheck(value, path));
    const session = await this.request('/api/v1/password', check, {
      method: 'POST',
      body: { current_password: currentPassword, new_password: newPassword },
      authenticated: false,
    });
    return session === undefined ? undefined : this.keepToken(session);
  }

  // ---- plumbing ----

  private keepToken(session: S): S {
    if (session.csrf_token !== '') this.csrfToken = session.csrf_token;
    return session;
  }

  protected async ensureCsrfToken(): Promise<string> {
    if (this.csrfToken === null) await this.requireSession();
    return this.csrfToken ?? '';
  }

  /** One JSON call: the CSRF token, the error mapping, the 401 handling and the answer's check. */
  protected async request<T>(path: string, check: Check<T>, options: RequestOptions = {}): Promise<T> {
    const method = options.method ?? 'GET';
    const authenticated = options.authenticated ?? true;
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, credentials: 'same-origin', headers };
    if (options.body !== undefined) {
      if (typeof FormData !== 'undefined' && options.body instanceof FormData) {
        init.body = options.body;
      } else {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(options.body);
      }
    }
    // Login and the two reset calls need no token (there is no session yet); the
    // server ignores one sent anyway, so any token at hand goes along.
    const isLoginOrReset = path === '/api/v1/session' && method === 'POST';
    if (needsCsrf(method) && !isLoginOrReset && !path.startsWith('/api/v1/password-reset')) {
      headers[CSRF_HEADER] = await this.ensureCsrfToken();
    }

    let response: Response;
    try {
      response = await this.fetchImpl(path, init);
    } catch {
      throw new ApiError(0, 'network', defaultMessage(0));
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new ApiError(0, 'network', defaultMessage(0));
    }
    return this.finish(response.status, text, (name) => response.headers.get(name), authenticated, check);
  }

  /** The answer of a call made another way (the upload's XMLHttpRequest), as `request` would give it. */
  protected finish<T>(
    status: number,
    text: string,
    header: (name: string) => string | null,
    authenticated: boolean,
    check: Check<T>,
  ): T {
    if (status >= 200 && status < 300) return parseSuccessBody(status, text, check);
    const error = errorFromResponse(status, text, header('Retry-After'), header('X-Request-Id'));
    if (status === 401 && authenticated) {
      this.csrfToken = null;
      this.onUnauthenticated();
    }
    throw error;
  }
}
