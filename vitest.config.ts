import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { entries } from './tsup.config.js';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import the package by name ('splitflap', 'splitflap/react', …), as an app does;
    // tests that load them get the entries' sources (tsconfig.json `paths` says the same to tsc
    // and tsx). Exact names only, so a test's own '../../src/…' imports are the same modules.
    alias: Object.entries(entries).map(([name, source]) => ({
      find: new RegExp(`^splitflap${name === 'index' ? '' : `/${name}`}$`),
      replacement: path.join(root, source),
    })),
  },
  test: {
    // server/ is the splitflap-server package; its tests run with the rest.
    include: ['test/**/*.test.{ts,tsx}', 'server/test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Browser tests build the IIFE once; see test/browser/setup.
    globalSetup: [],
  },
});
