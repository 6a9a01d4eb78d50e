/**
 * Examples can be copied into an app: they import Splitflap by its package names ('splitflap',
 * 'splitflap/react', …), never the repository's sources by path, and in this repository those
 * names are mapped to the sources tsup builds each entry from (tsconfig.json `paths`, read by tsc,
 * tsx and esbuild; vitest.config.ts derives its aliases from tsup.config.ts itself).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { entries } from '../../tsup.config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Files that still reach into the sources, and why: the server package's statistics use the
 * G-test, which no entry exports.
 */
const EXCEPTIONS: Record<string, string> = {
  'server/src/stats-view.ts': 'gTest is not exported by any entry',
};

function sources(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !['node_modules', '.next', 'build', 'dist', '.react-router'].includes(name))
    .flatMap((name) => {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) return sources(file);
      return /\.(tsx?|mjs|js)$/.test(name) ? [path.relative(root, file)] : [];
    });
}

describe('examples', () => {
  it("import Splitflap by its package names, not the repository's sources", () => {
    // The splitflap-server package's sources are held to the same rule (its tests import its own src/).
    const reaching = [...sources(path.join(root, 'examples')), ...sources(path.join(root, 'server/src'))]
      .filter((file) => !(file in EXCEPTIONS))
      .flatMap((file) =>
        [...readFileSync(path.join(root, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]((?:\.\.\/)+(?:src|react)(?:\/[^'"]*)?)['"]/g)].map(
          (match) => `${file}: ${match[1]}`,
        ),
      );
    expect(reaching).toEqual([]);
  });

  it('resolve those names to the sources tsup builds each entry from (tsconfig.json paths)', () => {
    const { config, error } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
    expect(error).toBeUndefined();
    const paths = (config as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
    const expected = Object.fromEntries(Object.entries(entries).map(([name, source]) => [name === 'index' ? 'splitflap' : `splitflap/${name}`, [`./${source}`]]));
    expect(paths).toEqual(expected);
  });
});
