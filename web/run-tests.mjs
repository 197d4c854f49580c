// `npm test`: type-checks the unit tests (test/tsconfig.json, strict), compiles
// each test/*.test.ts with esbuild into .test-build/ (Node ESM, the modules of
// src/ bundled in), and runs them with Node's built-in test runner.
// No test framework beyond node:test and node:assert.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const testDir = path.join(here, 'test');
const outDir = path.join(here, '.test-build');

const tsc = spawnSync(path.join(here, 'node_modules', '.bin', 'tsc'), ['-p', 'test/tsconfig.json', '--noEmit'], {
  cwd: here,
  stdio: 'inherit',
});
if (tsc.error) throw tsc.error;
if (tsc.status !== 0) {
  console.error('test: type check failed');
  process.exit(1);
}

const tests = readdirSync(testDir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
await esbuild.build({
  entryPoints: tests.map((f) => path.join(testDir, f)),
  outdir: outDir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  sourcemap: 'inline',
  logLevel: 'warning',
});

const files = tests.map((f) => path.join(outDir, f.replace(/\.ts$/, '.mjs')));
const run = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...files], { cwd: here, stdio: 'inherit' });
if (run.error) throw run.error;
process.exit(run.status ?? 1);
