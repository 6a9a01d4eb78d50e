/**
 * The example imports Splitflap from this repository's source, the way an app imports the
 * published package: `splitflap`, `splitflap/react` and `splitflap/server` are aliased to ../../src
 * and ../../react (tsconfig.json `paths` says the same to TypeScript).
 */
import { reactRouter } from '@react-router/dev/vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repo = (file: string) => fileURLToPath(new URL(`../../${file}`, import.meta.url));

export default defineConfig({
  plugins: [reactRouter()],
  resolve: {
    alias: [
      { find: /^splitflap$/, replacement: repo('src/index.ts') },
      { find: /^splitflap\/react$/, replacement: repo('react/index.ts') },
      { find: /^splitflap\/server$/, replacement: repo('src/server.ts') },
    ],
  },
  server: { fs: { allow: [repo('')] } },
  logLevel: 'warn',
});
