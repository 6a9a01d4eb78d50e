/**
 * Run by test/package/pack.test.ts in a fresh Node process, from the temporary project the packed
 * tarball was installed into: `node import-entries.mjs '["splitflap", "splitflap/react", …]'`.
 *
 * Browser globals become getters that record the access, then every entry is loaded with
 * `require` and with `import`. An access from Splitflap's own files throws (so code that probes
 * them cannot carry on as if in a browser) and is reported as touched; one from a dependency
 * (Next's bundled ua-parser-js runs `typeof window` when next/server loads) reads `undefined`,
 * as it would in Node, and is reported apart: our promise covers our own code.
 *
 * Prints one JSON line: what each entry exports per format, the file it resolved to, the browser
 * globals touched, the load errors, and the exports shared by name between entries whose values
 * differ within a format (a second copy of a module).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BROWSER_GLOBALS = ['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'indexedDB', 'location'];
const here = path.join(process.cwd(), 'import-entries.mjs');

const touched = [];
const touchedByDependencies = [];
/** Where the installed package lives: `…/node_modules/splitflap/`. */
const ownFiles = `${path.sep}node_modules${path.sep}splitflap${path.sep}`;
for (const name of BROWSER_GLOBALS) {
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      // The first frames outside this script say which module looked.
      const stack = (new Error().stack ?? '').split('\n').slice(2, 5).map((line) => line.trim());
      if (!stack[0]?.includes(ownFiles)) {
        touchedByDependencies.push({ name, stack });
        return undefined;
      }
      touched.push({ name, stack });
      throw new ReferenceError(`${name} is not defined (browser global touched while importing)`);
    },
  });
}

const specifiers = JSON.parse(process.argv[2] ?? '[]');
const require = createRequire(here);
const formats = {
  cjs: { load: async (specifier) => require(specifier), resolve: (specifier) => require.resolve(specifier) },
  esm: { load: (specifier) => import(specifier), resolve: (specifier) => fileURLToPath(import.meta.resolve(specifier)) },
};

const report = { touched, touchedByDependencies, errors: [], exports: {}, files: {}, mismatches: [] };
for (const [format, { load, resolve }] of Object.entries(formats)) {
  report.exports[format] = {};
  report.files[format] = {};
  /** Export name → the first entry that exported it and its value. */
  const seen = new Map();
  for (const specifier of specifiers) {
    let namespace;
    try {
      report.files[format][specifier] = resolve(specifier);
      namespace = await load(specifier);
    } catch (error) {
      report.errors.push({ format, specifier, error: String(error && error.stack ? error.stack : error) });
      continue;
    }
    const names = Object.keys(namespace).filter((name) => name !== 'default' && name !== '__esModule');
    report.exports[format][specifier] = names;
    for (const name of names) {
      const first = seen.get(name);
      if (!first) seen.set(name, { specifier, value: namespace[name] });
      else if (first.value !== namespace[name]) report.mismatches.push({ format, name, entries: [first.specifier, specifier] });
    }
  }
}
process.stdout.write(JSON.stringify(report) + '\n');
