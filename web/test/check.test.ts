import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseSuccessBody, ApiError } from '../src/common/api';
import { listOf, mapOf, nullable, number, object, oneOf, ShapeError, text } from '../src/common/check';
import { sessionShape, userShape } from '../src/common/types';
import { decisionListShape, managerSessionShape, metricsShape, poolShape, scalingPolicyShape } from '../src/manager/types';
import { imageListShape, imageShape } from '../src/worker/types';

const USER = { id: 1, username: 'ann', email: null, is_admin: false, created_at: '2026-11-27T20:00:00Z' };

const IMAGE = {
  id: 3,
  created_at: '2026-11-27T20:00:00Z',
  source: 'url',
  source_name: 'https://example.org/crowd.jpg',
  format: 'jpeg',
  width: 640,
  height: 480,
  num_faces: 1,
  num_masked: 1,
  num_unmasked: 0,
  category: 'all_masked',
  urls: { original: '/api/v1/images/3/original', annotated: '/api/v1/images/3/annotated', thumbnail: '/api/v1/images/3/thumbnail' },
};

const WORKER = {
  id: 'w-1',
  address: '127.0.0.1',
  port: 8081,
  state: 'in_service',
  launched_at: '2026-11-27T20:00:00Z',
  state_since: '2026-11-27T20:00:05Z',
  reason: '',
  details: { pid: '4242', cpu_allotment: '0.5' },
  balancer: { state: 'UP', healthy: true, check: 'L7OK', check_detail: '200', active_connections: 0 },
};

const POOL = {
  desired_size: 1,
  counts: { starting: 0, in_service: 1, draining: 0 },
  load_balancer: { kind: 'haproxy', entry_url: 'http://127.0.0.1:8080/' },
  cpu_limit: { mechanism: 'cgroup', allotment_cpus: 0.5, note: '' },
  bounds: { min: 1, max: 8 },
  workers: [WORKER],
};

/** `check(value)` throws a ShapeError for `path` whose message says `problem`. */
function refuses(run: () => unknown, path: string, problem: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ShapeError, String(error));
    assert.equal(error.path, path);
    assert.ok(error.message.startsWith(`${path === '' ? 'the answer' : path}: `), error.message);
    assert.match(error.message, problem);
    return true;
  });
}

describe('answer checks: a valid answer passes', () => {
  it('passes the worker\'s answers, as they are, with their optional parts', () => {
    assert.deepEqual(sessionShape({ user: USER, csrf_token: 't' }, ''), { user: USER, csrf_token: 't' });
    assert.deepEqual(imageShape(IMAGE, ''), IMAGE);
    const detail = { ...IMAGE, faces: [{ x: 1, y: 2, w: 30, h: 40, masked: true, confidence: 0.97 }] };
    assert.deepEqual(imageShape(detail, ''), detail);
    const list = { images: [IMAGE, { ...IMAGE, id: 4 }], total: 2, page: 1, page_size: 20, category: 'all_masked' };
    assert.deepEqual(imageListShape(list, ''), list);
  });

  it('passes the manager\'s answers, nulls where the API allows them', () => {
    const session = { user: USER, csrf_token: 't', must_change_password: true };
    assert.deepEqual(managerSessionShape(session, ''), session);
    const pool = poolShape(POOL, '');
    assert.equal(pool.workers[0]?.details?.['pid'], '4242');
    assert.equal(poolShape({ ...POOL, workers: [{ ...WORKER, balancer: null }] }, '').workers[0]?.balancer, null);
    const metrics = {
      minutes: [60, 120],
      pool_size: { in_service: [1, null], starting: [0, null] },
      workers: [{ id: 'w-1', cpu_percent: [12.5, null], requests_per_minute: [null, 3] }],
    };
    assert.deepEqual(metricsShape(metrics, ''), metrics);
    const decisions = {
      decisions: [{ time: '2026-11-27T20:00:00Z', average_cpu: null, size_before: 1, size_after: 2, action: 'grow', reason: 'busy' }],
    };
    assert.deepEqual(decisionListShape(decisions, ''), decisions);
  });

  it('leaves out fields it does not know (a newer server may add some)', () => {
    const checked = poolShape(POOL, '');
    assert.equal('check_detail' in (checked.workers[0]?.balancer ?? {}), false);
    assert.deepEqual(userShape({ ...USER, theme: 'dark' }, ''), USER);
  });
});

