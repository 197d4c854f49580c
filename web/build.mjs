// Builds the worker's web pages into OUTDIR:
//
//   OUTDIR/static/app.js, app.js.map    the TypeScript bundle (esbuild, minified, ES2020)
//   OUTDIR/static/app.css, app.css.map  the stylesheet
//   OUTDIR/static/favicon.svg
//   OUTDIR/pages/<name>.html            each template of pages/ inside pages/_layout.html
//
// Usage: node build.mjs OUTDIR [--no-typecheck]   (or: npm run build -- OUTDIR)
// A relative OUTDIR is taken from the folder npm was started in. The type check
// (tsc --noEmit, strict) runs first and stops the build on any error.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outArg = args.find((a) => !a.startsWith('--'));
if (outArg === undefined) {
  console.error('usage: node build.mjs OUTDIR [--no-typecheck]');
  process.exit(2);
}
const outDir = path.resolve(process.env.INIT_CWD ?? process.cwd(), outArg);
const staticDir = path.join(outDir, 'static');
const pagesOut = path.join(outDir, 'pages');

function typecheck(project) {
  const tsc = path.join(here, 'node_modules', '.bin', 'tsc');
  const result = spawnSync(tsc, ['-p', project, '--noEmit'], { cwd: here, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status === 0;
}

if (!args.includes('--no-typecheck')) {
  if (!typecheck('tsconfig.json')) {
    console.error('build: type check failed');
    process.exit(1);
  }
}

rmSync(staticDir, { recursive: true, force: true });
rmSync(pagesOut, { recursive: true, force: true });
mkdirSync(staticDir, { recursive: true });
mkdirSync(pagesOut, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'es2020',
  logLevel: 'warning',
  legalComments: 'none',
};
await esbuild.build({
  ...common,
  entryPoints: [path.join(here, 'src', 'main.ts')],
  outfile: path.join(staticDir, 'app.js'),
  format: 'iife',
  platform: 'browser',
});
await esbuild.build({
  ...common,
  entryPoints: [path.join(here, 'src', 'styles', 'app.css')],
  outfile: path.join(staticDir, 'app.css'),
  // Keep the CSS as written for these browsers; esbuild lowers nothing older.
  target: ['chrome90', 'firefox90', 'safari14'],
});
copyFileSync(path.join(here, 'assets', 'favicon.svg'), path.join(staticDir, 'favicon.svg'));

// A short hash of the bundle, appended to the asset addresses (?v=) so that a
// browser never mixes an old script with a new page.
const version = createHash('sha256')
  .update(readFileSync(path.join(staticDir, 'app.js')))
  .update(readFileSync(path.join(staticDir, 'app.css')))
  .digest('hex')
  .slice(0, 12);

const pagesDir = path.join(here, 'pages');
const layout = readFileSync(path.join(pagesDir, '_layout.html'), 'utf8');
const metaPattern = /^<!--\s*(\{.*\})\s*-->\s*\n/;
let count = 0;
for (const file of readdirSync(pagesDir).sort()) {
  if (!file.endsWith('.html') || file.startsWith('_')) continue;
  const source = readFileSync(path.join(pagesDir, file), 'utf8');
  const match = metaPattern.exec(source);
  if (match === null) throw new Error(`pages/${file}: the first line must be <!-- {"title": ..., "page": ...} -->`);
  const meta = JSON.parse(match[1]);
  if (typeof meta.title !== 'string' || !/^[a-z-]+$/.test(meta.page ?? '')) {
    throw new Error(`pages/${file}: metadata needs a "title" and a "page" of lowercase letters`);
  }
  const content = source.slice(match[0].length).trimEnd();
  const values = { title: meta.title, page: meta.page, version, content };
  const html = layout.replace(/\{\{(\w+)\}\}/g, (whole, key) => {
    if (!(key in values)) throw new Error(`pages/_layout.html: unknown placeholder ${whole}`);
    return values[key];
  });
  writeFileSync(path.join(pagesOut, file), html);
  count++;
}

console.log(`build: ${count} pages and static/app.{js,css} (version ${version}) in ${outDir}`);
