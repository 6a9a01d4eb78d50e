/**
 * The remote plugin itself, with the way it loads the stream follower left to its entry:
 * `splitflap/remote` imports it lazily (a chunk of its own); the script tag loads it as a file of
 * its own (`splitflap.live.js`), so pages without a stream never download it.
 */
import type { Plugin } from '../../plugin';
import type { FeatureDefinitions, SavedGroups } from '../../types';
import type { Live, StreamTimings, followPayloadStream } from './live';
import { createPayloadSource, type PayloadCache, type RemotePayload } from './source';

/** Loads the stream follower (live.ts). */
export type LoadLive = () => Promise<{ followPayloadStream: typeof followPayloadStream }>;

/** Options of {@link createRemote} (`remote()`). */
export interface RemoteOptions {
  /** Where the payload is served (`{ features, savedGroups?, encryptedFeatures?, encryptedSavedGroups? }`). */
  url: string;
  /** How long a cached payload counts as fresh; default 60 s. */
  cacheTtlMs?: number;
  /** Poll the URL this often (long-lived pages and servers); default off (60 s with `stream`, while no stream is open). */
  refreshMs?: number;
  /**
   * Follow a Server-Sent Events stream of payload changes, GrowthBook's protocol (event
   * `features` with the payload, `features-updated` to refetch). `true`: the stream a GrowthBook
   * proxy serves next to the payload (`…/api/features/KEY` → `…/sub/KEY`), followed when the
   * payload's response says `x-sse-support: enabled`; a string: the stream's URL. Reconnects
   * with backoff, pauses while the tab is hidden, polls (`refreshMs`) when no stream is offered.
   */
  stream?: boolean | string;
  /** Abort a fetch (body included) after this many ms; default 5,000. */
  timeoutMs?: number;
  /** Default: IndexedDB (database `splitflap-payloads`) in browsers, else a Map shared by the process. */
  cache?: PayloadCache;
  /** Key of an encrypted payload (`encryptedFeatures`, `encryptedSavedGroups`). */
  decryptionKey?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * Origins (`https://cdn.example.com`) a redirect of the payload or stream request may lead to,
   * besides the requested URL's own. Default none: a redirect to another origin is refused, the
   * last good payload is kept, and a line says why.
   */
  allowedOrigins?: string[];
  /**
   * Trust a cached payload this long after its body was last fetched (default one hour); then it
   * is fetched whole (no `If-None-Match`), so a tampered cache entry cannot outlive it. A cached
   * entry that fails its digest is never trusted.
   */
  cacheMaxAgeMs?: number;
  /** How the stream is followed: backoff, the silence watchdog, when to catch up (see {@link StreamTimings}). */
  streamTimings?: StreamTimings;
}

/** What {@link createRemote} (`remote()`) adds to the client. */
export interface RemoteMethods {
  /** Fetch the payload now; resolves `true` when it changed. Never rejects. */
  refreshFeatures(): Promise<boolean>;
}

/** Decrypt `text` with `key` (the decryption code loads only for encrypted payloads). */
const decrypted = (text: string, key: string | undefined): Promise<unknown> =>
  import('../decrypt').then(({ decrypt }) => decrypt(text, key || '')).then((json) => JSON.parse(json));

/** Feature definitions from `options.url`; `ready()` waits for the first payload. */
export function createRemote(options: RemoteOptions, loadLive: LoadLive): Plugin<RemoteMethods> {
  return (host) => {
    /** The last payload's application: decryption is async, and `ready()`/`refreshFeatures()` wait for it. */
    let applying: Promise<void> | undefined;
    const apply = async (payload: RemotePayload): Promise<void> => {
      try {
        const features = payload.encryptedFeatures ? await decrypted(payload.encryptedFeatures, options.decryptionKey) : payload.features;
        const savedGroups = payload.encryptedSavedGroups ? await decrypted(payload.encryptedSavedGroups, options.decryptionKey) : payload.savedGroups;
        host.setFeatures(features as FeatureDefinitions, savedGroups as SavedGroups | undefined);
        host.emit('payload', payload);
      } catch (error) {
        host.log('Could not use the payload', { url: options.url, error });
      }
    };
    const { stream } = options;
    const source = createPayloadSource({
      ...options,
      // With a stream, polling is the fallback the stream follower runs.
      refreshMs: stream ? undefined : options.refreshMs,
      log: host.log,
      onPayload: (payload) => void (applying = apply(payload)),
      persist: () => host.read().consent == 'granted',
    });
    const started = source.start().then(() => applying);
    host.addStartupTask(started);
    let live: Live | undefined;
    let dead = false;
    if (stream) {
      const url = stream === true ? growthBookStreamUrl(options.url) : stream;
      if (!url) host.log('remote: stream: true needs a GrowthBook payload URL (…/api/features/KEY); polling instead', { url: options.url });
      // The stream code loads only for a client that follows one.
      Promise.all([loadLive(), started]).then(
        ([{ followPayloadStream }]) => {
          if (dead) return;
          live = followPayloadStream({
            url,
            fetch: options.fetch,
            log: host.log,
            pollMs: options.refreshMs || 60_000,
            refresh: source.refresh,
            accept: source.accept,
            available: stream === true ? () => source.streamOffered : undefined,
            allowedOrigins: options.allowedOrigins,
            timings: options.streamTimings,
          });
        },
        (error: unknown) => host.log('remote: the stream code did not load; the payload is not followed', { error }),
      );
    }
    host.on('destroy', () => {
      dead = true;
      source.destroy();
      if (live) live.destroy();
    });
    return {
      refreshFeatures: () => source.refresh().then((changed) => Promise.resolve(applying).then(() => changed)),
    };
  };
}

/** The stream a GrowthBook proxy serves for a payload URL (`…/api/features/KEY` → `…/sub/KEY`), if it is one. */
export function growthBookStreamUrl(payloadUrl: string): string | undefined {
  const match = /^(.*)\/api\/features\/([^/?#]+)/.exec(payloadUrl);
  return match ? match[1] + '/sub/' + match[2] : undefined;
}
