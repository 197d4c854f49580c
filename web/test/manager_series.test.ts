import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  alignValues,
  earlierWorkers,
  emptyWindow,
  maxOf,
  poolSizeData,
  summarize,
  toChartData,
  workerData,
  yRange,
} from '../src/manager/series';
import type { Metrics, Pool } from '../src/manager/types';

const T0 = 1795883400; // a minute start

const METRICS: Metrics = {
  minutes: [T0, T0 + 60, T0 + 120, T0 + 180],
  pool_size: { in_service: [1, 1, null, 2], starting: [0, 1, null, 0] },
  workers: [
    { id: 'w1', cpu_percent: [12.5, null, 40, 33], requests_per_minute: [30, null, 0, 12] },
    { id: 'w2', cpu_percent: [null, null, null, 5], requests_per_minute: [null, null, null, 3] },
  ],
};

describe('toChartData (minutes and values -> uPlot data)', () => {
  it('keeps the minutes as x in epoch seconds and the values, nulls as gaps', () => {
    assert.deepEqual(toChartData(METRICS.minutes, [1, null, 3, 4]), [METRICS.minutes, [1, null, 3, 4]]);
  });

  it('pads a short series with gaps and cuts a long one', () => {
    assert.deepEqual(toChartData([T0, T0 + 60, T0 + 120], [5]), [[T0, T0 + 60, T0 + 120], [5, null, null]]);
    assert.deepEqual(toChartData([T0], [5, 6, 7]), [[T0], [5]]);
  });

  it('turns a missing series and entries that are no numbers into gaps', () => {
    assert.deepEqual(toChartData([T0, T0 + 60], undefined, null), [[T0, T0 + 60], [null, null], [null, null]]);
    assert.deepEqual(toChartData([T0, T0 + 60, T0 + 120], ['7', Number.NaN, Infinity]), [
      [T0, T0 + 60, T0 + 120],
      [null, null, null],
    ]);
  });

  it('drops minutes that are not numbers or not ascending, with their values', () => {
    assert.deepEqual(toChartData([T0, 'x', T0 + 60, T0 + 60, T0 - 60, T0 + 120], [1, 2, 3, 4, 5, 6]), [
      [T0, T0 + 60, T0 + 120],
      [1, 3, 6],
    ]);
  });

  it('makes as many y arrays as series, each as long as x', () => {
    const data = toChartData(METRICS.minutes, [1], [1, 2], [1, 2, 3, 4, 5]);
    assert.equal(data.length, 4);
    for (const ys of data.slice(1)) assert.equal(ys.length, 4);
  });
});

describe('alignValues', () => {
  it('returns `count` gaps for something that is not a list', () => {
    assert.deepEqual(alignValues(undefined, 3), [null, null, null]);
    assert.deepEqual(alignValues(null, 0), []);
  });
});

describe('poolSizeData and workerData', () => {
  it('draws in service and starting over the API minutes', () => {
    assert.deepEqual(poolSizeData(METRICS, 0, 30), [METRICS.minutes, [1, 1, null, 2], [0, 1, null, 0]]);
  });

  it('picks a worker by id', () => {
    const data = workerData(METRICS, 'w1', 0, 30);
    assert.deepEqual(data.cpu, [METRICS.minutes, [12.5, null, 40, 33]]);
    assert.deepEqual(data.requests, [METRICS.minutes, [30, null, 0, 12]]);
  });

  it('draws all gaps for a worker the metrics do not cover yet', () => {
    const data = workerData(METRICS, 'w9', 0, 30);
    assert.deepEqual(data.cpu, [METRICS.minutes, [null, null, null, null]]);
  });

  it('without metrics, shows an empty window of minutes ending at the current one', () => {
    const now = T0 + 29 * 60 + 17;
    const data = poolSizeData(null, now, 30);
    assert.equal(data[0].length, 30);
    assert.equal(data[0][0], T0);
    assert.equal(data[0][29], T0 + 29 * 60);
    assert.ok(data[1]?.every((v) => v === null));
    const empty: Metrics = { minutes: [], pool_size: { in_service: [], starting: [] }, workers: [] };
    assert.equal(workerData(empty, 'w1', now, 30).cpu[0].length, 30);
  });
});

describe('emptyWindow', () => {
  it('gives `count` minute starts, oldest first', () => {
    assert.deepEqual(emptyWindow(T0 + 130, 3), [T0, T0 + 60, T0 + 120]);
    assert.deepEqual(emptyWindow(T0, 0), []);
  });
});

describe('summaries and ranges', () => {
  it('summarize: latest and highest measured value, skipping gaps', () => {
    assert.deepEqual(summarize([12.5, null, 40, 33, null]), { latest: 33, max: 40, measured: 3 });
    assert.deepEqual(summarize([null, null]), { latest: null, max: null, measured: 0 });
  });

  it('maxOf across series', () => {
    assert.equal(maxOf([1, null], [null, 7]), 7);
    assert.equal(maxOf([null]), null);
  });

  it('yRange: 0 to the floor, or above the highest value with headroom', () => {
    assert.deepEqual(yRange(null, 100), [0, 100]);
    assert.deepEqual(yRange(40, 100), [0, 100]);
    assert.deepEqual(yRange(120, 100), [0, 132]);
    assert.deepEqual(yRange(25, 10), [0, 28]);
  });
});

describe('earlierWorkers', () => {
  const pool = (ids: string[]): Pool => ({
    desired_size: 1,
    counts: { starting: 0, in_service: ids.length, draining: 0 },
    load_balancer: { kind: 'haproxy', entry_url: 'http://127.0.0.1:8080/' },
    cpu_limit: { mechanism: 'governor', allotment_cpus: 0.25, note: '' },
    bounds: { min: 1, max: 8 },
    workers: ids.map((id) => ({
      id, address: '127.0.0.1', port: 9000, state: 'in_service' as const, launched_at: '2026-11-27T20:00:00Z',
      state_since: '2026-11-27T20:00:01Z', reason: '', details: {}, balancer: null,
    })),
  });
  const metrics = (ids: string[]): Metrics => ({
    minutes: [T0],
    pool_size: { in_service: [1], starting: [0] },
    workers: ids.map((id) => ({ id, cpu_percent: [1], requests_per_minute: [2] })),
  });

  it('lists the workers with metrics that the pool no longer knows, as stopped', () => {
    const earlier = earlierWorkers(pool(['w2']), metrics(['w2', 'w1']));
    assert.deepEqual(earlier.map((w) => [w.id, w.state, w.port]), [['w1', 'stopped', 0]]);
    assert.match(earlier[0]!.reason, /earlier run/);
  });

  it('has nothing without metrics or when the pool knows them all', () => {
    assert.deepEqual(earlierWorkers(pool(['w1']), null), []);
    assert.deepEqual(earlierWorkers(pool(['w1']), metrics(['w1'])), []);
  });
});
