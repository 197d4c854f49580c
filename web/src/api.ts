// The one way the pages talk to the worker: a small typed client of the JSON API
// in docs/api.md, section 2.
//
// - Every call is same-origin with the session cookie (`credentials: 'same-origin'`).
// - Calls that change state carry `X-CSRF-Token`, the token that GET or POST
//   /api/v1/session returned; the client fetches it first when it has none.
// - A failure is thrown as an ApiError whose `message` is the server's own (from
//   the JSON error's `message`), or a plain description when the answer is not
//   the API's JSON (a proxy's error page, a lost connection).
// - A 401 on a call that needs a session calls `onUnauthenticated` (by default:
//   go to /login?next=<this page>) and then throws as any other failure.
//
// fetch and XMLHttpRequest are injected so that tests run it in Node with fakes.

import type { Category, Image, ImageList, NewUser, Session, User, UserList } from './types';
import { imageApiPath, imagesListPath, loginPath, userApiPath } from './urls';

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

  constructor(status: number, reason: string, message: string, retryAfterSeconds: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The ApiError for a non-2xx answer, from its status and body text. The body is
 * expected to be `{"success": false, "error": {"code", "reason", "message"}}`;
 * anything else falls back to a message made from the status.
 */
export function errorFromResponse(status: number, bodyText: string, retryAfter: string | null = null): ApiError {
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
  return new ApiError(status, reason, message, parseRetryAfter(retryAfter));
}

/** The value of a 2xx answer: its JSON, or undefined for an empty body (204). */
export function parseSuccessBody<T>(status: number, bodyText: string): T {
  if (status === 204 || bodyText.trim() === '') return undefined as T;
  try {
    return JSON.parse(bodyText) as T;
  } catch {
    throw new ApiError(status, 'bad_response', 'The server sent an answer that could not be read.');
  }
}

export interface ApiClientOptions {
  fetch?: FetchLike;
  createXhr?: () => XhrLike;
  /** Called on a 401 from a call that needs a session, before the error is thrown. */
  onUnauthenticated?: () => void;
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

function defaultUnauthenticated(): void {
  if (typeof location === 'undefined') return;
  location.assign(loginPath(location.pathname + location.search));
}

export type ProgressCallback = (loaded: number, total: number) => void;

export class ApiClient {
  private readonly fetchImpl: FetchLike;
  private readonly createXhr: () => XhrLike;
  private readonly onUnauthenticated: () => void;
  /** The token of the current session; subclasses (the manager's client) share it. */
  protected csrfToken: string | null = null;

  constructor(options: ApiClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.createXhr = options.createXhr ?? (() => new XMLHttpRequest() as unknown as XhrLike);
    this.onUnauthenticated = options.onUnauthenticated ?? defaultUnauthenticated;
  }

  // ---- session and account ----

  /** The current session; 401 (thrown) when there is none. Never redirects. */
  async getSession(): Promise<Session> {
    const session = await this.request<Session>('/api/v1/session', { authenticated: false });
    this.csrfToken = session.csrf_token;
    return session;
  }

  /** The current session, or a redirect to the login page (then it throws). */
  async requireSession(): Promise<Session> {
    const session = await this.request<Session>('/api/v1/session');
    this.csrfToken = session.csrf_token;
    return session;
  }

  async login(username: string, password: string): Promise<Session> {
    const session = await this.request<Session>('/api/v1/session', {
      method: 'POST',
      body: { username, password },
      authenticated: false,
    });
    this.csrfToken = session.csrf_token;
    return session;
  }

  async logout(): Promise<void> {
    await this.request<void>('/api/v1/session', { method: 'DELETE', authenticated: false });
    this.csrfToken = null;
  }

  /**
   * 401 here means a wrong current password, not a lost session. The server may
   * answer with a fresh session (200, `{user, csrf_token}`, other sessions ended)
   * or with 204; a new token replaces the old one.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const session = await this.request<Partial<Session> | undefined>('/api/v1/password', {
      method: 'POST',
      body: { current_password: currentPassword, new_password: newPassword },
      authenticated: false,
    });
    if (typeof session?.csrf_token === 'string' && session.csrf_token !== '') this.csrfToken = session.csrf_token;
  }

  requestPasswordReset(username: string): Promise<void> {
    return this.request<void>('/api/v1/password-reset', {
      method: 'POST',
      body: { username },
      authenticated: false,
    });
  }

  confirmPasswordReset(token: string, newPassword: string): Promise<void> {
    return this.request<void>('/api/v1/password-reset/confirm', {
      method: 'POST',
      body: { token, new_password: newPassword },
      authenticated: false,
    });
  }

  // ---- images ----

  listImages(category: Category, page: number, pageSize?: number): Promise<ImageList> {
    return this.request<ImageList>(imagesListPath(category, page, pageSize));
  }

  getImage(id: number): Promise<Image> {
    return this.request<Image>(imageApiPath(id));
  }

  deleteImage(id: number): Promise<void> {
    return this.request<void>(imageApiPath(id), { method: 'DELETE' });
  }

  uploadUrl(url: string): Promise<Image> {
    return this.request<Image>('/api/v1/images', { method: 'POST', body: { url } });
  }

  /**
   * Sends a photo as multipart part `file`, reporting the bytes sent through
   * `onProgress` (fetch cannot report upload progress; XMLHttpRequest can).
   * Aborting `signal` cancels it: the promise rejects with reason 'aborted'.
   */
  async uploadFile(
    file: Blob,
    fileName: string,
    onProgress?: ProgressCallback,
    signal?: AbortSignal,
  ): Promise<Image> {
    const token = await this.ensureCsrfToken();
    const form = new FormData();
    form.append('file', file, fileName);
    const { status, text, retryAfter } = await new Promise<{ status: number; text: string; retryAfter: string | null }>(
      (resolve, reject) => {
        const xhr = this.createXhr();
        xhr.open('POST', '/api/v1/images');
        xhr.withCredentials = true;
        xhr.setRequestHeader(CSRF_HEADER, token);
        xhr.setRequestHeader('Accept', 'application/json');
        if (onProgress !== undefined) {
          xhr.upload.onprogress = (event) => {
            onProgress(event.loaded, event.lengthComputable ? event.total : 0);
          };
        }
        xhr.onload = () =>
          resolve({ status: xhr.status, text: xhr.responseText, retryAfter: xhr.getResponseHeader('Retry-After') });
        const failed = () => reject(new ApiError(0, 'network', defaultMessage(0)));
        xhr.onerror = failed;
        xhr.ontimeout = failed;
        xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
        if (signal !== undefined) {
          if (signal.aborted) {
            reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
            return;
          }
          signal.addEventListener('abort', () => xhr.abort(), { once: true });
        }
        xhr.send(form);
      },
    );
    return this.finish<Image>(status, text, retryAfter, true);
  }

  // ---- users (administrators) ----

  async listUsers(): Promise<User[]> {
    const list = await this.request<UserList>('/api/v1/users');
    return list.users;
  }

  createUser(user: NewUser): Promise<User> {
    return this.request<User>('/api/v1/users', { method: 'POST', body: user });
  }

  deleteUser(id: number): Promise<void> {
    return this.request<void>(userApiPath(id), { method: 'DELETE' });
  }

  // ---- plumbing ----

  private async ensureCsrfToken(): Promise<string> {
    if (this.csrfToken === null) await this.requireSession();
    return this.csrfToken ?? '';
  }

  /** One JSON call: the CSRF token, the error mapping and the 401 handling above. */
  protected async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
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
    return this.finish<T>(response.status, text, response.headers.get('Retry-After'), authenticated);
  }

  private finish<T>(status: number, text: string, retryAfter: string | null, authenticated: boolean): T {
    if (status >= 200 && status < 300) return parseSuccessBody<T>(status, text);
    const error = errorFromResponse(status, text, retryAfter);
    if (status === 401 && authenticated) {
      this.csrfToken = null;
      this.onUnauthenticated();
    }
    throw error;
  }
}

/** The client the pages share. */
export const api = new ApiClient();
