// The user guide's screenshots (docs/user-guide.md), from a real run: starts
// `maskfleet manager` on 127.0.0.1 (port 0 for its pages and for HAProxy, a fresh
// data folder), sets a policy, sends uploads through the load balancer with
// `maskfleet loadgen` at a low rate, then a higher one, then the low one again, so
// that the auto-scaler grows the pool and shrinks it back, and at the end walks
// through every page of both apps in chromium (user_guide_pages.mjs), saving
// docs/screenshots/*.png. The manager is stopped and its folder removed afterwards.
//
//   cd web && npm run screenshots:guide
//
// Environment:
//   MASKFLEET_GUIDE_MINUTES   length of the load, at least 30 (default 36): the low
//                             rate until 26 minutes before the end, the higher rate
//                             for 12 minutes, the low rate for the last 14, so the
//                             charts' 30 minutes show the change in both directions
//   MASKFLEET_GUIDE_RETRIES   when the walk through the pages fails, how many times
//                             to try it again, a minute apart, with the pages built
//                             again from web/ (default 0; for work on the pages)
//   MASKFLEET_GUIDE_WORKER_BIN  photograph the photo app on an extra worker of this
//                             binary on the run's data folder rather than through the
//                             load balancer (for work on the worker while a run goes
//                             on; the file guide/worker-bin in the run's folder does
//                             the same)
//   and the harness's (harness.mjs): MASKFLEET_BIN, MASKFLEET_SHARED_DIR,
//   MASKFLEET_CHROMIUM; MASKFLEET_SCREENSHOTS_DIR (default docs/screenshots).
//
// It costs about 0.2 CPU on average for the length of the run (one worker of 0.25
// CPU at the low rate, two at the higher one); loadgen and the manager run under
// `nice`. Exit status 0 when every page was photographed.

import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { bin, buildWeb, chromium, chromiumPath, root, sharedDir, startManager } from './harness.mjs';

const minutes = Number(process.env.MASKFLEET_GUIDE_MINUTES ?? 36);
const retries = Number(process.env.MASKFLEET_GUIDE_RETRIES ?? 0);
const outDir = path.resolve(process.env.MASKFLEET_SCREENSHOTS_DIR ?? path.join(root, 'docs', 'screenshots'));
if (!(minutes >= 30)) throw new Error('MASKFLEET_GUIDE_MINUTES must be at least 30');

// Uploads per second. On a shared two-core machine one worker (0.25 CPU) ran at
// about 8% CPU at the low rate and 63% at the higher one, so the grow threshold is
// 60%: the pool grows to two workers (about 32% each, above the shrink threshold)
// and shrinks back once the rate falls.
const LOW_RATE = 0.2;
const HIGH_RATE = 2;
const POLICY = {
  grow_threshold: 60,
  shrink_threshold: 30,
  expand_ratio: 2,
  shrink_ratio: 0.5,
  min_workers: 1,
  max_workers: 4,
  check_interval_seconds: 60,
  window_seconds: 120,
  shrink_stabilisation_seconds: 300,
  paused: false,
};
export const ADMIN_PASSWORD = 'guide-admin-password-1';
export const LOAD_USER = { username: 'loadgen', password: 'guide-loadgen-password-1' };

const log = (text) => console.error(`[guide ${new Date().toISOString().slice(11, 19)}] ${text}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** JSON calls from Node with a session's cookies and its CSRF token. */
export class Session {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
    this.csrf = '';
  }

  async call(method, route, body) {
    const headers = { 'Content-Type': 'application/json' };
    if (this.csrf !== '') headers['X-CSRF-Token'] = this.csrf;
    if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(this.base + route, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
    return text === '' ? null : JSON.parse(text);
  }

  async logIn(username, password) {
    const answer = await this.call('POST', '/api/v1/session', { username, password });
    this.csrf = answer.csrf_token;
    return answer;
  }
}

function profileText() {
  const first = minutes - 26;
  return `# duration_seconds rate\n${first * 60} ${LOW_RATE}\n${12 * 60} ${HIGH_RATE}\n${14 * 60} ${LOW_RATE}\n`;
}

