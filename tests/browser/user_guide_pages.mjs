// The walk through every page of both apps that user_guide_run.mjs makes at the end
// of its run, saving the screenshots of docs/user-guide.md. Each screenshot is
// named after what docs/user-guide.md shows; a page is photographed once it is
// ready (`<html data-ready>`) and its data is drawn.

import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { savePng, sharedDir } from './harness.mjs';

const ALICE = { username: 'alice', password: 'alice-guide-password-1', email: 'alice@example.com' };
const PHOTOS = [
  'face-mask/images/maksssksksss119.png',
  'face-mask/images/maksssksksss240.png',
  'face-mask/images/maksssksksss21.png',
  'no-face/rocket.jpg',
  'face-mask/images/maksssksksss296.png',
];

async function newPage(browser, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  return page;
}

async function ready(page) {
  await page.waitForSelector('html[data-ready]', { state: 'attached' });
}

async function go(page, url) {
  await page.goto(url);
  await ready(page);
}

async function logIn(page, username, password) {
  await ready(page);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-submit');
}

/** The path of the newest reset link in any outbox under `dir` (mails are files). */
async function resetLink(dir) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const links = [];
    for (const file of await readdir(dir, { recursive: true }).catch(() => [])) {
      if (!file.includes('outbox')) continue;
      const text = await readFile(path.join(dir, file), 'utf8').catch(() => '');
      const match = /\/reset\?token=[A-Za-z0-9_\-.~%]+/.exec(text.replace(/=\r?\n/g, '').replace(/=3D/g, '='));
      if (match) links.push(match[0]);
    }
    if (links.length > 0) return links[links.length - 1];
    if (Date.now() > deadline) throw new Error(`no reset link in an outbox under ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function managerPages({ browser, manager, adminPassword, outDir, log }) {
  const shot = (page, name, options) => savePng(page, path.join(outDir, `${name}.png`), options);
  const page = await newPage(browser);
  await go(page, `${manager.url}/login`);
  await shot(page, 'manager-login');
  await logIn(page, 'admin', adminPassword);
  await page.waitForURL(`${manager.url}/`);
  await ready(page);
  await page.waitForSelector('#overview canvas');
  await page.waitForTimeout(1000);
  await shot(page, 'manager-pool');
  await shot(page, 'manager-pool-full', { fullPage: true });
  // The values under the cursor: the middle of the overview's first chart.
  const chart = page.locator('#overview .chart .u-over').first();
  const box = await chart.boundingBox();
  if (box !== null) {
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
    await page.waitForTimeout(300);
    await shot(page, 'manager-pool-hover', { clip: { x: 0, y: Math.max(0, box.y - 120), width: 1280, height: 520 } });
  }
  log('manager: pool');

  await go(page, `${manager.url}/policy`);
  await page.waitForSelector('#decisions-section:not([hidden])');
  await shot(page, 'manager-policy', { fullPage: true });
  await go(page, `${manager.url}/account`);
  await shot(page, 'manager-account');
  await go(page, `${manager.url}/`);
  await page.click('#delete-data-button');
  await page.waitForSelector('dialog[open]');
  await shot(page, 'manager-delete-dialog');
  await page.click('dialog[open] button[value="cancel"]');
  log('manager: policy, account, danger zone');
  await page.context().close();
}

/**
 * A worker of another binary on the run's data folder (it shares the database and
 * the photos with the pool), for photographing the user app as that binary serves
 * it while the run goes on: MASKFLEET_GUIDE_WORKER_BIN, or the file guide/worker-bin in
 * the run's folder. Resolves with its URL and stop().
 */
async function extraWorker(binary, manager) {
  const child = spawn(binary, ['worker', '--host', '127.0.0.1', '--port', '0', '--data-dir', manager.dataDir, '--name', 'guide'], {
    env: {
      ...process.env,
      MASKFLEET_WORKER_WEB_DIR: path.join(manager.tmp, 'web'),
      MASKFLEET_AUTH_PASSWORD_HASHING: 'minimum',
      MASKFLEET_MODEL_DIR: process.env.MASKFLEET_MODEL_DIR ?? path.join(sharedDir, 'models', 'aizoo-face-mask'),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the extra worker did not start in 120 s')), 120_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on ([\d.]+):(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}:${match[2]}`);
      }
    });
    child.once('exit', (code) => reject(new Error(`the extra worker exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

export async function workerPages(options) {
  // Also from the file guide/worker-bin in the run's folder, to choose it while a run goes on.
  const named = await readFile(path.join(options.manager.tmp, 'guide', 'worker-bin'), 'utf8').catch(() => '');
  const binary = process.env.MASKFLEET_GUIDE_WORKER_BIN ?? named.trim();
  if (binary === undefined || binary === '') return workerPagesAt(options, options.manager.lbUrl.replace(/\/$/, ''));
  const worker = await extraWorker(binary, options.manager);
  try {
    return await workerPagesAt(options, worker.url);
  } finally {
    await worker.stop();
  }
}

async function workerPagesAt({ browser, manager, adminPassword, outDir, log }, site) {
  const shot = (page, name, options) => savePng(page, path.join(outDir, `${name}.png`), options);
  const page = await newPage(browser);
  await go(page, `${site}/login`);
  await shot(page, 'login');

  // The administrator makes Alice's account on the users page.
  await logIn(page, 'admin', adminPassword);
  await page.waitForURL(/\/upload$/);
  await go(page, `${site}/admin/users`);
  if ((await page.locator('#users-body tr', { hasText: ALICE.username }).count()) === 0) {
    await page.fill('#new-username', ALICE.username);
    await page.fill('#new-password', ALICE.password);
    await page.fill('#new-email', ALICE.email);
    await page.click('#create-submit');
    await page.waitForSelector('#create-status[data-kind="success"]');
  }
  await page.waitForSelector('#users-body tr');
  await shot(page, 'admin-users');
  await page.click('#site-user button');
  await page.waitForURL(/\/login/);

  // Alice uploads her photos: the first through the page, the others through the API.
  await go(page, `${site}/login`);
  await logIn(page, ALICE.username, ALICE.password);
  await page.waitForURL(/\/upload$/);
  await ready(page);
  const ids = [];
  const already = await page.evaluate(async () => (await (await fetch('/api/v1/images?page_size=1')).json()).total);
  for (const photo of already >= PHOTOS.length - 1 ? [] : PHOTOS.slice(1)) {
    await page.setInputFiles('#file-input', path.join(sharedDir, 'testdata', photo));
    await page.click('#file-submit');
    await page.waitForSelector('#result:not([hidden])', { timeout: 120_000 });
    ids.push(await page.getAttribute('#result a[href^="/images/"]', 'href'));
    await go(page, `${site}/upload`);
  }
  await page.setInputFiles('#file-input', path.join(sharedDir, 'testdata', PHOTOS[0]));
  await page.click('#file-submit');
  await page.waitForSelector('#result:not([hidden])', { timeout: 120_000 });
  await page.waitForFunction(() => {
    const img = document.querySelector('#result img.photo');
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
  });
  const first = await page.getAttribute('#result a[href^="/images/"]', 'href');
  await shot(page, 'upload-result', { fullPage: true });
  log('worker: upload');

  await go(page, `${site}/history`);
  await page.waitForSelector('#grid .thumb');
  await page.waitForFunction(() => [...document.querySelectorAll('.thumb img')].every((img) => img.complete && img.naturalWidth > 0));
  await page.waitForTimeout(500);
  await shot(page, 'history', { fullPage: true });
  await go(page, `${site}${first}`);
  await page.waitForTimeout(500);
  await shot(page, 'image-detail', { fullPage: true });
  await go(page, `${site}/account`);
  await shot(page, 'account');
  log('worker: history, detail, account');

  // The same pages on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await go(page, `${site}/history`);
  await page.waitForTimeout(500);
  await shot(page, 'history-390', { fullPage: true });
  await go(page, `${site}${first}`);
  await page.waitForTimeout(500);
  await shot(page, 'image-detail-390', { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // Recovering a password: the request, then the page of the mailed link.
  await page.click('#site-user button');
  await page.waitForURL(/\/login/);
  await go(page, `${site}/forgot`);
  await page.fill('#username', ALICE.username);
  await page.click('#forgot-submit');
  await page.waitForSelector('#forgot-status[data-kind="success"]');
  await shot(page, 'forgot');
  try {
    const link = await resetLink(manager.dataDir);
    await go(page, `${site}${link}`);
    await shot(page, 'reset');
  } catch (error) {
    log(`reset page not photographed: ${error.message}`);
  }
  log('worker: forgot, reset');
  await page.context().close();
}

/** Every page of both apps, photographed into `outDir`. */
export async function photographEveryPage(options) {
  await managerPages(options);
  await workerPages(options);
}
