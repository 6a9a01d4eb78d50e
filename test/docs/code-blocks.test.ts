/**
 * Every TypeScript and JavaScript block of README.md and docs/*.md compiles as a user would paste
 * it: each block is written as a module of its own into .cache/docs-blocks/ and all of them are
 * type-checked in one `tsc --noEmit` run (strict, react-jsx, bundler resolution), with `splitflap`
 * and `splitflap/<entry>` mapped to the entries' sources as tsup.config.ts builds them and every
 * other package (react, next, @openfeature/…) resolved from node_modules.
 *
 * - A block whose first line is a comment naming a file (`// app/layout.tsx`) is written under
 *   that name, in a folder per Markdown file, so the blocks of one guide import each other as the
 *   files of an app do (`import { Providers } from './providers'`). Others are `block-L<line>`.
 * - `js` blocks are type-checked too (checkJs), with the globals the script tag defines
 *   (`window.Splitflap`, `splitflapConfig`, `splitflapQueue`) declared from its source.
 * - The blocks form one program, as the files of one app do: a module augmentation (the React
 *   guide's `declare module 'splitflap/react' { interface Register … }`) applies to every block.
 * - A block that is deliberately a fragment says so on the line just before its fence,
 *   `<!-- partial: why -->`; it is skipped by name (listed in the output), and such blocks must
 *   stay few. Blocks in other languages (sh, html, json, diff, text) are not compiled.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { entries } from '../../tsup.config';
import { codeBlocks, documentationFiles, read, type CodeBlock } from './markdown';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, '.cache/docs-blocks');
const run = promisify(execFile);

/** Fence languages that are compiled, and the extension of the module each becomes. */
const COMPILED: Record<string, string> = { ts: '.ts', typescript: '.ts', tsx: '.tsx', js: '.js' };
/** At most this share of the compilable blocks may be skipped as partial. */
const MAX_PARTIAL_SHARE = 0.15;

/** `splitflap` → src/index.ts, `splitflap/react` → react/index.ts, … (tsup.config.ts `entries`). */
function entryPaths(): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(entries).map(([name, source]) => [name === 'index' ? 'splitflap' : `splitflap/${name}`, [path.join(root, source)]]),
  );
}

/** A block's file under `out`: its own name when its first line names one, else by line. */
function blockFile(block: CodeBlock): string {
  const folder = block.file === 'README.md' ? 'README' : path.basename(block.file, '.md');
  // Next's route groups and dynamic segments name folders `(shop)` and `[code]`.
  const named = /^\/\/\s+((?:[\w.[\]()-]+\/)*[\w.[\]-]+\.(?:tsx?|jsx?|mjs))(?:\s|$)/.exec(block.code.split('\n')[0] ?? '');
  return path.join(folder, named ? named[1]! : `block-L${block.line}${COMPILED[block.lang]}`);
}

/** What the script tag (dist/splitflap.global.js) puts on `window`, for `js` blocks. */
const SCRIPT_TAG_GLOBALS = `import type * as SplitflapGlobal from '${path.join(root, 'src/browser/index')}';
import type { PageClient, ScriptConfig } from '${path.join(root, 'src/browser/index')}';
declare global {
  /** The script tag's global. */
  var Splitflap: typeof SplitflapGlobal;
  interface Window {
    Splitflap: typeof SplitflapGlobal;
    /** Read by the tag when it starts (tag managers). */
    splitflapConfig?: ScriptConfig;
    /** Callbacks run once the tag has started, with the page's client. */
    splitflapQueue?: Array<(client: PageClient, splitflap: typeof SplitflapGlobal) => void>;
  }
}
export {};
`;

