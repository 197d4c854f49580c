// The manager's API client (docs/manager.md, "JSON API"): the worker's ApiClient
// (same cookie, CSRF header, error shape and 401 handling) with the manager's
// routes added. Two differences from the worker's pages:
//
// - A 401 sends the browser to the manager's /login?next=... (the main page is /).
// - While the generated initial password is unchanged, the server answers every
//   other route with 403 `failed_precondition`; that sends the browser to
//   /account, where the page asks for the change.

import { ApiClient, ApiError, type ApiClientOptions, type RequestOptions } from '../api';
import type { DataDeleted, Decision, ManagerSession, Metrics, Pool, ScalingPolicy } from './types';
import { ACCOUNT_PATH, decisionsPath, managerLoginPath, metricsPath } from './urls';

export interface ManagerApiOptions extends ApiClientOptions {
  /** Called on a 403 `failed_precondition` (the initial password must be changed first). */
  onMustChangePassword?: () => void;
}

function defaultLogin(): void {
  if (typeof location === 'undefined') return;
  location.assign(managerLoginPath(location.pathname + location.search));
}

function defaultMustChangePassword(): void {
  if (typeof location === 'undefined' || location.pathname === ACCOUNT_PATH) return;
  location.assign(ACCOUNT_PATH);
}

/** True for the answer that means "change the initial password first". */
export function isMustChangePassword(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403 && error.reason === 'failed_precondition';
}

export class ManagerApiClient extends ApiClient {
  private readonly onMustChangePassword: () => void;

  constructor(options: ManagerApiOptions = {}) {
    super({ ...options, onUnauthenticated: options.onUnauthenticated ?? defaultLogin });
    this.onMustChangePassword = options.onMustChangePassword ?? defaultMustChangePassword;
  }

  protected override async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    try {
      return await super.request<T>(path, options);
    } catch (error) {
      if (isMustChangePassword(error)) this.onMustChangePassword();
      throw error;
    }
  }

  // ---- session ----

  /** The current session, or a redirect to the login page (then it throws). */
  async managerSession(): Promise<ManagerSession> {
    const session = await this.request<ManagerSession>('/api/v1/session');
    this.csrfToken = session.csrf_token;
    return session;
  }

  /** The current session without any redirect; 401 (thrown) when there is none. */
  async peekSession(): Promise<ManagerSession> {
    const session = await this.request<ManagerSession>('/api/v1/session', { authenticated: false });
    this.csrfToken = session.csrf_token;
    return session;
  }

  async managerLogin(username: string, password: string): Promise<ManagerSession> {
    const session = await this.request<ManagerSession>('/api/v1/session', {
      method: 'POST',
      body: { username, password },
      authenticated: false,
    });
    this.csrfToken = session.csrf_token;
    return session;
  }

  /**
   * Changes the password; the answer is a fresh session (new cookie and token,
   * `must_change_password` cleared). 401 here means a wrong current password.
   */
  async changeManagerPassword(currentPassword: string, newPassword: string): Promise<ManagerSession | undefined> {
    const session = await this.request<ManagerSession | undefined>('/api/v1/password', {
      method: 'POST',
      body: { current_password: currentPassword, new_password: newPassword },
      authenticated: false,
    });
    if (typeof session?.csrf_token === 'string' && session.csrf_token !== '') this.csrfToken = session.csrf_token;
    return session;
  }

  // ---- pool and metrics ----

  pool(): Promise<Pool> {
    return this.request<Pool>('/api/v1/pool');
  }

  metrics(minutes: number): Promise<Metrics> {
    return this.request<Metrics>(metricsPath(minutes));
  }

  grow(): Promise<{ desired_size: number }> {
    return this.request<{ desired_size: number }>('/api/v1/pool/grow', { method: 'POST' });
  }

  shrink(): Promise<{ desired_size: number }> {
    return this.request<{ desired_size: number }>('/api/v1/pool/shrink', { method: 'POST' });
  }

  // ---- policy ----

  policy(): Promise<ScalingPolicy> {
    return this.request<ScalingPolicy>('/api/v1/policy');
  }

  putPolicy(policy: ScalingPolicy): Promise<ScalingPolicy> {
    return this.request<ScalingPolicy>('/api/v1/policy', { method: 'PUT', body: policy });
  }

  async decisions(limit: number): Promise<Decision[]> {
    const answer = await this.request<{ decisions: Decision[] }>(decisionsPath(limit));
    return answer.decisions;
  }

  // ---- data and the manager ----

  deleteAllData(confirm: string): Promise<DataDeleted> {
    return this.request<DataDeleted>('/api/v1/data/delete', { method: 'POST', body: { confirm } });
  }

  stopManager(): Promise<void> {
    return this.request<void>('/api/v1/manager/stop', { method: 'POST' });
  }
}

/** The client the manager's pages share. */
export const managerApi = new ManagerApiClient();
