// The JSON shapes of the manager's API (docs/manager.md, "JSON API"). Field names
// are the server's, snake_case, so that an answer can be used as it arrives.

export interface ManagerUser {
  username: string;
  id?: number;
  is_admin?: boolean;
  email?: string | null;
  created_at?: string;
}

export interface ManagerSession {
  user: ManagerUser;
  csrf_token: string;
  /** True while the generated initial password is unchanged: every other route answers 403. */
  must_change_password: boolean;
}

export type WorkerState = 'starting' | 'in_service' | 'draining' | 'stopped' | 'failed';

export const WORKER_STATES: readonly WorkerState[] = ['starting', 'in_service', 'draining', 'stopped', 'failed'];

export interface BalancerState {
  state: string;
  healthy: boolean;
  check: string;
  active_connections: number;
}

export interface PoolWorker {
  id: string;
  address: string;
  port: number;
  state: WorkerState;
  launched_at: string;
  state_since: string;
  reason: string;
  /** pid, cpu_allotment, cpu_limit, log, and whatever else the pool tells (all text). */
  details: Record<string, string>;
  /** Null while the worker is not in the load balancer. */
  balancer: BalancerState | null;
}

export interface Pool {
  desired_size: number;
  counts: { starting: number; in_service: number; draining: number };
  load_balancer: { kind: string; entry_url: string };
  cpu_limit: { mechanism: string; allotment_cpus: number; note: string };
  bounds: { min: number; max: number };
  workers: PoolWorker[];
}

export type Series = Array<number | null>;

export interface WorkerMetrics {
  id: string;
  cpu_percent: Series;
  requests_per_minute: Series;
}

export interface Metrics {
  /** Epoch seconds of each minute's start, oldest first; the last is the running minute. */
  minutes: number[];
  pool_size: { in_service: Series; starting: Series };
  workers: WorkerMetrics[];
}

export interface ScalingPolicy {
  grow_threshold: number;
  shrink_threshold: number;
  expand_ratio: number;
  shrink_ratio: number;
  min_workers: number;
  max_workers: number;
  check_interval_seconds: number;
  window_seconds: number;
  shrink_stabilisation_seconds: number;
  paused: boolean;
}

export type DecisionAction = 'grow' | 'shrink' | 'hold';

export interface Decision {
  time: string;
  average_cpu: number | null;
  size_before: number;
  size_after: number;
  action: DecisionAction;
  reason: string;
}

export interface DataDeleted {
  images_deleted: number;
  objects_deleted: number;
}
