/**
 * `npm run build` (and `prepack`) in server/: the package as it is published, in dist/: the
 * command (`splitflap-server.js`) and `createServer` and friends (`index.js`), each one ES module
 * with the SDK parts it uses (bandit maths, the significance test) bundled in, so neither tsx nor
 * this repository's sources are needed where it is installed. Only ioredis stays a dependency.
 * The dashboard's files are read from ../dashboard, next to dist/, as from src/.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

await build({
  absWorkingDir: here,
  entryPoints: { 'splitflap-server': 'src/bin.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // tsconfig paths map 'splitflap' and 'splitflap/bandits' to the SDK's sources: bundled.
  tsconfig: 'tsconfig.json',
  external: ['ioredis'],
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
