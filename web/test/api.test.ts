import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ApiError, errorFromResponse, parseRetryAfter, type XhrLike } from '../src/common/api';
import type { Session } from '../src/common/types';
import { WorkerApiClient } from '../src/worker/api';

const SESSION: Session = {
  user: { id: 1, username: 'ann', email: null, is_admin: true, created_at: '2026-11-27T20:00:00Z' },
  csrf_token: 'token-from-get',
};

/** An answer about one image, as the worker sends it. */
const IMAGE = {
  id: 1,
  created_at: '2026-11-27T20:00:00Z',
  source: 'upload',
  source_name: 'crowd.jpg',
  format: 'jpeg',
  width: 640,
  height: 480,
  num_faces: 0,
  num_masked: 0,
  num_unmasked: 0,
  category: 'no_faces',
  urls: { original: '/api/v1/images/1/original', annotated: '/api/v1/images/1/annotated', thumbnail: '/api/v1/images/1/thumbnail' },
  faces: [],
};

interface Call {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

type Responder = (call: Call) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function apiError(status: number, reason: string, message: string): Response {
  return json(status, { success: false, error: { code: status, reason, message } });
}

/** A client over a fake fetch that answers with `responder` and records the calls. */
function fakeClient(responder: Responder) {
  const calls: Call[] = [];
  let redirects = 0;
  const client = new WorkerApiClient({
    fetch: async (input, init = {}) => {
      const headers = { ...(init.headers as Record<string, string> | undefined) };
      const call: Call = {
        path: input,
        method: init.method ?? 'GET',
        headers,
        body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
        credentials: init.credentials,
      };
      calls.push(call);
      return responder(call);
    },
    onUnauthenticated: () => {
      redirects++;
    },
  });
  return { client, calls, redirects: () => redirects };
}

describe('ApiClient requests', () => {
  it('sends same-origin credentials and no CSRF token on reads', async () => {
    const { client, calls } = fakeClient(() => json(200, { images: [], total: 0, page: 2, page_size: 20, category: 'no_faces' }));
    const list = await client.listImages('no_faces', 2);
    assert.equal(list.page, 2);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.path, '/api/v1/images?category=no_faces&page=2&page_size=20');
    assert.equal(calls[0]?.credentials, 'same-origin');
    assert.equal(calls[0]?.headers['X-CSRF-Token'], undefined);
  });

  it('fetches the session first for a state-changing call, then sends its token', async () => {
    const { client, calls } = fakeClient((call) =>
      call.path === '/api/v1/session' ? json(200, SESSION) : new Response(null, { status: 204 }),
    );
    const result = await client.deleteImage(9);
    assert.equal(result, undefined);
    assert.deepEqual(
      calls.map((c) => `${c.method} ${c.path}`),
      ['GET /api/v1/session', 'DELETE /api/v1/images/9'],
    );
    assert.equal(calls[1]?.headers['X-CSRF-Token'], 'token-from-get');
    // The token is kept: a second call needs no new session request.
    await client.deleteImage(10);
    assert.equal(calls.length, 3);
    assert.equal(calls[2]?.headers['X-CSRF-Token'], 'token-from-get');
  });

  it('logs in without a token and uses the token it returns', async () => {
    const { client, calls } = fakeClient((call) => {
      if (call.path === '/api/v1/session') return json(200, { ...SESSION, csrf_token: 'token-from-login' });
      return json(201, { ...SESSION.user, id: 2, username: 'bob' });
    });
    await client.login('ann', 'secret-password');
    assert.equal(calls[0]?.method, 'POST');
    assert.equal(calls[0]?.headers['X-CSRF-Token'], undefined);
    assert.equal(calls[0]?.headers['Content-Type'], 'application/json');
    assert.deepEqual(calls[0]?.body, { username: 'ann', password: 'secret-password' });
    const created = await client.createUser({ username: 'bob', password: 'pw-pw-pw-pw', is_admin: false });
    assert.equal(created.username, 'bob');
    assert.equal(calls[1]?.headers['X-CSRF-Token'], 'token-from-login');
    assert.deepEqual(calls[1]?.body, { username: 'bob', password: 'pw-pw-pw-pw', is_admin: false });
  });

  it('takes the new token a password change answers with', async () => {
    const { client, calls } = fakeClient((call) => {
      if (call.path === '/api/v1/session') return json(200, SESSION);
      if (call.path === '/api/v1/password') return json(200, { ...SESSION, csrf_token: 'token-after-change' });
      return new Response(null, { status: 204 });
    });
    await client.changePassword('old-password', 'new-password');
    assert.equal(calls[1]?.headers['X-CSRF-Token'], 'token-from-get');
    assert.deepEqual(calls[1]?.body, { current_password: 'old-password', new_password: 'new-password' });
    await client.deleteImage(1);
    assert.equal(calls[2]?.headers['X-CSRF-Token'], 'token-after-change');
  });

  it('keeps its token when a password change answers 204', async () => {
    const { client, calls } = fakeClient((call) =>
      call.path === '/api/v1/session' ? json(200, SESSION) : new Response(null, { status: 204 }),
    );
    await client.changePassword('old-password', 'new-password');
    await client.deleteImage(1);
    assert.equal(calls.at(-1)?.headers['X-CSRF-Token'], 'token-from-get');
  });

  it('sends the reset calls without a session or token', async () => {
    const { client, calls } = fakeClient(() => new Response(null, { status: 202 }));
    await client.requestPasswordReset('ann');
    await client.confirmPasswordReset('tok', 'new-password');
    assert.deepEqual(
      calls.map((c) => `${c.method} ${c.path} ${c.headers['X-CSRF-Token'] ?? '-'}`),
      ['POST /api/v1/password-reset -', 'POST /api/v1/password-reset/confirm -'],
    );
    assert.deepEqual(calls[1]?.body, { token: 'tok', new_password: 'new-password' });
  });
});

