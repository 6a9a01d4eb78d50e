/**
 * Load the Splitflap code we ship for benches: src/ bundled the way tsup does. tsx's own
 * transform wraps every closure in a naming helper, which would slow the per-request rows
 * several times over.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Splitflap from '../src/index';

export async function loadSplitflap(): Promise<typeof Splitflap> {
  const out = path.resolve('.cache/bench/splitflap.mjs');
  mkdirSync(path.dirname(out), { recursive: true });
  await build({ entryPoints: ['src/index.ts'], bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'error' });
  return (await import(pathToFileURL(out).href)) as typeof Splitflap;
}
