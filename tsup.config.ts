import { defineConfig } from 'tsup';

/** Every package entry: the core, the React bindings and one per plugin (see package.json `exports`). */
export const entries = {
  index: 'src/index.ts',
  react: 'react/index.ts',
  remote: 'src/plugins/remote/index.ts',
  sixpack: 'src/plugins/sixpack/index.ts',
  bandits: 'src/plugins/bandits/index.ts',
  edx: 'src/plugins/edx.ts',
  baseplate: 'src/plugins/baseplate/index.ts',
  decrypt: 'src/plugins/decrypt.ts',
  dom: 'src/plugins/dom/markup.ts',
};

export default defineConfig([
  {
    entry: entries,
    format: ['esm', 'cjs'],
    // Entries share chunks in both formats, so no entry carries a second copy of the core.
    splitting: true,
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2020',
    external: ['react', 'react-dom'],
  },
  {
    // One <script> tag: everything but bandits bundled, minified, exposed as the global `Splitflap`;
    // `splitflap.bandits.js` is loaded by it only on pages with a bandit experiment.
    entry: { splitflap: 'src/browser/index.ts' },
    format: ['iife'],
    globalName: 'Splitflap',
    minify: true,
    sourcemap: true,
    target: 'es2018',
    outExtension: () => ({ js: '.global.js' }),
  },
  {
    // No global name: it must not replace `Splitflap`; it sets `window.SplitflapBandits` itself.
    entry: { 'splitflap.bandits': 'src/browser/bandits.ts' },
    format: ['iife'],
    minify: true,
    sourcemap: true,
    target: 'es2018',
    outExtension: () => ({ js: '.js' }),
  },
]);
