// Builds the worker's and the manager's web pages into OUTDIR:
//
//   OUTDIR/static/app.js, app.js.map          the worker's TypeScript bundle (esbuild, minified, ES2020)
//   OUTDIR/static/app.css, app.css.map        the worker's stylesheet
//   OUTDIR/static/manager.js, manager.css     the manager's bundle and stylesheet (with uPlot), + .map
//   OUTDIR/static/favicon.svg
//   OUTDIR/pages/<name>.html                  each template of pages/ inside its layout:
//                                             pages/_layout.html, or pages/_<layout>_layout.html
//                                             when the metadata says "layout": "<layout>";
//                                             a line `<!-- include _part.html -->` in a template is
//                                             replaced by pages/_part.html (its first line, a
//                                             comment saying where it is used, left out)
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
// The worker's pages (app) and the manager's (manager, which alone carries uPlot).
const bundles = [
  { name: 'app', script: path.join('src', 'worker', 'main.ts'), style: path.join('src', 'styles', 'app.css') },
  { name: 'manager', script: path.join('src', 'manager', 'main.ts'), style: path.join('src', 'styles', 'manager.css') },
];
for (const bundle of bundles) {
  await esbuild.build({
    ...common,
    entryPoints: [path.join(here, bundle.script)],
    outfile: path.join(staticDir, `${bundle.name}.js`),
    format: 'iife',
    platform: 'browser',
  });
  await esbuild.build({
    ...common,
    entryPoints: [path.join(here, bundle.style)],
    outfile: path.join(staticDir, `${bundle.name}.css`),
    // Keep the CSS as written for these browsers; esbuild lowers nothing older.
    target: ['chrome90', 'firefox90', 'safari14'],
  });
}
copyFileSync(path.join(here, 'assets', 'favicon.svg'), path.join(staticDir, 'favicon.svg'));

// A short hash of each bundle, appended to its asset addresses (?v=) so that a
// browser never mixes an old script with a new page.
const versions = Object.fromEntries(
  bundles.map((bundle) => [
    bundle.name,
    createHash('sha256')
      .update(readFileSync(path.join(staticDir, `${bundle.name}.js`)))
      .update(readFileSync(path.join(staticDir, `${bundle.name}.css`)))
      .digest('hex')
      .slice(0, 12),
  ]),
);

const pagesDir = path.join(here, 'pages');
// "layout" in a page's metadata picks pages/_<layout>_layout.html and the bundle
// of that name; without it, pages/_layout.html and the worker's bundle (app).
const layouts = new Map();
function layoutOf(name) {
  const file = name === undefined ? '_layout.html' : `_${name}_layout.html`;
  if (!layouts.has(file)) layouts.set(file, readFileSync(path.join(pagesDir, file), 'utf8'));
  return { file, text: layouts.get(file), version: versions[name ?? 'app'] };
}
const metaPattern = /^<!--\s*(\{.*\})\s*-->\s*\n/;
// A part shared by the templates of both apps (the login form, the password form),
// indented as the include line is.
const includePattern = /^([ \t]*)<!--\s*include\s+(_[a-z-]+\.html)\s*-->[ \t]*$/gm;
function expandIncludes(content) {
  return content.replace(includePattern, (whole, indent, part) => {
    const lines = readFileSync(path.join(pagesDir, part), 'utf8').trimEnd().split('\n');
    if (!/^<!--.*-->$/.test(lines[0] ?? '')) throw new Error(`pages/${part}: the first line must be a comment saying where it is used`);
    return lines
      .slice(1)
      .map((line) => (line === '' ? line : indent + line))
      .join('\n');
  });
}
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
  if (meta.layout !== undefined && !(typeof meta.layout === 'string' && meta.layout in versions)) {
    throw new Error(`pages/${file}: "layout" must be one of ${Object.keys(versions).join(', ')}`);
  }
  const layout = layoutOf(meta.layout);
  const content = expandIncludes(source.slice(match[0].length).trimEnd());
  const values = { title: meta.title, page: meta.page, version: layout.version, content };
  const html = layout.text.replace(/\{\{(\w+)\}\}/g, (whole, key) => {
    if (!(key in values)) throw new Error(`pages/${layout.file}: unknown placeholder ${whole}`);
    return values[key];
  });
  writeFileSync(path.join(pagesOut, file), html);
  count++;
}

const versionText = Object.entries(versions)
  .map(([name, version]) => `${name} ${version}`)
  .join(', ');
console.log(`build: ${count} pages and static/{app,manager}.{js,css} (versions: ${versionText}) in ${outDir}`);
