/**
 * `splitflap/remote`: feature definitions from a URL serving a GrowthBook-format payload.
 * Cached (IndexedDB in browsers, process memory on servers), stale-while-revalidate, ETag
 * revalidation, optional polling; encrypted payloads are decrypted with `decryptionKey`.
 *
 * ```ts
 * const client = createClient({ plugins: [remote({ url: '/features.json' })] });
 * await client.ready(); // the first payload is in (cached or fetched), or the fetch failed
 * ```
 */
import type { Plugin } from '../../plugin';
import type { FeatureDefinitions, SavedGroups } from '../../types';
import { createPayloadSource, type PayloadCache, type RemotePayload } from './source';

export { createPayloadSource, memoryPayloadCache } from './source';
export type { CachedPayload, PayloadCache, PayloadSource, PayloadSourceOptions, RemotePayload } from './source';

/** Options of {@link remote}. */
export interface RemoteOptions {
  /** Where the payload is served (`{ features, savedGroups?, encryptedFeatures?, encryptedSavedGroups? }`). */
  url: string;
  /** How long a cached payload counts as fresh; default 60 s. */
  cacheTtlMs?: number;
  /** Poll the URL this often (long-lived pages and servers); default off. */
  refreshMs?: number;
  /** Abort a fetch (body included) after this many ms; default 5,000. */
  timeoutMs?: number;
  /** Default: IndexedDB (database `splitflap-payloads`) in browsers, else a Map shared by the process. */
  cache?: PayloadCache;
  /** Key of an encrypted payload (`encryptedFeatures`, `encryptedSavedGroups`). */
  decryptionKey?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

/** What {@link remote} adds to the client. */
export interface RemoteMethods {
  /** Fetch the payload now; resolves `true` when it changed. Never rejects. */
  refreshFeatures(): Promise<boolean>;
}

/** Decrypt `text` with `key` (the decryption code loads only for encrypted payloads). */
const decrypted = (text: string, key: string | undefined): Promise<unknown> =>
  import('../decrypt').then(({ decrypt }) => decrypt(text, key || '')).then((json) => JSON.parse(json));

/** Feature definitions from `options.url`; `ready()` waits for the first payload. */
export function remote(options: RemoteOptions): Plugin<RemoteMethods> {
  return (host) => {
    /** The last payload's application: decryption is async, and `ready()`/`refreshFeatures()` wait for it. */
    let applying: Promise<void> | undefined;
    const apply = async (payload: RemotePayload): Promise<void> => {
      try {
        const features = payload.encryptedFeatures ? await decrypted(payload.encryptedFeatures, options.decryptionKey) : payload.features;
        const savedGroups = payload.encryptedSavedGroups ? await decrypted(payload.encryptedSavedGroups, options.decryptionKey) : payload.savedGroups;
        host.setFeatures(features as FeatureDefinitions, savedGroups as SavedGroups | undefined);
      } catch (error) {
        host.log('Could not use the payload', { url: options.url, error });
      }
    };
    const source = createPayloadSource({
      ...options,
      log: host.log,
      onPayload: (payload) => void (applying = apply(payload)),
    });
    host.addStartupTask(source.start().then(() => applying));
    host.onDestroy(source.destroy);
    return {
      refreshFeatures: () => source.refresh().then((changed) => Promise.resolve(applying).then(() => changed)),
    };
  };
}