describe('ApiClient errors', () => {
  it('throws the server message and reason', async () => {
    const { client } = fakeClient(() => apiError(404, 'not_found', 'no such image'));
    await assert.rejects(client.getImage(5), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 404);
      assert.equal(error.reason, 'not_found');
      assert.equal(error.message, 'no such image');
      return true;
    });
  });

  it('on 401 of a call that needs a session: redirects once, clears the token, throws', async () => {
    let sessionValid = true;
    const { client, calls, redirects } = fakeClient((call) => {
      if (call.path === '/api/v1/session' && sessionValid) return json(200, SESSION);
      return apiError(401, 'unauthenticated', 'log in first');
    });
    await client.requireSession();
    sessionValid = false;
    await assert.rejects(client.listUsers(), (e: unknown) => e instanceof ApiError && e.status === 401);
    assert.equal(redirects(), 1);
    // With the token cleared, a write asks for the session again (and is redirected again).
    await assert.rejects(client.deleteUser(3), (e: unknown) => e instanceof ApiError && e.status === 401);
    assert.equal(calls.at(-1)?.path, '/api/v1/session');
    assert.equal(redirects(), 2);
  });

  it('does not redirect on 401 from login, the session probe or a wrong current password', async () => {
    const { client, redirects } = fakeClient((call) => {
      if (call.path === '/api/v1/session' && call.method === 'GET') return json(200, SESSION);
      return apiError(401, 'unauthenticated', 'wrong username or password');
    });
    await assert.rejects(client.login('ann', 'nope-nope'), /wrong username or password/);
    await assert.rejects(client.changePassword('old-wrong', 'new-password'), /wrong username or password/);
    assert.equal(redirects(), 0);

    const anonymous = fakeClient(() => apiError(401, 'unauthenticated', 'no session'));
    await assert.rejects(anonymous.client.getSession(), (e: unknown) => e instanceof ApiError && e.status === 401);
    assert.equal(anonymous.redirects(), 0);
  });

  it('reads Retry-After of a 429', async () => {
    const { client } = fakeClient(() =>
      json(429, { success: false, error: { code: 429, reason: 'unavailable', message: 'too many failed logins' } }, { 'Retry-After': '30' }),
    );
    await assert.rejects(client.login('ann', 'x-x-x-x-x'), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.retryAfterSeconds, 30);
      assert.equal(e.message, 'too many failed logins');
      return true;
    });
  });

  it('describes a failure whose body is not the API JSON by its status', async () => {
    const { client } = fakeClient(() => new Response('<html><b>502 Bad Gateway</b></html>', { status: 502 }));
    await assert.rejects(client.getImage(1), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 502);
      assert.equal(e.reason, 'internal');
      assert.match(e.message, /busy or restarting/);
      assert.doesNotMatch(e.message, /<html>/);
      return true;
    });
  });

  it('reports a lost connection as status 0', async () => {
    const client = new WorkerApiClient({
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      onUnauthenticated: () => assert.fail('no redirect'),
    });
    await assert.rejects(client.getImage(1), (e: unknown) => e instanceof ApiError && e.status === 0 && e.reason === 'network');
  });

  it('refuses a 2xx answer it cannot read', async () => {
    const { client } = fakeClient(() => new Response('{not json', { status: 200 }));
    await assert.rejects(client.getImage(1), (e: unknown) => e instanceof ApiError && e.reason === 'bad_response');
  });
});

