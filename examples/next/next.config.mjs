import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The example imports Splitflap from this repository's source (tsconfig.json `paths`), the way an
 * app imports the published package: the repository root is the Turbopack root, so files outside
 * this folder (../../src, ../../react) are part of the build.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** @type {import('next').NextConfig} */
const config = {
  // What `create-next-app` (Next 16.4) writes into a new app: Cache Components and Partial
  // Prefetching. The example is built and tested with both, as a new app has them.
  cacheComponents: true,
  partialPrefetching: true,
  turbopack: { root },
  outputFileTracingRoot: root,
  poweredByHeader: false,
};

export default config;
