import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Options } from 'tsup';

type TsupPlugin = NonNullable<Options['plugins']>[number];

/**
 * The directive prologue of a module ('use client', 'use server'; 'use strict' left out) and the
 * length of source it spans.
 */
function directivePrologue(source: string): { directives: string[]; length: number } {
  const directives: string[] = [];
  let length = 0;
  for (;;) {
    const gap = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/.exec(source.slice(length))![0].length;
    const statement = /^(['"])([^'"\n]*)\1\s*;?/.exec(source.slice(length + gap));
    if (!statement) return { directives, length };
    if (statement[2] !== 'use strict') directives.push(statement[2]!);
    length += gap + statement[0].length;
  }
}

/**
 * The shared CommonJS chunks are made by tsup's Rollup pass (`treeshake`), and Rollup drops
 * module-level directives (with a warning), so `'use client'` would vanish from `splitflap/react`.
 * This blanks each entry's directives out before Rollup (spaces, so the source map still fits) and
 * writes them back at the top of the built file, on a line of their own (the map gets one empty
 * line in front, so it stays exact).
 */
function keepEntryDirectives(): TsupPlugin {
  /** The entry's source when `file` is the built file of an entry, else undefined. */
  function entrySource(options: Options, file: string): string | undefined {
    const entries = options.entry;
    if (Array.isArray(entries) || !entries) throw new Error('keep-entry-directives: name the entries ({ name: source })');
    const ext = path.extname(file);
    if (!['.js', '.cjs', '.mjs'].includes(ext)) return undefined;
    return entries[path.relative(path.resolve(options.outDir ?? 'dist'), path.resolve(file)).slice(0, -ext.length)];
  }
  return {
    name: 'keep-entry-directives',
    renderChunk(code, chunk) {
      if (!entrySource(this.options, chunk.path)) return undefined;
      const { length } = directivePrologue(code);
      return { code: code.slice(0, length).replace(/[^\n]/g, ' ') + code.slice(length), map: chunk.map };
    },
    buildEnd({ writtenFiles }) {
      for (const file of writtenFiles) {
        const source = entrySource(this.options, file.name);
        if (!source) continue;
        const { directives } = directivePrologue(readFileSync(source, 'utf8'));
        if (directives.length === 0) continue;
        const code = readFileSync(file.name, 'utf8');
        writeFileSync(file.name, `${directives.map((directive) => `'${directive}';`).join('')}\n${code}`);
        const mapFile = `${file.name}.map`;
        if (existsSync(mapFile)) {
          const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { mappings: string };
          writeFileSync(mapFile, JSON.stringify({ ...map, mappings: `;${map.mappings}` }));
        }
      }
    },
  };
}

/** entries.json: the one list of entries (package.json `exports` and `npm run size` are made from it too). */
const manifest = JSON.parse(readFileSync(new URL('./entries.json', import.meta.url), 'utf8')) as {
  package: Record<string, string>;
  script: Record<string, string>;
  bin: Record<string, string>;
};

/** Every package entry by build name (`index`, `react`, one per plugin): the core, the React bindings and the plugins. */
export const entries: Record<string, string> = Object.fromEntries(
  Object.entries(manifest.package).map(([subpath, source]) => [subpath === '.' ? 'index' : subpath.slice(2), source]),
);

/** The script tag's own file, and the files it loads when a page needs them. */
const { 'splitflap.global': scriptTag, ...scriptParts } = manifest.script;

export default defineConfig([
  {
    entry: entries,
    format: ['esm', 'cjs'],
    // Every entry of both formats imports the core from shared chunks: one copy of the client and
    // its module-level state however many entries an app loads. For CommonJS, tsup makes the
    // chunks through Rollup (`treeshake`), which keeps modern syntax as it is (its default
    // converter, sucrase, would rewrite every `?.` into a helper call).
    splitting: true,
    treeshake: true,
    plugins: [keepEntryDirectives()],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2020',
    external: ['react', 'react-dom', /^next(\/|$)/, /^@openfeature\//],
  },
  {
    // One <script> tag: everything but bandits and DevTools bundled, minified, exposed as the global
    // `Splitflap`; `splitflap.bandits.js` is loaded by it only on pages with a bandit experiment,
    // `splitflap.live.js` only for a payload with a stream, `splitflap.devtools.js` only when
    // `data-devtools` allows it and it is asked for.
    entry: { splitflap: scriptTag! },
    format: ['iife'],
    globalName: 'Splitflap',
    // A page's script is production code: development checks (src/dev.ts) are left out.
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    sourcemap: true,
    target: 'es2018',
    outExtension: () => ({ js: '.global.js' }),
  },
  {
    // The command line (`npx splitflap …`): Node only, one self-contained ES module file.
    entry: manifest.bin,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    sourcemap: true,
  },
  {
    // No global name: they must not replace `Splitflap`; they set `window.SplitflapBandits`,
    // `window.SplitflapDevtools` and `window.SplitflapLive` themselves.
    entry: scriptParts,
    format: ['iife'],
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    sourcemap: true,
    target: 'es2018',
    outExtension: () => ({ js: '.js' }),
  },
]);
