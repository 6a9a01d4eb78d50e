/**
 * docs/nextjs.md is examples/next, file by file: every TypeScript file of the example (the one
 * `next build` builds and test/frameworks/next.test.ts drives with Chromium) is shown whole and
 * unchanged in a block whose first line names it, so a reader who pastes the guide has the
 * tested app. (next.config is the exception: the guide shows what create-next-app writes; the
 * example's also points Turbopack at the repository.)
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeBlocks, read } from './markdown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const example = path.join(root, 'examples/next');

/** The example's .ts and .tsx files, relative to its folder (build output and generated files left out). */
function sources(dir = example): string[] {
  return readdirSync(dir)
    .filter((name) => !['.next', 'node_modules', 'next-env.d.ts'].includes(name))
    .flatMap((name) => {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) return sources(file);
      return /\.tsx?$/.test(name) ? [path.relative(example, file)] : [];
    })
    .sort();
}

describe('docs/nextjs.md', () => {
  const { blocks } = codeBlocks('docs/nextjs.md', read(root, 'docs/nextjs.md'));
  /** Blocks whose first line is `// <file>`, by file. */
  const shown = new Map<string, string>();
  for (const block of blocks) {
    const named = /^\/\/ (\S+\.(?:tsx?|mjs))$/.exec(block.code.split('\n')[0]!);
    if (named) shown.set(named[1]!, block.code.slice(block.code.indexOf('\n') + 1));
  }

  it('shows every file of examples/next', () => {
    const files = sources();
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((file) => !shown.has(file))).toEqual([]);
  });

  it.each(sources())('shows %s whole and as the example has it', (file) => {
    expect(shown.get(file)?.trimEnd(), `docs/nextjs.md, the block "// ${file}"`).toBe(read(example, file).trimEnd());
  });

  it('shows the config with Cache Components on, as create-next-app writes it', () => {
    expect(shown.get('next.config.ts')).toMatch(/cacheComponents: true,\n\s*partialPrefetching: true/);
  });
});
