// What the browser tests stand on: a real worker (or manager) on 127.0.0.1 with a
// temporary data folder, the web pages built from this tree, and Debian's chromium
// driven by playwright-core (from web/node_modules; `npm ci` in web/ installs it).
//
// Environment:
//   MASKFLEET_BIN             the binary (default: build/maskfleet)
//   MASKFLEET_SHARED_DIR      folder with models/ and testdata/ (default: ../shared)
//   MASKFLEET_CHROMIUM        the browser (default: /usr/bin/chromium)
//   MASKFLEET_SCREENSHOTS_DIR where to save the pages' screenshots (default: none saved;
//                             `npm run screenshots` in web/ sets it to build/screenshots;
//                             the user guide's come from `npm run screenshots:guide`)

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const webRequire = createRequire(path.join(root, 'web', 'package.json'));
export const { chromium } = webRequire('playwright-core');
const axeSource = readFileSync(webRequire.resolve('axe-core/axe.min.js'), 'utf8');

export const bin = path.resolve(root, process.env.MASKFLEET_BIN ?? 'build/maskfleet');
export const sharedDir = path.resolve(root, process.env.MASKFLEET_SHARED_DIR ?? '../shared');
export const chromiumPath = process.env.MASKFLEET_CHROMIUM ?? '/usr/bin/chromium';
export const screenshotsDir = process.env.MASKFLEET_SCREENSHOTS_DIR
  ? path.resolve(process.env.MASKFLEET_SCREENSHOTS_DIR)
  : null;

export function testPhoto(name) {
  return path.join(sharedDir, 'testdata', name);
}

/** Builds the pages of web/ into `outDir` (the type check is npm test's job). */
export function buildWeb(outDir) {
  const result = spawnSync(process.execPath, [path.join(root, 'web', 'build.mjs'), outDir, '--no-typecheck'], {
    cwd: path.join(root, 'web'),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`web build failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Starts `maskfleet worker` on 127.0.0.1, port 0, with a fresh data folder and
 * the first administrator from the environment (configuration at first start).
 * Resolves when it prints "listening on HOST:PORT".
 */
export async function startWorker({ adminName, adminPassword, env: extraEnv = {} }) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'maskfleet-browser-'));
  const webDir = path.join(tmp, 'web');
  buildWeb(webDir);
  const env = {
    ...process.env,
    MASKFLEET_WORKER_WEB_DIR: webDir,
    MASKFLEET_ADMIN_USERNAME: adminName,
    MASKFLEET_ADMIN_PASSWORD: adminPassword,
    // The cheapest Argon2id settings: the tests log in many times on 2 cores.
    MASKFLEET_AUTH_PASSWORD_HASHING: 'minimum',
    ...extraEnv,
  };
  if (!env.MASKFLEET_MODEL_DIR) env.MASKFLEET_MODEL_DIR = path.join(sharedDir, 'models', 'aizoo-face-mask');
  const child = spawn(bin, ['worker', '--host', '127.0.0.1', '--port', '0', '--data-dir', path.join(tmp, 'data')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`worker did not start in 60 s:\n${log}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on ([\d.]+):(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}:${match[2]}`);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before listening:\n${log}`));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return {
    url,
    dataDir: path.join(tmp, 'data'),
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `maskfleet manager` on 127.0.0.1 with port 0 for its pages and for the
 * load balancer, and a fresh data folder (so it creates the user `admin` with a
 * generated password). Resolves when it prints "manager listening on URL load
 * balancer URL", with the password read from DIR/initial-admin-password.
 * `exited` resolves with { code, signal } when the process ends.
 */
export async function startManager({ env: extraEnv = {} } = {}) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'maskfleet-browser-manager-'));
  const webDir = path.join(tmp, 'web');
  const dataDir = path.join(tmp, 'data');
  buildWeb(webDir);
  const env = {
    ...process.env,
    // The manager serves the pages of the workers' web_dir; its workers inherit it.
    MASKFLEET_WORKER_WEB_DIR: webDir,
    MASKFLEET_AUTH_PASSWORD_HASHING: 'minimum',
    ...extraEnv,
  };
  if (!env.MASKFLEET_MODEL_DIR) env.MASKFLEET_MODEL_DIR = path.join(sharedDir, 'models', 'aizoo-face-mask');
  const child = spawn(
    bin,
    ['manager', '--host', '127.0.0.1', '--port', '0', '--lb-port', '0', '--data-dir', dataDir],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const urls = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`manager did not start in 120 s:\n${log}`)), 120_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /manager listening on (http:\/\/[\d.]+:\d+)\/? load balancer (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], lbUrl: match[2] });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`manager exited with ${code} before listening:\n${log}`));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const passwordFile = path.join(dataDir, 'initial-admin-password');
  return {
    ...urls,
    dataDir,
    tmp,
    pid: child.pid,
    passwordFile,
    initialPassword: existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : null,
    exited,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * The processes (pid and command line) whose command line mentions `text`: what a
 * stopped manager must not leave behind (its workers and HAProxy name its data folder).
 */
export function processesMentioning(text) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline !== '' && cmdline.includes(text)) found.push({ pid: Number(entry), cmdline });
  }
  return found;
}

/**
 * A static file server on 127.0.0.1 (port 0) for photos "from the web".
 * Answers 404 for anything not in `files` (URL path -> file on disk).
 */
export async function servePhotos(files) {
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url, 'http://x').pathname];
    if (file === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not here');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'Content-Type': file.endsWith('.png') ? 'image/png' : 'image/jpeg', 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Debian's chromium, headless, with a fresh profile folder that is removed on
 * close. CSP is bypassed only so that the accessibility checker can be injected.
 */
export async function launchBrowser() {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'maskfleet-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    bypassCSP: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs axe-core on the page and returns the serious and critical violations as
 * readable lines (empty when there are none).
 */
export async function accessibilityProblems(page) {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.join(', ')}`);
}

/**
 * Saves a screenshot as <MASKFLEET_SCREENSHOTS_DIR>/<name>.png when screenshots
 * are asked for (savePng's reduction included).
 */
export async function screenshot(page, name, options = {}) {
  if (screenshotsDir === null) return;
  await savePng(page, path.join(screenshotsDir, `${name}.png`), options);
}

/**
 * Saves a screenshot of `page` as `file`; with pngquant installed (Debian's
 * `pngquant`), reduced to 256 colours so that the documentation's pictures stay small.
 */
export async function savePng(page, file, options = {}) {
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, ...options });
  const quant = spawnSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--quality', '70-95', '--output', file, file]);
  if (quant.error === undefined && ![0, 98, 99].includes(quant.status)) {
    throw new Error(`pngquant failed on ${file}: ${quant.stderr}`);
  }
}
