/**
 * `npm run size`: min+gzip bytes of what each entry loads up front, bundled by esbuild with
 * react external, checked against the budgets in ../shared/specs/design.md; exits 1 over budget.
 * ESM builds split network-only code (featuresUrl, Sixpack mode, decryption) into chunks loaded on
 * first use; those are listed separately. The script tag (IIFE) has everything inline.
 * "createClient" measures what an app that imports only createClient ships (tree-shaken).
 */
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const KB = 1024;
const tmp = path.resolve('.cache/size');
mkdirSync(tmp, { recursive: true });
writeFileSync(path.join(tmp, 'create-client.ts'), "export { createClient } from '../../src/index';\n");

const rows = [
  { name: 'core: import { createClient }', entry: path.join(tmp, 'create-client.ts'), budget: 6 * KB },
  { name: 'core: whole entry (splitflap)', entry: 'src/index.ts' },
  { name: 'react: whole entry incl. core (splitflap/react)', entry: 'react/index.ts', budget: 7 * KB },
  { name: 'script tag (splitflap.global.js)', entry: 'src/browser.ts', format: 'iife', budget: 9 * KB },
];

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function measure({ entry, format = 'esm' }) {
  const esm = format === 'esm';
  const result = await build({
    entryPoints: { entry },
    bundle: true,
    minify: true,
    format,
    splitting: esm,
    outdir: path.join(tmp, 'out'),
    globalName: esm ? undefined : 'Splitflap',
    target: 'es2018',
    external: ['react', 'react-dom', 'react/jsx-runtime'],
    write: false,
    logLevel: 'error',
  });
  const files = result.outputFiles.filter((f) => f.path.endsWith('.js'));
  const main = files.find((f) => path.basename(f.path) === 'entry.js');
  // Chunks the entry imports statically load up front too; the rest load on first use.
  const eager = new Set([main]);
  for (const file of eager) {
    for (const [, name] of file.text.matchAll(/from"\.\/([\w-]+\.js)"/g)) eager.add(files.find((f) => path.basename(f.path) === name));
  }
  const lazy = files.filter((f) => !eager.has(f));
  const upFront = Buffer.concat([...eager].map((f) => f.contents));
  return { min: upFront.length, gzip: gz(upFront), lazy: lazy.reduce((n, f) => n + gz(f.contents), 0) };
}

let failed = false;
const kb = (n) => `${(n / KB).toFixed(2)} KB`;
console.log('entry'.padEnd(50) + 'min'.padStart(10) + 'min+gz'.padStart(10) + 'budget'.padStart(10) + '   on first use (gz)');
for (const row of rows) {
  const { min, gzip, lazy } = await measure(row);
  const over = row.budget !== undefined && gzip > row.budget;
  failed ||= over;
  console.log(
    row.name.padEnd(50) +
      kb(min).padStart(10) +
      kb(gzip).padStart(10) +
      (row.budget ? kb(row.budget) : '—').padStart(10) +
      (lazy ? `   +${kb(lazy)}` : '') +
      (over ? '  OVER BUDGET' : ''),
  );
}
process.exit(failed ? 1 : 0);