describe('answer checks: a wrong answer is refused, naming the field', () => {
  it('refuses a missing field', () => {
    const { csrf_token: _, ...noToken } = { user: USER, csrf_token: 't' };
    refuses(() => sessionShape(noToken, ''), 'csrf_token', /missing/);
    const { must_change_password: __, ...noFlag } = { user: USER, csrf_token: 't', must_change_password: false };
    refuses(() => managerSessionShape(noFlag, ''), 'must_change_password', /missing/);
    const { urls: ___, ...noUrls } = IMAGE;
    refuses(() => imageListShape({ images: [IMAGE, noUrls], total: 2, page: 1, page_size: 20, category: 'no_faces' }, ''), 'images[1].urls', /missing/);
  });

  it('refuses a field of the wrong type', () => {
    refuses(() => sessionShape({ user: { ...USER, id: '1' }, csrf_token: 't' }, ''), 'user.id', /expected a number, got the text "1"/);
    refuses(() => imageShape({ ...IMAGE, category: 'maybe_masked' }, ''), 'category', /expected one of no_faces, all_masked, none_masked, some_masked/);
    refuses(() => poolShape({ ...POOL, workers: [{ ...WORKER, details: { pid: 4242 } }] }, ''), 'workers[0].details.pid', /expected text, got the number 4242/);
    refuses(() => scalingPolicyShape({ paused: 'no' }, ''), 'grow_threshold', /missing/);
    refuses(() => metricsShape({ minutes: {}, pool_size: {}, workers: [] }, ''), 'minutes', /expected a list, got an object/);
    refuses(() => imageShape([IMAGE], ''), '', /expected an object, got a list/);
  });

  it('refuses null where the API never sends it, and takes it where it does', () => {
    refuses(() => sessionShape({ user: { ...USER, username: null }, csrf_token: 't' }, ''), 'user.username', /expected text, got null/);
    refuses(() => imageShape({ ...IMAGE, faces: null }, ''), 'faces', /expected a list, got null/);
    refuses(() => poolShape({ ...POOL, workers: [{ ...WORKER, balancer: { ...WORKER.balancer, healthy: null } }] }, ''), 'workers[0].balancer.healthy', /expected true or false, got null/);
    refuses(() => metricsShape({ minutes: [60, null], pool_size: { in_service: [], starting: [] }, workers: [] }, ''), 'minutes[1]', /expected a number, got null/);
    assert.equal(userShape({ ...USER, email: null }, '').email, null);
    assert.equal(userShape({ ...USER, email: 'ann@example.org' }, '').email, 'ann@example.org');
  });

  it('takes the exact boundaries of each check', () => {
    refuses(() => number(Number.NaN, 'n'), 'n', /expected a number/);
    assert.equal(number(0, 'n'), 0);
    refuses(() => text(undefined, 't'), 't', /expected text, got undefined/);
    assert.equal(text('', 't'), '');
    refuses(() => oneOf(['a', 'b'])('c', 'o'), 'o', /one of a, b/);
    assert.deepEqual(listOf(nullable(number))([], 'l'), []);
    assert.deepEqual(mapOf(text)({}, 'm'), {});
    refuses(() => object({ a: number })(null, 'x'), 'x', /expected an object, got null/);
    // An optional field may be absent; present, it is checked.
    assert.deepEqual(object({}, { a: number })({}, ''), {});
    refuses(() => object({}, { a: number })({ a: 'x' }, ''), 'a', /expected a number/);
  });
});

describe('parseSuccessBody (the boundary)', () => {
  it('gives the checked answer, and an ApiError naming the field for a wrong one', () => {
    assert.deepEqual(parseSuccessBody(200, JSON.stringify({ user: USER, csrf_token: 't' }), sessionShape), { user: USER, csrf_token: 't' });
    assert.throws(
      () => parseSuccessBody(200, JSON.stringify({ user: { ...USER, is_admin: 'yes' }, csrf_token: 't' }), sessionShape),
      (error: unknown) =>
        error instanceof ApiError && error.reason === 'bad_response' && error.status === 200 && /user\.is_admin: expected true or false/.test(error.message),
    );
    // An empty answer (204) is what the check sees as undefined: refused where an object is due.
    assert.throws(() => parseSuccessBody(204, '', sessionShape), (error: unknown) => error instanceof ApiError && /the answer: expected an object, got undefined/.test(error.message));
  });
});

describe("a pool worker's details", () => {
  it('takes an object of texts (the local pool) or a list of [label, value] pairs (the AWS pool), or none', () => {
    assert.deepEqual(poolShape(POOL, '').workers[0]?.details, { pid: '4242', cpu_allotment: '0.5' });
    const aws = { ...WORKER, details: [['Instance type', 't3.small'], ['Zone', 'eu-west-1a']] };
    assert.deepEqual(poolShape({ ...POOL, workers: [aws] }, '').workers[0]?.details, { 'Instance type': 't3.small', Zone: 'eu-west-1a' });
    const { details: _left, ...without } = WORKER;
    assert.equal(poolShape({ ...POOL, workers: [without] }, '').workers[0]?.details, undefined);
  });

  it('refuses a pair that is not two texts', () => {
    refuses(() => poolShape({ ...POOL, workers: [{ ...WORKER, details: [['Zone']] }] }, ''), 'workers[0].details[0]', /\[label, value\] pair/);
    refuses(() => poolShape({ ...POOL, workers: [{ ...WORKER, details: [['Zone', 3]] }] }, ''), 'workers[0].details[0][1]', /expected text/);
    refuses(() => poolShape({ ...POOL, workers: [{ ...WORKER, details: { pid: 3 } }] }, ''), 'workers[0].details.pid', /expected text/);
  });
});
