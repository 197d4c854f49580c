// The JSON shapes of the manager's API (docs/manager.md, "JSON API"), each a
// runtime check (../common/check.ts) and the type it gives. Field names are the
// server's, snake_case, so that an answer is used as it arrives.

import { boolean, isRecord, listOf, mapOf, nullable, number, object, ShapeError, text, type Check, type Checked } from '../common/check';
import { userShape } from '../common/types';

export const managerSessionShape = object({
  user: userShape,
  csrf_token: text,
  /** True while the generated initial password is unchanged: every other route answers 403. */
  must_change_password: boolean,
});
export type ManagerSession = Checked<typeof managerSessionShape>;

export type WorkerState = 'starting' | 'in_service' | 'draining' | 'stopped' | 'failed';

export const balancerStateShape = object({
  state: text,
  healthy: boolean,
  check: text,
  active_connections: number,
});
export type BalancerState = Checked<typeof balancerStateShape>;

/**
 * A worker's details as label -> text, in the server's order: an object of texts
 * (the local pool: pid, cpu_allotment, cpu_limit, log), or a list of [label, value]
 * pairs (the AWS pool: instance type, zone, target health).
 */
export const workerDetailsShape: Check<Record<string, string>> = (value, path) => {
  if (!Array.isArray(value)) return mapOf(text)(value, path);
  const out: Record<string, string> = {};
  value.forEach((pair: unknown, index) => {
    const where = `${path}[${index}]`;
    if (!Array.isArray(pair) || pair.length !== 2) throw new ShapeError(where, `expected a [label, value] pair, got ${isRecord(pair) ? 'an object' : JSON.stringify(pair)}`);
    out[text(pair[0], `${where}[0]`)] = text(pair[1], `${where}[1]`);
  });
  return out;
};

export const poolWorkerShape = object(
  {
    id: text,
    address: text,
    port: number,
    /** A WorkerState; one this page does not know is shown as the server wrote it. */
    state: text,
    launched_at: text,
    state_since: text,
    reason: text,
    /** Null while the worker is not in the load balancer. */
    balancer: nullable(balancerStateShape),
  },
  {
    /** pid, cpu_allotment, cpu_limit, log, and whatever else the pool tells (all text). */
    details: workerDetailsShape,
  },
);
export type PoolWorker = Checked<typeof poolWorkerShape>;

export const poolShape = object({
  desired_size: number,
  counts: object({ starting: number, in_service: number, draining: number }),
  load_balancer: object({ kind: text, entry_url: text }),
  cpu_limit: object({ mechanism: text, allotment_cpus: number, note: text }),
  bounds: object({ min: number, max: number }),
  workers: listOf(poolWorkerShape),
});
export type Pool = Checked<typeof poolShape>;

/** One value a minute; null where nothing was measured. */
export const seriesShape = listOf(nullable(number));
export type Series = Checked<typeof seriesShape>;

export const workerMetricsShape = object({ id: text, cpu_percent: seriesShape, requests_per_minute: seriesShape });
export type WorkerMetrics = Checked<typeof workerMetricsShape>;

export const metricsShape = object({
  /** Epoch seconds of each minute's start, oldest first; the last is the running minute. */
  minutes: listOf(number),
  pool_size: object({ in_service: seriesShape, starting: seriesShape }),
  workers: listOf(workerMetricsShape),
});
export type Metrics = Checked<typeof metricsShape>;

export const scalingPolicyShape = object({
  grow_threshold: number,
  shrink_threshold: number,
  expand_ratio: number,
  shrink_ratio: number,
  min_workers: number,
  max_workers: number,
  check_interval_seconds: number,
  window_seconds: number,
  shrink_stabilisation_seconds: number,
  paused: boolean,
}, {
  /** What the server's check of the saved policy says (scaler::Warnings); the server ignores it in a PUT. */
  warnings: listOf(object({ field: text, message: text })),
});
export type ScalingPolicy = Checked<typeof scalingPolicyShape>;

export type DecisionAction = 'grow' | 'shrink' | 'hold';

export const decisionShape = object({
  time: text,
  average_cpu: nullable(number),
  size_before: number,
  size_after: number,
  /** A DecisionAction; another is shown as the server wrote it. */
  action: text,
  reason: text,
});
export type Decision = Checked<typeof decisionShape>;

export const decisionListShape = object({ decisions: listOf(decisionShape) });

export const desiredSizeShape = object({ desired_size: number });

export const dataDeletedShape = object({ images_deleted: number, objects_deleted: number });
export type DataDeleted = Checked<typeof dataDeletedShape>;
