// The API's metrics (docs/manager.md, "Metrics": one list of minute starts, and
// series with one value per minute, null where nothing was measured) turned into
// what uPlot draws: `[xs, ys1, ys2, ...]`, x in epoch seconds, null a gap.
// Pure functions, unit-tested in test/manager_series.test.ts.

import type { Decision, Metrics, Pool, PoolWorker, Series } from './types';

/** uPlot's AlignedData for time series: x values, then one array per line. */
export type ChartData = [number[], ...Array<Array<number | null>>];

export const MINUTE_SECONDS = 60;

/** A number that can be drawn, else null (a missing, NaN or non-numeric entry is a gap). */
function drawable(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * One value per minute for `count` minutes: a series longer than the minutes is
 * cut (its extra values have no time), a shorter one is padded with gaps at the
 * end, a missing one is all gaps.
 */
export function alignValues(values: ReadonlyArray<unknown> | null | undefined, count: number): Array<number | null> {
  const out: Array<number | null> = new Array<number | null>(count).fill(null);
  if (!Array.isArray(values)) return out;
  for (let i = 0; i < Math.min(count, values.length); i++) out[i] = drawable(values[i]);
  return out;
}

/**
 * The chart data for `minutes` and the given series. Minutes that are not
 * numbers, or not after the one before (the API sends them oldest first), are
 * dropped together with their values, so that uPlot always gets ascending x.
 */
export function toChartData(minutes: ReadonlyArray<unknown>, ...series: Array<ReadonlyArray<unknown> | null | undefined>): ChartData {
  const keep: number[] = [];
  let last = -Infinity;
  minutes.forEach((minute, index) => {
    if (typeof minute === 'number' && Number.isFinite(minute) && minute > last) {
      keep.push(index);
      last = minute;
    }
  });
  const xs = keep.map((index) => minutes[index] as number);
  const ys = series.map((values) => {
    const aligned = alignValues(values, minutes.length);
    return keep.map((index) => aligned[index] ?? null);
  });
  return [xs, ...ys];
}

/**
 * `count` minute starts ending with the minute that holds `nowSeconds`, for a
 * chart that has no measurements yet (its axes still show the window).
 */
export function emptyWindow(nowSeconds: number, count: number): number[] {
  const current = Math.floor(nowSeconds / MINUTE_SECONDS) * MINUTE_SECONDS;
  return Array.from({ length: Math.max(count, 0) }, (_, i) => current - (count - 1 - i) * MINUTE_SECONDS);
}

/** The minutes to draw: the API's, or an empty window of `count` minutes ending now. */
export function chartMinutes(metrics: Pick<Metrics, 'minutes'> | null, nowSeconds: number, count: number): number[] {
  const minutes = metrics?.minutes;
  return Array.isArray(minutes) && minutes.length > 0 ? minutes : emptyWindow(nowSeconds, count);
}

/** The pool-size chart: x, in service, starting. */
export function poolSizeData(metrics: Metrics | null, nowSeconds: number, count: number): ChartData {
  const minutes = chartMinutes(metrics, nowSeconds, count);
  return toChartData(minutes, metrics?.pool_size?.in_service, metrics?.pool_size?.starting);
}

export interface WorkerChartData {
  cpu: ChartData;
  requests: ChartData;
}

/** A worker's two charts; all gaps when the metrics do not cover it (yet). */
export function workerData(metrics: Metrics | null, workerId: string, nowSeconds: number, count: number): WorkerChartData {
  const minutes = chartMinutes(metrics, nowSeconds, count);
  const worker = metrics?.workers?.find((w) => w.id === workerId);
  return {
    cpu: toChartData(minutes, worker?.cpu_percent),
    requests: toChartData(minutes, worker?.requests_per_minute),
  };
}

export interface SeriesSummary {
  /** The most recent measured value, or null when there is none. */
  latest: number | null;
  /** The highest measured value, or null. */
  max: number | null;
  /** How many minutes have a value. */
  measured: number;
}

export function summarize(values: Series | ReadonlyArray<number | null>): SeriesSummary {
  let latest: number | null = null;
  let max: number | null = null;
  let measured = 0;
  for (const value of values) {
    if (value === null || !Number.isFinite(value)) continue;
    latest = value;
    max = max === null ? value : Math.max(max, value);
    measured++;
  }
  return { latest, max, measured };
}

/** The highest drawable value across the given series, or null. */
export function maxOf(...series: ReadonlyArray<ReadonlyArray<number | null>>): number | null {
  let max: number | null = null;
  for (const values of series) {
    for (const value of values) {
      if (value !== null && Number.isFinite(value)) max = max === null ? value : Math.max(max, value);
    }
  }
  return max;
}

/**
 * The y range of a chart: from 0 to at least `floor` (a quiet worker's chart
 * still reads 0..100 % or 0..10 requests), with headroom above the highest value.
 */
export function yRange(max: number | null, floor: number): [number, number] {
  if (max === null || !(max > floor)) return [0, floor];
  return [0, Math.ceil(max * 1.1)];
}

/**
 * Workers of an earlier run of the manager: the pool forgets them at a restart, the
 * metrics do not, so their charts are shown after the pool's own workers.
 */
export function earlierWorkers(pool: Pool, metrics: Metrics | null): PoolWorker[] {
  if (metrics === null) return [];
  const known = new Set(pool.workers.map((w) => w.id));
  return metrics.workers
    .filter((w) => !known.has(w.id))
    .map((w) => ({
      id: w.id,
      address: '',
      port: 0,
      state: 'stopped' as const,
      launched_at: '',
      state_since: '',
      reason: 'a worker of an earlier run of the manager',
      details: {},
      balancer: null,
    }));
}

// ---- the pool page's overview and its comparable per-worker charts ----

/**
 * The pool's average CPU per minute: the mean of the workers that were measured in
 * that minute (a worker without a value that minute does not count), null where none was.
 */
export function poolAverageCpu(metrics: Metrics | null, minuteCount: number): Array<number | null> {
  return combineWorkers(metrics, minuteCount, (w) => w.cpu_percent, (values) => values.reduce((a, b) => a + b, 0) / values.length);
}

/** The pool's requests per minute: the sum over the workers measured that minute. */
export function poolRequests(metrics: Metrics | null, minuteCount: number): Array<number | null> {
  return combineWorkers(metrics, minuteCount, (w) => w.requests_per_minute, (values) => values.reduce((a, b) => a + b, 0));
}

function combineWorkers(
  metrics: Metrics | null,
  minuteCount: number,
  pick: (worker: Metrics['workers'][number]) => Series,
  combine: (values: number[]) => number,
): Array<number | null> {
  const out: Array<number | null> = [];
  const workers = (metrics?.workers ?? []).map((w) => alignValues(pick(w), minuteCount));
  for (let i = 0; i < minuteCount; i++) {
    const values = workers.map((w) => w[i]).filter((v): v is number => v !== null && v !== undefined);
    out.push(values.length === 0 ? null : combine(values));
  }
  return out;
}

/** A constant line over `xs` (a threshold drawn across a chart). */
export function constantLine(xs: ReadonlyArray<number>, value: number | null): Array<number | null> {
  return xs.map(() => value);
}

/**
 * The overview's three charts: pool size (in service), the pool's average CPU with
 * the grow and shrink thresholds (null when the policy is not known), and the
 * pool's requests per minute.
 */
export function overviewData(
  metrics: Metrics | null,
  thresholds: { grow: number; shrink: number } | null,
  nowSeconds: number,
  count: number,
): { size: ChartData; cpu: ChartData; requests: ChartData } {
  const minutes = chartMinutes(metrics, nowSeconds, count);
  const size = toChartData(minutes, metrics?.pool_size?.in_service);
  const xs = size[0];
  const n = minutes.length;
  const keepAligned = (values: Array<number | null>) => toChartData(minutes, values)[1] ?? [];
  return {
    size,
    cpu: [xs, keepAligned(poolAverageCpu(metrics, n)), constantLine(xs, thresholds?.grow ?? null), constantLine(xs, thresholds?.shrink ?? null)],
    requests: [xs, keepAligned(poolRequests(metrics, n))],
  };
}

/** One chart's data with a line per worker, in the order of `ids`: [x, ys of ids[0], ...]. */
export function perWorkerData(
  metrics: Metrics | null,
  ids: ReadonlyArray<string>,
  field: 'cpu_percent' | 'requests_per_minute',
  nowSeconds: number,
  count: number,
): ChartData {
  const minutes = chartMinutes(metrics, nowSeconds, count);
  const byId = new Map((metrics?.workers ?? []).map((w) => [w.id, w]));
  return toChartData(minutes, ...ids.map((id) => byId.get(id)?.[field]));
}

/** A moment the overview marks on its time axis. */
export interface PoolMarker {
  /** Epoch seconds. */
  time: number;
  kind: 'grow' | 'shrink' | 'launch' | 'stop';
  /** Short text drawn beside the mark ("2→4", "w-3"). */
  label: string;
}

/**
 * The pool's changes between `from` and `to` (epoch seconds): the auto-scaler's
 * resizes from its decision log, and each worker of this run launched or stopped
 * (exact times, so a change that lasted less than a minute, between two of the
 * charts' points, still shows). Sorted by time.
 */
export function poolMarkers(
  workers: ReadonlyArray<Pick<PoolWorker, 'id' | 'state' | 'launched_at' | 'state_since'>>,
  decisions: ReadonlyArray<Pick<Decision, 'time' | 'action' | 'size_before' | 'size_after'>>,
  from: number,
  to: number,
): PoolMarker[] {
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  const inside = (t: number) => Number.isFinite(t) && t >= from && t <= to;
  const markers: PoolMarker[] = [];
  for (const d of decisions) {
    const t = seconds(d.time);
    if ((d.action === 'grow' || d.action === 'shrink') && d.size_after !== d.size_before && inside(t)) {
      markers.push({ time: t, kind: d.action, label: `${d.size_before}→${d.size_after}` });
    }
  }
  for (const w of workers) {
    const launched = seconds(w.launched_at);
    if (inside(launched)) markers.push({ time: launched, kind: 'launch', label: w.id });
    const since = seconds(w.state_since);
    if ((w.state === 'stopped' || w.state === 'failed') && inside(since)) markers.push({ time: since, kind: 'stop', label: w.id });
  }
  return markers.sort((a, b) => a.time - b.time);
}
