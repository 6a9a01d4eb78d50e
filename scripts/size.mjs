/**
 * `npm run size`: min+gzip bytes of what each entry loads up front, bundled by esbuild (ES modules
 * with code splitting, react external), next to GrowthBook's in the same run. "Up front" is the
 * entry's file and every chunk it imports statically, bare `import "./chunk.js"` included (read
 * from esbuild's metafile, not from the text); chunks behind `import()` are listed as "on first
 * use". Budgets are ../shared/specs/design.md's and are reported; `ceiling` is what CI enforces
 * (exit 1 above it): the measured size when a budget is not met yet, so nothing grows while the
 * gap is worked on (see docs/performance.md, Size). Size is deterministic, so CI runs this.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const KB = 1024;
const tmp = path.resolve('.cache/size');
mkdirSync(tmp, { recursive: true });
const entryFile = (name, code) => {
  const file = path.join(tmp, name + '.ts');
  writeFileSync(file, code);
  return file;
};

const manifest = JSON.parse(readFileSync('entries.json', 'utf8'));

/**
 * Budgets (../shared/specs/design.md, issue 18) and CI ceilings by row; a row per entry of
 * entries.json, each named for what an app imports, plus rows for the parts an app can take alone.
 */
const limits = {
  '.': { budget: 7 * KB, ceiling: 12.45 * KB },
  './react': { budget: 8.5 * KB, ceiling: 13.75 * KB },
  // +0.07 KB for split-URL tests (issue 22): the splitflap.redirect.js add-on's name, its two data- keys, one call.
  'splitflap.global': { budget: 12 * KB, ceiling: 18.75 * KB, growthbook: 'gb-auto' },
  // What a page in Sixpack mode loads: the main file and splitflap.sixpack.js (two requests, each gzipped).
  'page in Sixpack mode': { budget: 15 * KB, ceiling: 24.75 * KB },
};
const label = (subpath) =>
  subpath === '.'
    ? 'core: whole entry (splitflap)'
    : subpath === './react'
      ? 'react incl. core (splitflap/react)'
      : `${/server|next/.test(subpath) ? 'server' : /^\.\/react\/|define|check/.test(subpath) ? 'tools' : 'plugin'}: splitflap/${subpath.slice(2)}`;
const scriptLabel = (name) => (name === 'splitflap.global' ? 'script tag (splitflap.global.js)' : `script tag ${name.slice('splitflap.'.length)} (${name}.js)`);
const parts = {
  './openfeature': [['SplitflapWebProvider'], ['SplitflapServerProvider']],
  './analytics': [['ga4'], ['segment'], ['endpoint'], ['ga4', 'segment', 'endpoint']],
};
const rows = [
  // What an app that only creates a client loads: the core's budget row.
  { name: 'core: import { createClient }', entry: entryFile('create-client', "export { createClient } from '../../src/index';\n"), ...limits['.'], growthbook: 'gb-client' },
];
for (const [subpath, source] of Object.entries(manifest.package)) {
  rows.push({ name: label(subpath) + (parts[subpath] ? ' (whole entry)' : ''), entry: source, ...(subpath === '.' ? {} : limits[subpath]) });
  for (const names of parts[subpath] || []) {
    const from = path.relative(tmp, source).replace(/\.ts$/, '');
    const file = entryFile(subpath.slice(2) + '-' + names.join('-'), `export { ${names.join(', ')} } from '${from}';\n`);
    rows.push({ name: `  ${subpath.slice(2)}: ${names.join(' + ')}`, entry: file });
  }
}
for (const [name, source] of Object.entries(manifest.script)) rows.push({ name: scriptLabel(name), entry: source, format: 'iife', script: name, ...limits[name] });
// Pages that turn on an add-on load two files: each measured as it is served, then added.
const pages = [
  { name: 'script-tag page in Sixpack mode (+ sixpack.js)', files: ['splitflap.global', 'splitflap.sixpack'], ...limits['page in Sixpack mode'] },
  { name: 'script-tag page with consent (+ consent.js)', files: ['splitflap.global', 'splitflap.consent'] },
];
const growthbook = {
  'gb-client': { name: 'GrowthBook: import { GrowthBook }', entry: entryFile('gb-client', "export { GrowthBook } from '@growthbook/growthbook';\n") },
  'gb-auto': { name: 'GrowthBook: auto script', file: 'node_modules/@growthbook/growthbook/dist/bundles/auto.min.js' },
};

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** Up-front and on-first-use bytes of one entry. A plugin entry's shared chunks count in full: an app importing it pays them. */
async function measure({ entry, file, format = 'esm' }) {
  if (file) {
    const bytes = readFileSync(file);
    return { min: bytes.length, gzip: gz(bytes), lazy: 0 };
  }
  const esm = format === 'esm';
  const outdir = path.join(tmp, 'out');
  const result = await build({
    entryPoints: { entry },
    bundle: true,
    minify: true,
    format,
    splitting: esm,
    outdir,
    globalName: esm ? undefined : 'Splitflap',
    target: 'es2018',
    external: ['react', 'react-dom', 'react/jsx-runtime', 'next', 'next/*', '@openfeature/*'],
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = result.metafile.outputs;
  const bytesOf = new Map(result.outputFiles.map((f) => [path.relative(process.cwd(), f.path), f.contents]));
  const main = Object.keys(outputs).find((out) => out.endsWith('/entry.js'));
  // Everything the entry imports statically loads up front too, transitively.
  const eager = new Set([main]);
  for (const out of eager) for (const imported of outputs[out].imports) if (imported.kind === 'import-statement' && outputs[imported.path]) eager.add(imported.path);
  const js = Object.keys(outputs).filter((out) => out.endsWith('.js'));
  const upFront = Buffer.concat([...eager].map((out) => bytesOf.get(out)));
  const lazy = js.filter((out) => !eager.has(out)).reduce((n, out) => n + gz(bytesOf.get(out)), 0);
  return { min: upFront.length, gzip: gz(upFront), lazy };
}

let failed = false;
const kb = (n) => `${(n / KB).toFixed(2)} KB`;
console.log('entry'.padEnd(46) + 'min'.padStart(10) + 'min+gz'.padStart(10) + 'budget'.padStart(10) + '  vs GrowthBook   on first use (gz)');
const measured = new Map();
const measureRow = async (row) => {
  if (!row.files) return measure(row);
  const parts = row.files.map((name) => measured.get(name));
  return { min: parts.reduce((n, part) => n + part.min, 0), gzip: parts.reduce((n, part) => n + part.gzip, 0), lazy: 0 };
};
for (const row of [...rows, ...pages]) {
  const { min, gzip, lazy } = await measureRow(row);
  if (row.script) measured.set(row.script, { min, gzip });
  const over = row.budget !== undefined && gzip > row.budget;
  const aboveCeiling = gzip > (row.ceiling ?? row.budget ?? Infinity);
  failed ||= aboveCeiling;
  let versus = '';
  if (row.growthbook) {
    const theirs = await measure(growthbook[row.growthbook]);
    versus = `${(gzip / theirs.gzip).toFixed(2)}× of ${kb(theirs.gzip)}`;
  }
  console.log(
    row.name.padEnd(46) +
      kb(min).padStart(10) +
      kb(gzip).padStart(10) +
      (row.budget ? kb(row.budget) : '—').padStart(10) +
      '  ' + versus.padEnd(16) +
      (lazy ? ` +${kb(lazy)}` : '') +
      (aboveCeiling ? '  ABOVE CEILING' : over ? `  over budget (ceiling ${kb(row.ceiling)})` : ''),
  );
}
process.exit(failed ? 1 : 0);
