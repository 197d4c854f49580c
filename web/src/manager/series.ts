// The API's metrics (docs/manager.md, "Metrics": one list of minute starts, and
// series with one value per minute, null where nothing was measured) turned into
// what uPlot draws: `[xs, ys1, ys2, ...]`, x in epoch seconds, null a gap.
// Pure functions, unit-tested in test/manager_series.test.ts.

import type { Metrics, Pool, PoolWorker, Series } from './types';

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
