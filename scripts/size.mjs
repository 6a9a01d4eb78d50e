/**
 * `npm run size`: min+gzip bytes of each entry, bundled by esbuild with react external, checked
 * against the budgets in ../shared/specs/design.md. Exits 1 when any budget is exceeded.
 * "createClient" rows measure what an app that imports only createClient ships (tree-shaken).
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const KB = 1024;
const rows = [
  { name: 'core: import { createClient }', code: "export { createClient } from './src/index.ts';", budget: 6 * KB },
  { name: 'core: whole entry (splitflap)', entry: 'src/index.ts' },
  { name: 'react: whole entry incl. core (splitflap/react)', entry: 'react/index.ts', budget: 7 * KB },
  { name: 'script tag (splitflap.global.js)', entry: 'src/browser.ts', format: 'iife', budget: 9 * KB },
];

async function measure({ entry, code, format = 'esm' }) {
  const result = await build({
    ...(code ? { stdin: { contents: code, resolveDir: process.cwd(), loader: 'ts' } } : { entryPoints: [entry] }),
    bundle: true,
    minify: true,
    format,
    globalName: format === 'iife' ? 'Splitflap' : undefined,
    target: 'es2018',
    external: ['react', 'react-dom', 'react/jsx-runtime'],
    write: false,
    logLevel: 'error',
  });
  const bytes = result.outputFiles[0].contents;
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

let failed = false;
console.log('entry'.padEnd(50) + 'min'.padStart(10) + 'min+gz'.padStart(10) + 'budget'.padStart(10));
for (const row of rows) {
  const { min, gzip } = await measure(row);
  const over = row.budget !== undefined && gzip > row.budget;
  failed ||= over;
  const kb = (n) => `${(n / KB).toFixed(2)} KB`;
  console.log(
    row.name.padEnd(50) + kb(min).padStart(10) + kb(gzip).padStart(10) + (row.budget ? kb(row.budget) : '—').padStart(10) + (over ? '  OVER BUDGET' : ''),
  );
}
process.exit(failed ? 1 : 0);
