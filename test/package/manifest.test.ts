/**
 * entries.json is the one list of entries: package.json `exports`, the build's entries and the
 * size rows are made from it. This checks they still agree, so an entry added in one place only
 * fails here (fix: add it to entries.json, then `npm run entries`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import tsupConfig, { entries } from '../../tsup.config';
// @ts-expect-error: a plain ES module script without type declarations
import { buildName, exportsOf } from '../../scripts/entries.mjs';

const manifest = JSON.parse(readFileSync('entries.json', 'utf8')) as { package: Record<string, string>; script: Record<string, string>; bin: Record<string, string> };
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: unknown; bin: Record<string, string> };

describe('entries.json', () => {
  it("package.json exports are the manifest's, ESM and CommonJS with types", () => {
    expect(pkg.exports).toEqual((exportsOf as (entries: Record<string, string>) => unknown)(manifest.package));
    expect(Object.keys(pkg.exports as object)).toEqual([...Object.keys(manifest.package), './package.json']);
  });

  it("the build's entries are the manifest's, package and script tag alike", () => {
    expect(entries).toEqual(Object.fromEntries(Object.entries(manifest.package).map(([subpath, source]) => [(buildName as (s: string) => string)(subpath), source])));
    const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as { entry?: Record<string, string> }[];
    const built = Object.assign({}, ...configs.map((config) => config.entry));
    expect(Object.values(built).sort()).toEqual([...Object.values(manifest.package), ...Object.values(manifest.script), ...Object.values(manifest.bin)].sort());
  });

  it('package.json bin runs the built command line', () => {
    expect(Object.values(pkg.bin)).toEqual(Object.keys(manifest.bin).map((name) => `./dist/${name}.js`));
    expect(Object.keys(pkg.bin)).toEqual(['splitflap']);
  });

  it('every source it names exists', () => {
    for (const source of [...Object.values(manifest.package), ...Object.values(manifest.script), ...Object.values(manifest.bin)]) expect(existsSync(source), source).toBe(true);
  });
});
