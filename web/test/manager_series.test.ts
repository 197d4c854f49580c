import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  alignValues,
  constantLine,
  earlierWorkers,
  emptyWindow,
  maxOf,
  overviewData,
  perWorkerData,
  poolAverageCpu,
  poolMarkers,
  poolRequests,
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

describe('the overview: pool average CPU, pool requests, thresholds', () => {
  it('averages the CPU of the workers measured in each minute, null where none was', () => {
    assert.deepEqual(poolAverageCpu(METRICS, 4), [12.5, null, 40, 19]);
  });

  it('adds up the requests of the workers measured in each minute', () => {
    assert.deepEqual(poolRequests(METRICS, 4), [30, null, 0, 15]);
  });

  it('has only gaps without metrics', () => {
    assert.deepEqual(poolAverageCpu(null, 2), [null, null]);
    assert.deepEqual(poolRequests(null, 2), [null, null]);
  });

  it('draws the thresholds as constant lines, or nothing when the policy is unknown', () => {
    const data = overviewData(METRICS, { grow: 70, shrink: 30 }, T0 + 200, 4);
    assert.deepEqual(data.size, [METRICS.minutes, [1, 1, null, 2]]);
    assert.deepEqual(data.cpu, [METRICS.minutes, [12.5, null, 40, 19], [70, 70, 70, 70], [30, 30, 30, 30]]);
    assert.deepEqual(data.requests, [METRICS.minutes, [30, null, 0, 15]]);
    assert.deepEqual(overviewData(METRICS, null, T0, 4).cpu[2], [null, null, null, null]);
    assert.deepEqual(constantLine([1, 2], 5), [5, 5]);
  });
});

describe('perWorkerData', () => {
  it('gives one line per worker id, in the order asked, gaps for an unknown one', () => {
    assert.deepEqual(perWorkerData(METRICS, ['w2', 'w1', 'w9'], 'cpu_percent', T0, 4), [
      METRICS.minutes,
      [null, null, null, 5],
      [12.5, null, 40, 33],
      [null, null, null, null],
    ]);
    assert.deepEqual(perWorkerData(METRICS, [], 'requests_per_minute', T0, 4), [METRICS.minutes]);
  });
});

describe('poolMarkers', () => {
  const at = (seconds: number) => new Date(seconds * 1000).toISOString();
  const workers = [
    { id: 'w1', state: 'in_service', launched_at: at(T0 - 600), state_since: at(T0 - 590) },
    { id: 'w2', state: 'stopped', launched_at: at(T0 + 10), state_since: at(T0 + 50) },
    { id: 'w3', state: 'in_service', launched_at: at(T0 + 100), state_since: at(T0 + 105) },
  ];
  const decisions = [
    { time: at(T0 + 5), action: 'grow', size_before: 1, size_after: 2 },
    { time: at(T0 + 65), action: 'hold', size_before: 2, size_after: 2 },
    { time: at(T0 + 90), action: 'shrink', size_before: 2, size_after: 1 },
    { time: at(T0 + 95), action: 'grow', size_before: 8, size_after: 8 },
  ];

  it('marks resizes, launches and stops inside the window, by time, a sub-minute worker included', () => {
    assert.deepEqual(
      poolMarkers(workers, decisions, T0, T0 + 120).map((m) => [m.time - T0, m.kind, m.label]),
      [
        [5, 'grow', '1→2'],
        [10, 'launch', 'w2'],
        [50, 'stop', 'w2'],
        [90, 'shrink', '2→1'],
        [100, 'launch', 'w3'],
      ],
    );
  });

  it('includes the window edges and nothing outside them', () => {
    assert.deepEqual(poolMarkers(workers, decisions, T0 + 10, T0 + 50).map((m) => m.time - T0), [10, 50]);
    assert.deepEqual(poolMarkers(workers, decisions, T0 + 11, T0 + 49), []);
  });

  it('skips times that are not times', () => {
    assert.deepEqual(poolMarkers([{ id: 'x', state: 'stopped', launched_at: '', state_since: 'soon' }], [], 0, Infinity), []);
  });
});
