// The manager's API client (docs/manager.md, "JSON API"): the common client
// (same cookie, CSRF header, error shape, checked answers and session routes)
// with the manager's routes added. Two differences from the worker's pages:
//
// - A 401 sends the browser to the manager's /login?next=... (the main page is /).
// - While the generated initial password is unchanged, the server answers every
//   other route with 403 `failed_precondition`; that sends the browser to
//   /account, where the page asks for the change.

import { ApiClient, ApiError, type ApiClientOptions, type RequestOptions } from '../common/api';
import { ignored, type Check } from '../common/check';
import {
  dataDeletedShape,
  decisionListShape,
  desiredSizeShape,
  managerSessionShape,
  metricsShape,
  poolShape,
  scalingPolicyShape,
  type DataDeleted,
  type Decision,
  type ManagerSession,
  type Metrics,
  type Pool,
  type ScalingPolicy,
} from './types';
import { ACCOUNT_PATH, decisionsPath, managerLoginPath, metricsPath } from './urls';

export interface ManagerApiOptions extends ApiClientOptions {
  /** Called on a 403 `failed_precondition` (the initial password must be changed first). */
  onMustChangePassword?: () => void;
}

function defaultMustChangePassword(): void {
  if (typeof location === 'undefined' || location.pathname === ACCOUNT_PATH) return;
  location.assign(ACCOUNT_PATH);
}

/** True for the answer that means "change the initial password first". */
export function isMustChangePassword(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403 && error.reason === 'failed_precondition';
}

export class ManagerApiClient extends ApiClient<ManagerSession> {
  private readonly onMustChangePassword: () => void;

  constructor(options: ManagerApiOptions = {}) {
    super({ check: managerSessionShape, loginPath: managerLoginPath }, options);
    this.onMustChangePassword = options.onMustChangePassword ?? defaultMustChangePassword;
  }

  protected override async request<T>(path: string, check: Check<T>, options: RequestOptions = {}): Promise<T> {
    try {
      return await super.request(path, check, options);
    } catch (error) {
      if (isMustChangePassword(error)) this.onMustChangePassword();
      throw error;
    }
  }

  // ---- pool and metrics ----

  pool(): Promise<Pool> {
    return this.request('/api/v1/pool', poolShape);
  }

  metrics(minutes: number): Promise<Metrics> {
    return this.request(metricsPath(minutes), metricsShape);
  }

  grow(): Promise<{ desired_size: number }> {
    return this.request('/api/v1/pool/grow', desiredSizeShape, { method: 'POST' });
  }

  shrink(): Promise<{ desired_size: number }> {
    return this.request('/api/v1/pool/shrink', desiredSizeShape, { method: 'POST' });
  }

  // ---- policy ----

  policy(): Promise<ScalingPolicy> {
    return this.request('/api/v1/policy', scalingPolicyShape);
  }

  putPolicy(policy: ScalingPolicy): Promise<ScalingPolicy> {
    return this.request('/api/v1/policy', scalingPolicyShape, { method: 'PUT', body: policy });
  }

  async decisions(limit: number): Promise<Decision[]> {
    return (await this.request(decisionsPath(limit), decisionListShape)).decisions;
  }

  // ---- data and the manager ----

  deleteAllData(confirm: string): Promise<DataDeleted> {
    return this.request('/api/v1/data/delete', dataDeletedShape, { method: 'POST', body: { confirm } });
  }

  stopManager(): Promise<void> {
    return this.request('/api/v1/manager/stop', ignored, { method: 'POST' });
  }
}

/** The client the manager's pages share. */
export const managerApi = new ManagerApiClient();