async function waitForInService(admin, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pool = await admin.call('GET', '/api/v1/pool');
    if (pool.counts.in_service >= count) return pool;
    if (Date.now() > deadline) throw new Error(`no ${count} worker(s) in service: ${JSON.stringify(pool.counts)}`);
    await sleep(1000);
  }
}

async function main() {
  log(`binary ${bin}; ${minutes} minutes of load; screenshots to ${outDir}`);
  const manager = await startManager();
  let loadgen = null;
  let browser = null;
  const stopAll = async () => {
    if (loadgen !== null && loadgen.exitCode === null) loadgen.kill('SIGTERM');
    await browser?.close().catch(() => {});
    await manager.stop();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));
  try {
    log(`manager ${manager.url}, load balancer ${manager.lbUrl}`);
    // The first login and the change of the generated password (the page that asks
    // for it is photographed by the browser test of the manager's pages).
    const admin = new Session(manager.url);
    await admin.logIn('admin', manager.initialPassword);
    const changed = await admin.call('POST', '/api/v1/password', {
      current_password: manager.initialPassword,
      new_password: ADMIN_PASSWORD,
    });
    admin.csrf = changed.csrf_token;
    await admin.call('PUT', '/api/v1/policy', POLICY);
    await waitForInService(admin, 1, 180_000);

    // The load's account, made by the administrator through the worker's API.
    // (HAProxy sends requests to a new worker once its own health check passed.)
    const workerAdmin = new Session(manager.lbUrl.replace(/\/$/, ''));
    for (let attempt = 1; ; attempt++) {
      try {
        await workerAdmin.logIn('admin', ADMIN_PASSWORD);
        break;
      } catch (error) {
        if (attempt === 60) throw error;
        await sleep(1000);
      }
    }
    await workerAdmin.call('POST', '/api/v1/users', { ...LOAD_USER, email: 'loadgen@example.com' });

    const runDir = path.join(manager.tmp, 'guide');
    const photos = path.join(runDir, 'photos');
    mkdirSync(photos, { recursive: true });
    const photo = path.join(sharedDir, 'testdata', 'face-mask', 'images', 'maksssksksss180.png');
    copyFileSync(photo, path.join(photos, 'load.png'));
    writeFileSync(path.join(runDir, 'profile.txt'), profileText());
    const args = ['-n', '10', bin, 'loadgen', '--profile', path.join(runDir, 'profile.txt'), '--json',
      `${manager.lbUrl.replace(/\/$/, '')}/api/upload`, LOAD_USER.username, LOAD_USER.password, '0', photos, '0'];
    log(`load: ${profileText().split('\n').slice(1).join(' | ')}`);
    loadgen = spawn('nice', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let summary = '';
    loadgen.stdout.on('data', (chunk) => {
      summary += chunk;
    });
    const loadDone = new Promise((resolve) => loadgen.once('exit', resolve));
    const ticker = setInterval(() => {
      admin
        .call('GET', '/api/v1/pool')
        .then((pool) => log(`pool: desired ${pool.desired_size}, ${JSON.stringify(pool.counts)}`))
        .catch((error) => log(`pool: ${error.message}`));
    }, 60_000);
    const status = await loadDone;
    clearInterval(ticker);
    log(`loadgen exited with ${status}: ${summary.trim()}`);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    });
    for (let attempt = 0; ; attempt++) {
      try {
        buildWeb(path.join(manager.tmp, 'web')); // the pages as web/ has them now
        const tour = await import(`${pathToFileURL(path.join(root, 'tests', 'browser', 'user_guide_pages.mjs'))}?${Date.now()}`);
        await tour.photographEveryPage({ browser, manager, adminPassword: ADMIN_PASSWORD, outDir, log });
        break;
      } catch (error) {
        log(`the walk through the pages failed: ${error.stack ?? error}`);
        if (attempt >= retries) throw error;
        log(`trying again in a minute (${retries - attempt} left)`);
        await sleep(60_000);
      }
    }
    log('done');
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
