/**
 * What the package tests read from a package.json and from built files: the entry points its
 * `exports` declare, the files it points at, and the modules a built file loads. Nothing here
 * knows which entries Splitflap has today.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The package.json fields the package tests read. */
export interface PackageJson {
  name: string;
  exports?: unknown;
  main?: string;
  module?: string;
  types?: string;
  unpkg?: string;
  jsdelivr?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The subpaths of `exports` ('.', './react', …), package.json's own left out. */
export function exportSubpaths(pkg: PackageJson): string[] {
  const { exports } = pkg;
  if (exports === undefined) return ['.'];
  // A string, or conditions only ({ import, require }), stand for '.'.
  if (!isRecord(exports) || !Object.keys(exports).some((key) => key.startsWith('.'))) return ['.'];
  const subpaths = Object.keys(exports).filter((key) => key !== './package.json');
  const patterns = subpaths.filter((key) => key.includes('*'));
  if (patterns.length) throw new Error(`exports patterns cannot be imported one by one; list the entries instead of ${patterns.join(', ')}`);
  return subpaths;
}

/** What an app writes to import each entry: 'splitflap', 'splitflap/react', … */
export function entrySpecifiers(pkg: PackageJson): string[] {
  return exportSubpaths(pkg).map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`));
}

/** Every file path package.json points at (all `exports` targets, main, module, types, unpkg, jsdelivr). */
export function referencedFiles(pkg: PackageJson): string[] {
  const files = new Set<string>();
  const walk = (target: unknown): void => {
    if (typeof target === 'string') files.add(path.posix.normalize(target));
    else if (Array.isArray(target)) target.forEach(walk);
    else if (isRecord(target)) Object.values(target).forEach(walk);
  };
  walk(pkg.exports);
  for (const field of [pkg.main, pkg.module, pkg.types, pkg.unpkg, pkg.jsdelivr]) walk(field);
  return [...files];
}

/** Relative module specifiers in built JavaScript: `import … from './x'`, `import('./x')`, `require('./x')`, `export … from './x'`. */
const RELATIVE_IMPORT = /(?:\bfrom|\bimport|\brequire)\s*\(?\s*(['"])(\.{1,2}\/[^'"]+)\1/g;

/** `entries` and every built file they load, statically or on first use, following relative imports. */
export function loadedFiles(entries: string[]): string[] {
  const found = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (found.has(file)) continue;
    found.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
      const target = path.resolve(path.dirname(file), match[2]!);
      if (!existsSync(target)) throw new Error(`${file} loads ${match[2]}, which is not in the package`);
      pending.push(target);
    }
  }
  return [...found];
}

/** Source module → the built files (of `files`) whose source maps say they contain it. */
export function bundledSources(files: string[]): Map<string, string[]> {
  const sources = new Map<string, string[]>();
  for (const file of files) {
    const mapFile = `${file}.map`;
    if (!existsSync(mapFile)) throw new Error(`${file} has no source map: cannot tell which modules it bundles`);
    const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourceRoot?: string };
    for (const source of map.sources) {
      const module = path.resolve(path.dirname(mapFile), map.sourceRoot ?? '', source);
      sources.set(module, [...(sources.get(module) ?? []), file]);
    }
  }
  return sources;
}
