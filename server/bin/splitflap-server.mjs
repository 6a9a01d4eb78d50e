#!/usr/bin/env node
// The splitflap-server command. It runs the TypeScript sources through tsx, with the repository's
// tsconfig (whose paths map 'splitflap' and 'splitflap/bandits' to the SDK's sources).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/cli.ts');
await main(process.argv.slice(2));
