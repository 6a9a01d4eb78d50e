import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', react: 'react/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2020',
    external: ['react', 'react-dom'],
  },
  {
    // One <script> tag: everything bundled, minified, exposed as the global `Splitflap`.
    entry: { splitflap: 'src/browser.ts' },
    format: ['iife'],
    globalName: 'Splitflap',
    minify: true,
    sourcemap: true,
    target: 'es2018',
    outExtension: () => ({ js: '.global.js' }),
  },
]);
