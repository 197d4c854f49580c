// Browser tests of the manager's pages against the real thing: `maskfleet manager`
// (harness.mjs starts it on 127.0.0.1 with port 0 for its pages and for HAProxy,
// and a fresh data folder) with its real workers, driven in Debian's chromium as
// an administrator would: the first login with the generated password and its
// forced change, the pool page with its live charts, growing the pool, the policy
// form (refused and accepted, by this page and by the server), pausing, deleting
// all data, and stopping the manager from the button, after which the process
// must exit 0 and leave no process behind. Every page is checked with axe-core
// and, when MASKFLEET_SCREENSHOTS_DIR is set, photographed for the documentation.
//
// Run: cd web && npm run test:browser:manager   (or: npm run screenshots:manager)

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { accessibilityProblems, launchBrowser, processesMentioning, screenshot, startManager } from './harness.mjs';

const NEW_PASSWORD = 'manager-admin-pw-2';
// Every time on the pages, in both apps: "27 Nov 2026, 21:05:03 UTC" (24-hour, with
// the zone; the browser runs in UTC), as the worker's pages write them.
const TIME = /^\d{1,2} [A-Z][a-z]{2} \d{4}, ([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)? UTC$/;
// A worker boots (model loaded, /healthz answering) in a few seconds; the machine may be busy.
const WORKER_START_MS = 180_000;

describe('manager pages in a browser', { timeout: 900_000 }, () => {
  let manager;
  let browser;
  let page;
  const pageErrors = [];
  const dialogs = [];

  before(async () => {
    manager = await startManager();
    assert.ok(manager.initialPassword, `no password in ${manager.passwordFile}`);
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  after(async () => {
    await browser?.close();
    await manager?.stop();
  });

  const ready = () => page.waitForSelector('html[data-ready]', { state: 'attached' });
  const go = async (path) => {
    const response = await page.goto(manager.url + path);
    await ready();
    return response;
  };
  const api = (path, init = {}) =>
    page.evaluate(
      async ({ path, init }) => {
        const response = await fetch(path, init);
        const text = await response.text();
        return { status: response.status, body: text === '' ? null : JSON.parse(text) };
      },
      { path, init },
    );

  async function expectAccessible(what) {
    const problems = await accessibilityProblems(page);
    assert.deepEqual(problems, [], `${what}: accessibility problems`);
  }

  async function logIn(username, password) {
    await ready();
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#login-submit');
  }

  /**
   * Waits for `count` worker rows, all in service, and the per-worker charts drawn
   * with a line (a legend entry) for each of them.
   */
  async function waitForWorkersInService(count) {
    try {
      await page.waitForFunction(
        (n) => {
          const rows = [...document.querySelectorAll('#worker-list > li.worker')];
          const legend = (id) => [...document.querySelectorAll(`#${id} .u-legend .u-series th`)].map((th) => th.textContent.trim());
          return (
            rows.length === n &&
            rows.every((row) => row.dataset.state === 'in_service') &&
            document.querySelector('#workers-cpu-chart canvas') !== null &&
            document.querySelector('#workers-requests-chart canvas') !== null &&
            rows.every((row) => legend('workers-cpu-chart').includes(row.dataset.workerId) && legend('workers-requests-chart').includes(row.dataset.workerId))
          );
        },
        count,
        { timeout: WORKER_START_MS, polling: 500 },
      );
    } catch (error) {
      const pool = await api('/api/v1/pool').catch(() => null);
      throw new Error(`${error.message}\npool: ${JSON.stringify(pool)}\nmanager log:\n${manager.log().slice(-4000)}`);
    }
  }

  it('sends a visitor without a session to the login page', async () => {
    await go('/policy');
    await page.waitForURL(/\/login/);
    await page.waitForSelector('#login-form');
    // The brand leads to the pool; this layout has no worker navigation.
    assert.equal(await page.getAttribute('a.brand', 'href'), '/');
    assert.equal(await page.isHidden('#danger-zone'), true);
    await expectAccessible('manager login');
  });

  it('shows the server message for a wrong password', async () => {
    await logIn('admin', 'not-the-password');
    await page.waitForSelector('#login-status[data-kind="error"]:not(:empty)');
    assert.equal(await page.inputValue('#password'), '');
  });

  it('asks for the generated initial password to be changed first', async () => {
    await logIn('admin', manager.initialPassword);
    await page.waitForURL(/\/account$/);
    await ready();
    await page.waitForSelector('#must-change:not([hidden])');
    assert.match(await page.textContent('#must-change'), /Change the initial password first/);
    const links = await page.$$eval('#site-nav a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    assert.deepEqual(links, [
      ['Pool', '/'],
      ['Policy', '/policy'],
      ['Account', '/account'],
    ]);
    assert.equal(await page.textContent('#site-user .user-name'), 'admin');
    // Until then the API refuses the rest, and the other pages lead back here.
    const pool = await api('/api/v1/pool');
    assert.equal(pool.status, 403);
    assert.equal(pool.body?.error?.reason, 'failed_precondition');
    assert.equal(await page.isHidden('#danger-zone'), true);
    await expectAccessible('manager account, initial password');
    await screenshot(page, 'manager-initial-password');
    await go('/');
    await page.waitForURL(/\/account$/);
    await ready();
    await page.waitForSelector('#must-change:not([hidden])');
  });

  it('changes the initial password (the form checks it first)', async () => {
    await page.fill('#current-password', manager.initialPassword);
    await page.fill('#new-password', 'short');
    await page.fill('#confirm-password', 'short');
    await page.click('#password-submit');
    assert.equal(await page.getAttribute('#new-password', 'aria-invalid'), 'true');

    await page.fill('#new-password', NEW_PASSWORD);
    await page.fill('#confirm-password', NEW_PASSWORD);
    await page.click('#password-submit');
    await page.waitForSelector('#password-status[data-kind="success"]');
    assert.equal(await page.isHidden('#must-change'), true);
    await page.waitForSelector('#danger-zone:not([hidden])');
    assert.equal(existsSync(manager.passwordFile), false, 'the initial password file is deleted once changed');
    const session = await api('/api/v1/session');
    assert.equal(session.body?.must_change_password, false);
  });

  it('shows the pool: one worker in service with its charts, the balancer link, the CPU limit', async () => {
    await page.click('#password-done a');
    await page.waitForURL(`${manager.url}/`);
    await ready();
    await page.waitForSelector('#pool-section:not([hidden])');
    await waitForWorkersInService(1);

    assert.equal(await page.textContent('#lb-link'), manager.lbUrl);
    assert.equal(await page.getAttribute('#lb-link', 'href'), manager.lbUrl);
    assert.match(await page.textContent('#cpu-limit'), /\S.*CPU.* per worker/);
    assert.equal(await page.textContent('#desired-size'), '1 worker');
    assert.equal(await page.isDisabled('#shrink-button'), true, 'shrink is disabled at the minimum');
    assert.equal(await page.isDisabled('#grow-button'), false);
    for (const chart of ['size-chart', 'pool-cpu-chart', 'pool-requests-chart']) {
      assert.ok(await page.$(`#${chart} canvas`), `${chart} drawn`);
    }

    const card = page.locator('#worker-list > li.worker').first();
    const facts = await card.locator('dt').allTextContents();
    for (const term of ['Launched', 'State since', 'Reason', 'PID', 'CPU allotment', 'CPU limit', 'Log', 'Load balancer']) {
      assert.ok(facts.includes(term), `worker facts lack ${term}: ${facts}`);
    }
    // The facts are folded away until asked for, from the keyboard too.
    assert.equal(await card.locator('dt:text-is("Launched")').isVisible(), false);
    await card.locator('button.worker-toggle').focus();
    await page.keyboard.press('Enter');
    assert.equal(await card.locator('button.worker-toggle').getAttribute('aria-expanded'), 'true');
    assert.equal(await card.locator('dt:text-is("Launched")').isVisible(), true);
    assert.match(await card.locator('.worker-address').textContent(), /^127\.0\.0\.1:\d+$/);
    assert.match(await card.locator('dt:text-is("Launched") + dd').textContent(), TIME);
    assert.match((await card.locator('dt:text-is("State since") + dd').textContent()).replace(/ \(for .*\)$/, ''), TIME);
    assert.match(await page.textContent('#refresh-note'), /^Updated ([01]\d|2[0-3]):[0-5]\d:[0-5]\d UTC;/);
    assert.equal(await card.locator('.badge').textContent(), 'In service');
    assert.match(await card.locator('.worker-brief').textContent(), /balancer: up$/i);
    // Labelled axes: time (with the zone) on x; CPU % of the allotment and requests per minute on y.
    assert.equal(await page.getAttribute('#workers-cpu-chart', 'data-axes'), 'time (UTC) | CPU %');
    assert.equal(await page.getAttribute('#workers-requests-chart', 'data-axes'), 'time (UTC) | requests / min');
    assert.equal(await page.getAttribute('#pool-cpu-chart', 'data-axes'), 'time (UTC) | CPU %');
    assert.match(await page.textContent('#workers-cpu-chart figcaption'), /CPU % of allotment of w\S+, past 30 minutes/);
    assert.match(await page.textContent('#pool-cpu-chart figcaption'), /% of allotment/);
    // The grow and shrink thresholds are lines of the pool's CPU chart.
    const cpuLegend = await page.$$eval('#pool-cpu-chart .u-legend .u-series th', (ths) => ths.map((th) => th.textContent.trim()));
    assert.deepEqual(cpuLegend, ['UTC', 'average', 'grow at', 'shrink at']);
    // Hovering a chart shows the values under the cursor in its legend, with the time.
    await page.evaluate(() => window.scrollTo(0, 0));
    const over = await page.locator('#pool-cpu-chart .u-over').boundingBox();
    await page.mouse.move(over.x + over.width - 3, over.y + over.height / 2);
    await page.waitForFunction(() => {
      const values = [...document.querySelectorAll('#pool-cpu-chart .u-legend .u-value')].map((v) => v.textContent);
      return /^([01]\d|2[0-3]):[0-5]\d UTC$/.test(values[0] ?? '') && values[2] === '70%' && values[3] === '30%';
    });
    await page.mouse.move(0, 0);
    await expectAccessible('manager pool');
  });

  it('refreshes in place: the same charts get new data, no page reload', async () => {
    await page.evaluate(() => {
      window.__samePage = true;
      for (const canvas of document.querySelectorAll('canvas')) canvas.dataset.marked = 'yes';
    });
    const before = await page.textContent('#refresh-note');
    await page.waitForFunction((text) => document.querySelector('#refresh-note')?.textContent !== text, before, {
      timeout: 15_000,
    });
    assert.equal(await page.evaluate(() => window.__samePage), true);
    const unmarked = await page.$$eval('canvas', (canvases) => canvases.filter((c) => c.dataset.marked !== 'yes').length);
    assert.equal(unmarked, 0, 'charts were recreated instead of updated');
  });

  it('grows the pool by one and shows two workers in service', async () => {
    // From the keyboard: the button takes the focus and Enter presses it.
    await page.focus('#grow-button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#size-status[data-kind="success"]');
    assert.match(await page.textContent('#size-status'), /2 workers/);
    await waitForWorkersInService(2);
    assert.equal(await page.textContent('#desired-size'), '2 workers');
    assert.equal(await page.isDisabled('#shrink-button'), false);
    await page.waitForFunction(() => /2 in service/.test(document.querySelector('#pool-counts')?.textContent ?? ''));
    await expectAccessible('manager pool, two workers');
    await screenshot(page, 'manager-pool', { fullPage: true });
  });

  it('fits a 375 px wide screen', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.waitForTimeout(300); // the charts follow their width
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('fits 8 live and 8 earlier workers in two screen heights at 1280x900, actions in reach', async () => {
    // The pool's and the metrics' answers for a pool of 16 workers (8 stopped, of an
    // earlier run), with the AWS pool's details as [label, value] pairs.
    const now = Math.floor(Date.now() / 60_000) * 60;
    const minutes = Array.from({ length: 30 }, (_, i) => now - (29 - i) * 60);
    const iso = (seconds) => new Date(seconds * 1000).toISOString();
    const live = Array.from({ length: 8 }, (_, i) => ({
      id: `i-0a1b2c3d4e5f6a7b${i}`,
      address: `10.0.1.${10 + i}`,
      port: 8081,
      state: 'in_service',
      launched_at: iso(now - 1500 + i * 60),
      state_since: iso(now - 1440 + i * 60),
      reason: '',
      details: [['Instance type', 't3.small'], ['Zone', i % 2 === 0 ? 'eu-west-1a' : 'eu-west-1b'], ['Target health', 'healthy']],
      balancer: { state: 'healthy', healthy: true, check: 'HTTP 200', active_connections: i },
    }));
    const pool = {
      desired_size: 8,
      counts: { starting: 0, in_service: 8, draining: 0 },
      load_balancer: { kind: 'alb', entry_url: 'http://maskfleet-alb.example.com/' },
      cpu_limit: { mechanism: 'instance type', allotment_cpus: 2, note: '' },
      bounds: { min: 1, max: 16 },
      workers: live,
    };
    const series = (base) => minutes.map((_, i) => base + ((i * 7) % 13));
    const metrics = {
      minutes,
      pool_size: { in_service: minutes.map((_, i) => Math.min(8, 1 + Math.floor(i / 3))), starting: minutes.map(() => 0) },
      workers: [
        ...live.map((w, i) => ({ id: w.id, cpu_percent: series(30 + i * 4), requests_per_minute: series(40 + i) })),
        ...Array.from({ length: 8 }, (_, i) => ({
          id: `i-0fedcba98765432${i}`,
          cpu_percent: minutes.map((_, k) => (k < 10 ? 20 + i : null)),
          requests_per_minute: minutes.map((_, k) => (k < 10 ? 30 + i : null)),
        })),
      ],
    };
    await page.route('**/api/v1/pool', (route) => route.fulfill({ json: pool }));
    await page.route('**/api/v1/metrics?*', (route) => route.fulfill({ json: metrics }));
    try {
      await page.setViewportSize({ width: 1280, height: 900 });
      await go('/');
      await page.waitForFunction(() => document.querySelectorAll('#worker-list > li.worker').length === 8, null, { timeout: 15_000 });
      await page.waitForFunction(() => document.querySelectorAll('#earlier-list > li.worker').length === 8);
      assert.equal(await page.textContent('#workers-count'), '8 workers running, 8 stopped');
      // Earlier workers are folded away; the live ones come first, one line each.
      assert.equal(await page.getAttribute('#earlier-workers', 'open'), null);
      assert.equal(await page.textContent('#earlier-summary'), '8 stopped workers, of this run and earlier ones');
      const rowHeights = await page.$$eval('#worker-list > li.worker', (rows) => rows.map((r) => r.getBoundingClientRect().height));
      assert.ok(Math.max(...rowHeights) <= 48, `a live worker's row is ${Math.max(...rowHeights)} px high`);
      // Comparable: one chart per measure with a line per worker, the stopped ones with data included.
      const lines = await page.$$eval('#workers-cpu-chart .u-legend .u-series th', (ths) => ths.length - 1);
      assert.equal(lines, 16);
      // The AWS pool's details as chips.
      assert.deepEqual(await page.locator('#worker-list > li.worker').first().locator('.chip').allTextContents(), [
        'Instance type: t3.small',
        'Zone: eu-west-1a',
        'Target health: healthy',
      ]);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(height <= 2 * 900, `the pool page is ${height} px high (two screens: 1800)`);
      // At the bottom, the grow and shrink buttons are still on the screen, and the danger zone is.
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      for (const id of ['#grow-button', '#shrink-button', '#delete-data-button', '#stop-manager-button']) {
        const box = await page.locator(id).boundingBox();
        assert.ok(box !== null && box.y >= 0 && box.y + box.height <= 900, `${id} is off the screen at the bottom of the page`);
      }
      // Unfolded, the earlier workers are there too.
      await page.click('#earlier-summary');
      assert.equal(await page.locator('#earlier-list > li.worker').first().isVisible(), true);
      await expectAccessible('manager pool, 16 workers');
    } finally {
      await page.unroute('**/api/v1/pool');
      await page.unroute('**/api/v1/metrics?*');
    }
  });

  it('refuses an invalid policy in the page, naming the field', async () => {
    await page.click('#site-nav a[href="/policy"]');
    await page.waitForURL(/\/policy$/);
    await ready();
    await page.waitForSelector('#policy-section:not([hidden])');
    assert.equal(await page.inputValue('#grow_threshold'), '70');
    await expectAccessible('manager policy');

    await page.fill('#shrink_threshold', '80');
    await page.click('#policy-submit');
    await page.waitForSelector('#policy-status[data-kind="error"]');
    assert.match(await page.textContent('#policy-status'), /Shrink threshold \(80%\) must be below the grow threshold \(70%\)/);
    assert.equal(await page.getAttribute('#shrink_threshold', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#shrink_threshold-error'), /Shrink threshold/);

    await page.fill('#shrink_threshold', '30');
    await page.fill('#max_workers', '');
    await page.click('#policy-submit');
    assert.match(await page.textContent('#policy-status'), /Maximum workers is missing/);
    assert.equal(await page.getAttribute('#shrink_threshold', 'aria-invalid'), null);
    await page.fill('#max_workers', '8');
    await expectAccessible('manager policy, refused');
  });

  it('shows the server refusal of an invalid policy next to the form', async () => {
    // What the page would never send: the request is changed on its way to the real server.
    await page.route('**/api/v1/policy', async (route) => {
      const request = route.request();
      if (request.method() !== 'PUT') return route.continue();
      const body = { ...JSON.parse(request.postData() ?? '{}'), expand_ratio: 1 };
      return route.continue({ postData: JSON.stringify(body) });
    });
    try {
      await page.click('#policy-submit');
      await page.waitForSelector('#policy-status[data-kind="error"]');
      assert.match(await page.textContent('#policy-status'), /refused the policy: .*expand ratio/i);
      assert.equal(await page.getAttribute('#expand_ratio', 'aria-invalid'), 'true');
    } finally {
      await page.unroute('**/api/v1/policy');
    }
    const stored = await api('/api/v1/policy');
    assert.equal(stored.body.expand_ratio, 2, 'a refused policy changes nothing');
  });

  it('saves a valid policy, and pauses and resumes the auto-scaler', async () => {
    const values = {
      grow_threshold: '75',
      shrink_threshold: '25',
      expand_ratio: '1.5',
      shrink_ratio: '0.5',
      min_workers: '1',
      max_workers: '6',
      check_interval_seconds: '30',
      window_seconds: '120',
      shrink_stabilisation_seconds: '240',
    };
    for (const [field, value] of Object.entries(values)) await page.fill(`#${field}`, value);
    await page.click('#policy-submit');
    await page.waitForSelector('#policy-status[data-kind="success"]');
    assert.equal(await page.getAttribute('#expand_ratio', 'aria-invalid'), null);
    const stored = (await api('/api/v1/policy')).body;
    for (const [field, value] of Object.entries(values)) assert.equal(stored[field], Number(value), field);
    assert.equal(stored.paused, false);

    assert.equal(await page.textContent('#pause-button'), 'Pause auto-scaling');
    await page.click('#pause-button');
    await page.waitForSelector('#pause-status[data-kind="success"]');
    assert.equal(await page.textContent('#pause-button'), 'Resume auto-scaling');
    assert.equal((await api('/api/v1/policy')).body.paused, true);
    assert.equal((await api('/api/v1/policy')).body.max_workers, 6, 'pausing keeps the rest of the policy');
    await page.click('#pause-button');
    await page.waitForFunction(() => document.querySelector('#pause-button')?.textContent === 'Pause auto-scaling');
    assert.equal((await api('/api/v1/policy')).body.paused, false);

    await page.waitForSelector('#decisions-section:not([hidden]) #decisions-body tr');
    // The log shows the resizes; a switch shows every check. The times are written
    // as every time is, the reasons as sentences (the checks are given to the page
    // on its next refresh: the first real decision may be a check interval away).
    const decisions = [
      { time: '2026-11-27T21:07:03Z', average_cpu: 20.5, size_before: 2, size_after: 2, action: 'hold', reason: 'average CPU 20.5% over 2 min is within the thresholds' },
      { time: '2026-11-27T21:06:03Z', average_cpu: 82, size_before: 1, size_after: 2, action: 'grow', reason: 'average CPU 82.0% over 2 min is above the grow threshold 70%: grow 1 -> 2' },
      { time: '2026-11-27T21:05:03Z', average_cpu: 12.5, size_before: 1, size_after: 1, action: 'hold', reason: 'paused' },
    ];
    await page.route('**/api/v1/decisions?*', (route) => route.fulfill({ json: { decisions } }));
    try {
      await page.waitForSelector('#decisions-body time[datetime="2026-11-27T21:06:03Z"]', { timeout: 15_000 });
      assert.equal(await page.$$eval('#decisions-body tr', (rows) => rows.length), 1);
      assert.equal(await page.textContent('#decisions-count'), '1 resize in the latest 3 checks');
      const time = await page.textContent('#decisions-body time');
      assert.match(time, TIME);
      assert.equal(time, '27 Nov 2026, 21:06:03 UTC');
      assert.equal(
        await page.textContent('#decisions-body tr td:last-child'),
        'Average CPU 82.0% over 2 min is above the grow threshold 70%, so the pool grows from 1 to 2 workers.',
      );
      // The switch, from the keyboard.
      await page.focus('#show-every-check');
      await page.keyboard.press('Space');
      assert.equal(await page.$$eval('#decisions-body tr', (rows) => rows.map((r) => r.dataset.action).join(' ')), 'hold grow hold');
      assert.equal(await page.textContent('#decisions-count'), 'Latest 3 checks, newest first');
      assert.equal(await page.textContent('#decisions-body tr:last-child td:last-child'), 'Paused.');
      await page.keyboard.press('Space');
      assert.equal(await page.$$eval('#decisions-body tr', (rows) => rows.length), 1);
    } finally {
      await page.unroute('**/api/v1/decisions?*');
    }
    await expectAccessible('manager policy, saved');
    await screenshot(page, 'manager-policy', { fullPage: true });
  });

  it('logs out, and a new login returns to the page asked for', async () => {
    await page.click('#site-user button');
    await page.waitForURL(/\/login$/);
    await go('/policy');
    await page.waitForURL(/\/login\?next=/);
    await logIn('admin', NEW_PASSWORD);
    await page.waitForURL(/\/policy$/);
    await ready();
    await page.waitForSelector('#policy-section:not([hidden])');
    await page.waitForSelector('#danger-zone:not([hidden])');
  });

  it('deletes all data only after the phrase is typed', async () => {
    // The dialog from the keyboard: Escape closes it and gives the focus back.
    await page.focus('#delete-data-button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[open]', { state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'delete-data-button');
    await page.click('#delete-data-button');
    await page.waitForSelector('dialog[open]');
    assert.equal(await page.isDisabled('dialog[open] button[value="confirm"]'), true);
    await expectAccessible('delete all data dialog');
    await page.fill('dialog[open] input', 'delete all');
    assert.equal(await page.isDisabled('dialog[open] button[value="confirm"]'), true);
    await page.fill('dialog[open] input', 'delete all data');
    await page.click('dialog[open] button[value="confirm"]');
    await page.waitForSelector('#danger-status[data-kind="success"]');
    assert.match(await page.textContent('#danger-status'), /All data deleted: 0 image records and 0 stored objects/);
  });

  it('stops the manager from the button: the page says so, the process exits 0, nothing is left', async () => {
    await page.click('#stop-manager-button');
    await page.waitForSelector('dialog[open]');
    await page.click('dialog[open] button[value="cancel"]');
    await page.waitForSelector('dialog', { state: 'detached' });
    assert.equal(manager.log().includes('stop requested'), false);

    await page.click('#stop-manager-button');
    await page.click('dialog[open] button[value="confirm"]');
    await page.waitForSelector('#stop-status');
    let timer;
    const exit = await Promise.race([
      manager.exited,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still running after 180 s'), 180_000);
      }),
    ]);
    clearTimeout(timer);
    assert.deepEqual(exit, { code: 0, signal: null }, `manager log:\n${manager.log().slice(-4000)}`);
    await page.waitForFunction(
      () => /The manager has stopped/.test(document.querySelector('#stop-status')?.textContent ?? ''),
      null,
      { timeout: 30_000 },
    );
    assert.equal(await page.isHidden('#danger-zone'), true);
    // Its workers and HAProxy went with it.
    let left = processesMentioning(manager.tmp);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = processesMentioning(manager.tmp);
    }
    assert.deepEqual(left, [], 'processes left behind');
  });

  it('ran without script errors', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(dialogs, []);
  });
});
