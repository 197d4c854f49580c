import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ApiError } from '../src/common/api';
import { isMustChangePassword, ManagerApiClient } from '../src/manager/api';
import type { ManagerSession } from '../src/manager/types';

const SESSION: ManagerSession = {
  user: { id: 1, username: 'admin', email: null, is_admin: true, created_at: '2026-11-27T20:00:00Z' },
  csrf_token: 'tok-1',
  must_change_password: false,
};

interface Call {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function fakeClient(responder: (call: Call) => Response) {
  const calls: Call[] = [];
  const events: string[] = [];
  const client = new ManagerApiClient({
    fetch: async (input, init = {}) => {
      const call: Call = {
        path: input,
        method: init.method ?? 'GET',
        headers: { ...(init.headers as Record<string, string> | undefined) },
        body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
      };
      calls.push(call);
      return responder(call);
    },
    onUnauthenticated: () => events.push('login'),
    onMustChangePassword: () => events.push('account'),
  });
  return { client, calls, events };
}

describe('ManagerApiClient', () => {
  it('sends the CSRF token from the login on grow, and the confirmation body on delete', async () => {
    const { client, calls } = fakeClient((call) => {
      if (call.path === '/api/v1/session') return json(200, SESSION);
      if (call.path === '/api/v1/pool/grow') return json(202, { desired_size: 2 });
      return json(200, { images_deleted: 3, objects_deleted: 9 });
    });
    await client.login('admin', 'pw');
    assert.deepEqual(await client.grow(), { desired_size: 2 });
    assert.deepEqual(await client.deleteAllData('delete all data'), { images_deleted: 3, objects_deleted: 9 });
    assert.equal(calls[1]?.method, 'POST');
    assert.equal(calls[1]?.headers['X-CSRF-Token'], 'tok-1');
    assert.deepEqual(calls[2]?.body, { confirm: 'delete all data' });
    assert.equal(calls[2]?.path, '/api/v1/data/delete');
  });

  it('PUTs the whole policy and reads the decisions list', async () => {
    const { client, calls } = fakeClient((call) => {
      if (call.path === '/api/v1/session') return json(200, SESSION);
      if (call.path.startsWith('/api/v1/decisions')) return json(200, { decisions: [{ time: '2026-11-27T20:00:00Z', average_cpu: null, size_before: 1, size_after: 1, action: 'hold', reason: 'no data' }] });
      return json(200, call.body);
    });
    const policy = {
      grow_threshold: 70,
      shrink_threshold: 30,
      expand_ratio: 2,
      shrink_ratio: 0.5,
      min_workers: 1,
      max_workers: 8,
      check_interval_seconds: 60,
      window_seconds: 120,
      shrink_stabilisation_seconds: 300,
      paused: true,
    };
    assert.deepEqual(await client.putPolicy(policy), policy);
    assert.equal(calls.find((c) => c.path === '/api/v1/policy')?.method, 'PUT');
    assert.equal((await client.decisions(50)).length, 1);
    assert.equal(calls.at(-1)?.path, '/api/v1/decisions?limit=50');
  });

  it('sends to the account page on 403 failed_precondition (initial password unchanged)', async () => {
    const { client, events } = fakeClient(() =>
      json(403, { success: false, error: { code: 403, reason: 'failed_precondition', message: 'change the initial password first' } }),
    );
    await assert.rejects(client.pool(), (error: unknown) => isMustChangePassword(error));
    assert.deepEqual(events, ['account']);
  });

  it('does not take a 409 at the bound, or a plain 403, for the password change', async () => {
    const { client, events } = fakeClient((call) =>
      call.path === '/api/v1/session'
        ? json(200, SESSION)
        : json(409, { success: false, error: { code: 409, reason: 'failed_precondition', message: 'the pool is at its maximum (8)' } }),
    );
    await assert.rejects(client.grow(), (error: unknown) => error instanceof ApiError && error.status === 409 && error.message === 'the pool is at its maximum (8)');
    assert.deepEqual(events, []);
    assert.equal(isMustChangePassword(new ApiError(403, 'permission_denied', 'no')), false);
  });

  it('sends to the login page on 401 from a page call, not from the login itself', async () => {
    const { client, events } = fakeClient(() => json(401, { success: false, error: { code: 401, reason: 'unauthenticated', message: 'log in' } }));
    await assert.rejects(client.metrics(30));
    assert.deepEqual(events, ['login']);
    await assert.rejects(client.login('admin', 'wrong'));
    await assert.rejects(client.getSession());
    assert.deepEqual(events, ['login']);
  });

  it('keeps the new token of a password change', async () => {
    const { client, calls } = fakeClient((call) => {
      if (call.path === '/api/v1/password') return json(200, { ...SESSION, csrf_token: 'tok-2' });
      if (call.path === '/api/v1/session') return json(200, SESSION);
      return json(202, {});
    });
    await client.getSession();
    const session = await client.changePassword('old-password', 'new-password');
    assert.equal(session?.must_change_password, false);
    await client.stopManager();
    assert.equal(calls.at(-1)?.headers['X-CSRF-Token'], 'tok-2');
    assert.equal(calls.at(-1)?.path, '/api/v1/manager/stop');
  });
});