describe('errorFromResponse and parseRetryAfter', () => {
  it('keeps server strings as data (they are shown with textContent)', () => {
    const error = errorFromResponse(400, JSON.stringify({ success: false, error: { code: 400, message: '<img src=x onerror=alert(1)>' } }));
    assert.equal(error.message, '<img src=x onerror=alert(1)>');
    assert.equal(error.reason, 'invalid_argument');
  });

  it('falls back when fields are missing or of the wrong type', () => {
    assert.equal(errorFromResponse(413, '{"error": {"message": 5}}').message, 'The file is too large.');
    assert.equal(errorFromResponse(415, '[]').reason, 'unsupported');
    assert.equal(errorFromResponse(500, '').message, 'The server could not complete the request.');
    assert.equal(errorFromResponse(418, '').message, 'The request failed (HTTP 418).');
  });

  it('parses only delta-seconds', () => {
    assert.equal(parseRetryAfter('12'), 12);
    assert.equal(parseRetryAfter(null), null);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT'), null);
    assert.equal(parseRetryAfter('-1'), null);
  });
});

class FakeXhr implements XhrLike {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  statusText = '';
  responseText = '';
  responseHeaders: Record<string, string> = {};
  withCredentials = false;
  upload: XhrLike['upload'] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  ontimeout: (() => void) | null = null;

  constructor(private readonly script: (xhr: FakeXhr) => void) {
    FakeXhr.last = this;
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  getResponseHeader(name: string): string | null {
    return this.responseHeaders[name] ?? null;
  }
  aborted = false;
  send(body: FormData): void {
    this.body = body;
    queueMicrotask(() => this.script(this));
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }
}

describe('ApiClient.uploadFile', () => {
  const sessionFetch = async () => json(200, SESSION);

  it('posts the file as part "file" with the token, reports progress, returns the image', async () => {
    const progress: Array<[number, number]> = [];
    const client = new WorkerApiClient({
      fetch: sessionFetch,
      createXhr: () =>
        new FakeXhr((xhr) => {
          xhr.upload.onprogress?.({ loaded: 50, total: 100, lengthComputable: true });
          xhr.upload.onprogress?.({ loaded: 100, total: 100, lengthComputable: true });
          xhr.status = 201;
          xhr.responseText = JSON.stringify({ ...IMAGE, id: 7, num_faces: 2, num_masked: 1, num_unmasked: 1, category: 'some_masked' });
          xhr.onload?.();
        }),
    });
    const image = await client.uploadFile(new Blob(['jpeg bytes']), 'crowd <1>.jpg', (loaded, total) => progress.push([loaded, total]));
    assert.equal(image.id, 7);
    assert.deepEqual(progress, [
      [50, 100],
      [100, 100],
    ]);
    const xhr = FakeXhr.last;
    assert.ok(xhr !== null);
    assert.equal(xhr.method, 'POST');
    assert.equal(xhr.url, '/api/v1/images');
    assert.equal(xhr.headers['X-CSRF-Token'], 'token-from-get');
    const part = xhr.body?.get('file');
    assert.ok(part instanceof Blob);
    assert.equal((part as File).name, 'crowd <1>.jpg');
  });

  it('throws the server message of a refused upload', async () => {
    const client = new WorkerApiClient({
      fetch: sessionFetch,
      createXhr: () =>
        new FakeXhr((xhr) => {
          xhr.status = 413;
          xhr.responseText = JSON.stringify({ success: false, error: { code: 413, reason: 'too_large', message: 'the file is larger than 10 MB' } });
          xhr.onload?.();
        }),
    });
    await assert.rejects(client.uploadFile(new Blob(['x']), 'big.jpg'), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 413);
      assert.equal(e.message, 'the file is larger than 10 MB');
      return true;
    });
  });

  it('cancels an upload when its signal is aborted', async () => {
    const controller = new AbortController();
    const client = new WorkerApiClient({
      fetch: sessionFetch,
      // The server never answers; only the abort ends the request.
      createXhr: () => new FakeXhr(() => controller.abort()),
    });
    await assert.rejects(
      client.uploadFile(new Blob(['x']), 'a.jpg', undefined, controller.signal),
      (e: unknown) => e instanceof ApiError && e.reason === 'aborted',
    );
    assert.equal(FakeXhr.last?.aborted, true);
  });

  it('reports a network failure during the upload', async () => {
    const client = new WorkerApiClient({
      fetch: sessionFetch,
      createXhr: () => new FakeXhr((xhr) => xhr.onerror?.()),
    });
    await assert.rejects(client.uploadFile(new Blob(['x']), 'a.jpg'), (e: unknown) => e instanceof ApiError && e.status === 0);
  });
});
