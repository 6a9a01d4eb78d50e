/**
 * `npm run entries`: writes package.json `exports` from entries.json, the one list of entries
 * (tsup.config.ts builds from it, `npm run size` measures it). `--check` only says whether
 * package.json agrees, exiting 1 if not.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../entries.json', import.meta.url), 'utf8'));

/** The build's name of an entry: `index` for `.`, else the subpath without `./`. */
export const buildName = (subpath) => (subpath === '.' ? 'index' : subpath.slice(2));

/** package.json `exports` for the manifest's package entries: ESM and CommonJS, each with its types. */
export function exportsOf(packageEntries = manifest.package) {
  const exports = {};
  for (const subpath of Object.keys(packageEntries)) {
    const file = `./dist/${buildName(subpath)}`;
    exports[subpath] = {
      import: { types: `${file}.d.ts`, default: `${file}.js` },
      require: { types: `${file}.d.cts`, default: `${file}.cjs` },
    };
  }
  exports['./package.json'] = './package.json';
  return exports;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const pkgUrl = new URL('../package.json', import.meta.url);
  const text = readFileSync(pkgUrl, 'utf8');
  const pkg = JSON.parse(text);
  const agrees = JSON.stringify(pkg.exports) === JSON.stringify(exportsOf());
  if (process.argv.includes('--check')) {
    console.log(agrees ? 'package.json exports agree with entries.json' : 'package.json exports differ from entries.json: run npm run entries');
    process.exit(agrees ? 0 : 1);
  }
  if (!agrees) writeFileSync(pkgUrl, JSON.stringify({ ...pkg, exports: exportsOf() }, null, 2) + '\n');
  console.log(agrees ? 'package.json exports already agree' : 'package.json exports written from entries.json');
}
