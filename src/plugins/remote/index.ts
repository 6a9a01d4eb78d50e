/**
 * `splitflap/remote`: feature definitions from a URL serving a GrowthBook-format payload.
 * Cached (IndexedDB in browsers, process memory on servers), stale-while-revalidate, ETag
 * revalidation, optional polling or a live stream (live.ts); encrypted payloads are decrypted
 * with `decryptionKey`. Without the visitor's consent (`withConsent`) the cache stays in memory.
 *
 * ```ts
 * const client = createClient({ plugins: [remote({ url: '/features.json' })] });
 * await client.ready(); // the first payload is in (cached or fetched), or the fetch failed
 * ```
 */
import type { Plugin } from '../../plugin';
import { createRemote, type RemoteMethods, type RemoteOptions } from './plugin';

export { createPayloadSource, memoryPayloadCache } from './source';
export type { CachedPayload, PayloadCache, PayloadSource, PayloadSourceOptions, RemotePayload } from './source';
export { growthBookStreamUrl } from './plugin';
export type { RemoteMethods, RemoteOptions } from './plugin';
export type { StreamTimings } from './live';

/** Feature definitions from `options.url`; `ready()` waits for the first payload. */
export const remote = (options: RemoteOptions): Plugin<RemoteMethods> => createRemote(options, () => import('./live'));
