/**
 * `npm run size`: min+gzip bytes of what each entry loads up front, bundled by esbuild (ES modules
 * with code splitting, react external), next to GrowthBook's in the same run. "Up front" is the
 * entry's file and every chunk it imports statically, bare `import "./chunk.js"` included (read
 * from esbuild's metafile, not from the text); chunks behind `import()` are listed as "on first
 * use". Budgets are ../shared/specs/design.md's and are reported; `ceiling` is what CI enforces
 * (exit 1 above it): the measured size when a budget is not met yet, so nothing grows while the
 * gap is worked on (see the README's Size section). Size is deterministic, so CI runs this.
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

const rows = [
  { name: 'core: import { createClient }', entry: entryFile('create-client', "export { createClient } from '../../src/index';\n"), budget: 7 * KB, ceiling: 11.4 * KB, growthbook: 'gb-client' },
  { name: 'core: whole entry (splitflap)', entry: 'src/index.ts' },
  { name: 'react incl. core (splitflap/react)', entry: 'react/index.ts', budget: 8.5 * KB, ceiling: 13.4 * KB },
  { name: 'plugin: splitflap/remote', entry: 'src/plugins/remote/index.ts' },
  { name: 'plugin: splitflap/sixpack', entry: 'src/plugins/sixpack/index.ts' },
  { name: 'plugin: splitflap/bandits', entry: 'src/plugins/bandits/index.ts' },
  { name: 'plugin: splitflap/edx', entry: 'src/plugins/edx.ts' },
  { name: 'plugin: splitflap/baseplate', entry: 'src/plugins/baseplate/index.ts' },
  { name: 'plugin: splitflap/decrypt', entry: 'src/plugins/decrypt.ts' },
  { name: 'plugin: splitflap/dom', entry: 'src/plugins/dom/markup.ts' },
  { name: 'server: splitflap/server', entry: 'src/server.ts' },
  { name: 'server: splitflap/next', entry: 'src/next/index.ts' },
  { name: 'plugin: splitflap/openfeature (whole entry)', entry: 'src/plugins/openfeature/index.ts' },
  { name: '  openfeature: SplitflapWebProvider', entry: entryFile('of-web', "export { SplitflapWebProvider } from '../../src/plugins/openfeature';\n") },
  { name: '  openfeature: SplitflapServerProvider', entry: entryFile('of-server', "export { SplitflapServerProvider } from '../../src/plugins/openfeature';\n") },
  { name: 'plugin: splitflap/analytics (whole entry)', entry: 'src/plugins/analytics/index.ts' },
  { name: '  analytics: ga4', entry: entryFile('an-ga4', "export { ga4 } from '../../src/plugins/analytics';\n") },
  { name: '  analytics: segment', entry: entryFile('an-segment', "export { segment } from '../../src/plugins/analytics';\n") },
  { name: '  analytics: endpoint', entry: entryFile('an-endpoint', "export { endpoint } from '../../src/plugins/analytics';\n") },
  { name: '  analytics: ga4 + segment + endpoint', entry: entryFile('an-all', "export { ga4, segment, endpoint } from '../../src/plugins/analytics';\n") },
  { name: 'plugin: splitflap/consent', entry: 'src/plugins/consent/index.ts' },
  { name: 'plugin: splitflap/devtools', entry: 'src/plugins/devtools/index.ts' },
  { name: 'script tag (splitflap.global.js)', entry: 'src/browser/index.ts', format: 'iife', budget: 12 * KB, ceiling: 21.85 * KB, growthbook: 'gb-auto' },
  { name: 'script tag bandits (splitflap.bandits.js)', entry: 'src/browser/bandits.ts', format: 'iife' },
  { name: 'script tag DevTools (splitflap.devtools.js)', entry: 'src/browser/devtools.ts', format: 'iife' },
  { name: 'script tag stream (splitflap.live.js)', entry: 'src/browser/live.ts', format: 'iife' },
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
for (const row of rows) {
  const { min, gzip, lazy } = await measure(row);
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