describe('documentation code blocks', () => {
  const files = documentationFiles(root);
  const parsed = files.map((file) => codeBlocks(file, read(root, file)));
  const all = parsed.flatMap(({ blocks }) => blocks).filter((block) => block.lang in COMPILED);
  const skipped = all.filter((block) => block.partial !== undefined);
  const compiled = all.filter((block) => block.partial === undefined);

  it('marks partial blocks only just before a fence', () => {
    const stray = parsed.flatMap(({ strayMarkers }, index) => strayMarkers.map((line) => `${files[index]}:${line}`));
    expect(stray, 'a <!-- partial: … --> comment that is not on the line just before a fence').toEqual([]);
  });

  it('skips few blocks as partial, each by name and reason', () => {
    console.info(
      `Documentation code blocks: ${compiled.length} compiled, ${skipped.length} skipped as partial` +
        skipped.map((block) => `\n  skipped ${block.file}:${block.line} (${block.lang}): ${block.partial}`).join(''),
    );
    expect(compiled.length).toBeGreaterThan(40);
    expect(skipped.length / all.length).toBeLessThan(MAX_PARTIAL_SHARE);
  });

  it(
    'compiles every other ts, tsx and js block in one strict tsc run',
    async () => {
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      const byFile = new Map<string, CodeBlock>();
      const duplicates: string[] = [];
      for (const block of compiled) {
        const file = blockFile(block);
        if (byFile.has(file)) duplicates.push(`${block.file}:${block.line} and ${byFile.get(file)!.line} both name ${file}`);
        byFile.set(file, block);
        mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
        // Each block is a module of its own, so top-level names of different blocks never collide.
        writeFileSync(path.join(out, file), `${block.code}\nexport {};\n`);
      }
      expect(duplicates).toEqual([]);
      writeFileSync(path.join(out, 'script-tag-globals.d.ts'), SCRIPT_TAG_GLOBALS);
      writeFileSync(
        path.join(out, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              module: 'ESNext',
              moduleResolution: 'Bundler',
              lib: ['ES2022', 'DOM', 'DOM.Iterable'],
              jsx: 'react-jsx',
              strict: true,
              noEmit: true,
              allowJs: true,
              checkJs: true,
              esModuleInterop: true,
              resolveJsonModule: true,
              skipLibCheck: true,
              types: ['node'],
              typeRoots: [path.join(root, 'node_modules/@types')],
              paths: entryPaths(),
            },
            include: ['**/*.ts', '**/*.tsx', '**/*.js'],
          },
          null,
          2,
        ),
      );

      let output = '';
      try {
        await run(path.join(root, 'node_modules/.bin/tsc'), ['-p', path.join(out, 'tsconfig.json'), '--pretty', 'false'], {
          cwd: root,
          maxBuffer: 64 * 1024 * 1024,
          timeout: 240_000,
        });
      } catch (error) {
        const { stdout = '', stderr = '', code } = error as { stdout?: string; stderr?: string; code?: unknown };
        if (!stdout && !stderr) throw error;
        output = `${stdout}${stderr}`;
        if (code !== 2 && code !== 1) throw new Error(`tsc failed (${String(code)}):\n${output}`);
      }

      // `file(line,col): error TS…: message` → the Markdown file and line it comes from.
      const failures = new Map<string, string[]>();
      const unplaced: string[] = [];
      for (const line of output.split('\n')) {
        const match = /^(.+?)\((\d+),(\d+)\): (error TS\d+: .*)$/.exec(line.trim());
        if (!match) {
          if (line.trim() && !/^\s/.test(line)) unplaced.push(line.trim());
          continue;
        }
        const [, file, errorLine, column, message] = match as unknown as [string, string, string, string, string];
        const relative = path.relative(out, path.resolve(root, file));
        const block = byFile.get(relative);
        if (!block) {
          unplaced.push(line.trim());
          continue;
        }
        const where = `${block.file}:${block.line} (${block.lang} block, ${relative})`;
        const markdownLine = block.line + Number(errorLine);
        failures.set(where, [...(failures.get(where) ?? []), `  ${block.file}:${markdownLine}:${column} ${message}`]);
      }
      const report = [...failures].map(([where, messages]) => `${where}\n${messages.join('\n')}`).join('\n\n');
      expect(unplaced, 'tsc errors outside the documentation blocks').toEqual([]);
      expect(report, `${failures.size} of ${compiled.length} blocks do not compile`).toBe('');
    },
    300_000,
  );
});
