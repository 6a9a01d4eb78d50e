/**
 * Remote payloads: fetches a GrowthBook-format payload from a URL, caches it with a TTL and keeps it
 * fresh (ETag revalidation, `refresh()`, optional polling). Stale-while-revalidate: a cached payload
 * is delivered at once and refreshed in the background.
 *
 * A cached payload is trusted only while its integrity holds: each entry carries a digest of its
 * payload, ETag and fetch time, checked before it is delivered or revalidated (a corrupt or
 * tampered entry is dropped with a log line and the payload fetched whole), and its body is
 * fetched again unconditionally `cacheMaxAgeMs` after it last was, so an entry rewritten with a
 * matching digest (the digest is no secret) cannot lie for longer than that. Redirects of the
 * payload request stay on its origin unless `allowedOrigins` lists another. Nothing here throws into the app: a failed
 * or malformed fetch keeps the last good payload and logs one line per failure streak. Nothing
 * touches fetch, IndexedDB or timers until `start()` or `refresh()`, so importing is isomorphic.
 */
import { get, set } from 'idb-keyval';
import { isObject } from '../../conditions';
import { fnv1a32 } from '../../hash';
import { fetchText } from '../../internal/fetch';
import { idbStore, storageChain } from '../../internal/storage';
import { defaultLog } from '../../log';
import type { Logger } from '../../types';
import { indexedDb } from '../../internal/env';

/** A GrowthBook-format payload; only its outer shape is checked here. Shared: treat as read-only. */
export interface RemotePayload {
  features?: Record<string, unknown>;
  experiments?: unknown[];
  savedGroups?: Record<string, unknown>;
  encryptedFeatures?: string;
  encryptedSavedGroups?: string;
  [key: string]: unknown;
}

/** What a cache keeps per URL. `hash` (length + FNV-1a of the response text) detects changes. */
export interface CachedPayload {
  payload: RemotePayload;
  etag?: string;
  /** Last fetched or revalidated (a 304 counts). */
  fetchedAt: number;
  hash: string;
  /** When the body was last fetched whole (a 304 does not count). */
  bodyAt?: number;
  /** Digest of `payload`, `etag` and `bodyAt`: an entry whose digest does not match is not used. */
  digest?: string;
  /** The response said `x-sse-support: enabled` (GrowthBook's sign that a stream is offered). */
  sse?: boolean;
}

/** Where payloads are cached, keyed by URL. May reject; a failure only costs the cache. */
export interface PayloadCache {
  get(url: string): Promise<CachedPayload | undefined>;
  set(url: string, entry: CachedPayload): Promise<void>;
}

export interface PayloadSourceOptions {
  /** Where the payload is served; also the cache key. */
  url: string;
  /** A cached payload younger than this (default 60 s) is used without fetching. */
  cacheTtlMs?: number;
  /** Poll: `refresh()` every this many ms. Off by default. */
  refreshMs?: number;
  /** Abort a fetch (body included) after this many ms (default 5,000). */
  timeoutMs?: number;
  /** Default: IndexedDB (database `splitflap-payloads`) if present, else a Map shared by the process. */
  cache?: PayloadCache;
  fetch?: typeof fetch;
  log?: Logger;
  now?: () => number;
  /** Called with each payload that differs from the last one delivered. */
  onPayload: (payload: RemotePayload, source: 'cache' | 'network') => void;
  /** While this returns false, payloads are cached in memory only (no consent to store yet). */
  persist?: () => boolean;
  /** Origins a redirect of the payload request may lead to, besides the URL's own. Default none. */
  allowedOrigins?: readonly string[];
  /** Revalidate a cached body with its ETag for this long after it was fetched whole (default 1 h); then fetch it whole. */
  cacheMaxAgeMs?: number;
}

export interface PayloadSource {
  /** Delivers the cached payload, fetching if it is missing or stale. Resolves once a payload is in or the fetch failed. */
  start(): Promise<void>;
  /** Fetches now (sharing a request in flight); `true` when the payload changed. Never rejects. */
  refresh(): Promise<boolean>;
  /**
   * Take a payload pushed by the server (a stream's `features` event), as JSON text: checked,
   * cached and delivered like a fetched one. `true` when it changed. Never throws.
   */
  accept(text: string): boolean;
  /** Whether the last payload response offered a stream (`x-sse-support: enabled`). */
  readonly streamOffered: boolean;
  /** Stops polling and notifications. */
  destroy(): void;
}

/** A cache in a Map of its own. */
export function memoryPayloadCache(): PayloadCache {
  const m = new Map<string, CachedPayload>();
  return { get: async (url) => m.get(url), set: async (url, entry) => void m.set(url, entry) };
}

// Process-wide, so a server creating a client per request fetches once per TTL (and per outage logs once).
const memory = /* @__PURE__ */ memoryPayloadCache();
const inflight = new Map<string, Promise<{ status: number; etag: string | null; text: string; sse: boolean }>>();
const failing = new Set<string>();

// Features, plain or encrypted; anything else is an error body or the wrong URL.
const valid = (p: unknown): p is RemotePayload =>
  isObject(p) && (p.features ? isObject(p.features) : typeof p.encryptedFeatures == 'string');

const digest = (text: string) => text.length + ':' + fnv1a32(text);

/** The digest an entry must carry; '' when it cannot even be serialized. */
const sealOf = (entry: CachedPayload): string => {
  try {
    return digest(entry.etag + '\n' + entry.bodyAt + '\n' + JSON.stringify(entry.payload));
  } catch {
    return '';
  }
};
/** Entries known to match their digest (made here, or checked once): memory entries are not checked again. */
const intactEntries = new WeakSet<CachedPayload>();
const sealed = (entry: CachedPayload): CachedPayload => (intactEntries.add(entry), entry);
/** `entry` with its digest (for caches filled by hand: tests, a server pre-seeding one). */
export const sealEntry = (entry: CachedPayload): CachedPayload => ({ ...entry, digest: sealOf(entry) });
/** Whether `entry` is a usable object whose digest matches what it holds. */
const intact = (entry: CachedPayload): boolean => {
  if (intactEntries.has(entry)) return true;
  const ok = isObject(entry) && valid(entry.payload) && typeof entry.digest == 'string' && entry.digest === sealOf(entry);
  if (ok) intactEntries.add(entry);
  return ok;
};

const load = (fetchImpl: typeof fetch | undefined, url: string, etag: string | undefined, timeoutMs: number, origins: readonly string[]) =>
  fetchText(url, { headers: etag ? { 'If-None-Match': etag } : {} }, timeoutMs, fetchImpl, origins).then((response) => ({
    status: response.status,
    etag: response.headers.get('etag'),
    text: response.text,
    sse: response.headers.get('x-sse-support') == 'enabled',
  }));

// Our own database: idb-keyval's default store belongs to the app. Opened on first use.
const idb = (): PayloadCache => {
  const store = idbStore('splitflap-payloads', 'payloads');
  return { get: (url) => get(url, store), set: (url, entry) => set(url, entry, store) };
};

/** A payload from `url`: cached, revalidated with its ETag, delivered to `onPayload` when it changes. */
export function createPayloadSource(options: PayloadSourceOptions): PayloadSource {
  const { url, onPayload, cacheTtlMs = 60_000, timeoutMs = 5_000, now = Date.now, cacheMaxAgeMs = 3_600_000 } = options;
  const log = options.log || defaultLog;
  let last: CachedPayload | undefined, dead = false;
  let pending: Promise<boolean> | undefined, started: Promise<void> | undefined, timer: ReturnType<typeof setInterval>;
  // IndexedDB failing (private mode, blocked, quota) switches to memory for good, with one line.
  // An injected cache failing only costs the cache.
  // Chosen on first use: creating a source touches no storage.
  let run: (<T>(op: (c: PayloadCache) => Promise<T>) => Promise<T>) | undefined;
  const cache = <T>(op: (c: PayloadCache) => Promise<T>): Promise<T | undefined> =>
    (options.persist && !options.persist() ? op(memory) : (run ||= storageChain<PayloadCache>(
      'payload cache',
      options.cache ? [['the given cache', () => options.cache!]] : indexedDb() ? [['IndexedDB', idb], ['memory', () => memory]] : [['memory', () => memory]],
      log,
    ))(op)).catch(() => undefined);

  /** `recheck`: `last` was not trusted, so its `hash` may not describe its payload: compare the payloads themselves. */
  const deliver = (entry: CachedPayload, source: 'cache' | 'network', recheck = false) => {
    const changed = entry.hash != last?.hash || (recheck && !!last && JSON.stringify(last.payload) != JSON.stringify(entry.payload));
    last = entry;
    try {
      if (changed && !dead) onPayload(entry.payload, source);
    } catch (e) {
      log(`features: onPayload threw (${e})`);
    }
    return changed;
  };

  const fetchNow = async () => {
    // Revalidate (If-None-Match) only a body fetched whole recently; an old one is fetched whole again.
    const age = last && last.bodyAt !== undefined ? now() - last.bodyAt : NaN;
    const trusted = last && age >= 0 && age < cacheMaxAgeMs ? last : undefined;
    // Sources of the process share a request for the same URL and ETag.
    const etag = trusted?.etag, key = etag + ' ' + url;
    try {
      let p = inflight.get(key);
      if (!p) inflight.set(key, (p = load(options.fetch, url, etag, timeoutMs, options.allowedOrigins || []).finally(() => inflight.delete(key))));
      const r = await p;
      let changed = false;
      if (r.status == 304 && trusted && last === trusted) last = sealed({ ...trusted, fetchedAt: now(), sse: r.sse });
      else {
        if (r.status < 200 || r.status > 299) throw 'HTTP ' + r.status;
        changed = take(r.text, r.etag || undefined, r.sse, !!last && !trusted);
      }
      failing.delete(url);
      await cache((c) => c.set(url, last!));
      return changed;
    } catch (e) {
      if (!failing.has(url)) log(`features: fetching ${url} failed (${e}); keeping the last payload`);
      failing.add(url);
      return false;
    }
  };

  /** A payload's JSON text, checked and delivered; throws what is wrong with it. */
  const take = (text: string, etag: string | undefined, sse: boolean | undefined, recheck?: boolean) => {
    const payload = JSON.parse(text);
    if (!valid(payload)) throw 'no features';
    const entry: CachedPayload = { payload, etag, fetchedAt: now(), bodyAt: now(), hash: digest(text), sse };
    entry.digest = sealOf(entry);
    return deliver(sealed(entry), 'network', recheck);
  };

  const refresh = () => (dead ? Promise.resolve(false) : (pending ||= fetchNow().finally(() => (pending = undefined))));

  return {
    refresh,
    accept(text) {
      if (dead) return false;
      try {
        // The stream's payload has no ETag: the next revalidation fetches it whole, once.
        const changed = take(text, undefined, last ? last.sse : true);
        void cache((c) => c.set(url, last!));
        return changed;
      } catch (e) {
        log(`features: the stream for ${url} sent an unusable payload (${e}); keeping the last payload`);
        return false;
      }
    },
    get streamOffered() {
      return !!(last && last.sse);
    },
    start: () =>
      (started ||= (async () => {
        if (options.refreshMs && !dead) (timer = setInterval(refresh, options.refreshMs)).unref?.();
        const c = await cache((c) => c.get(url));
        if (c && !last) {
          if (intact(c)) deliver(c, 'cache');
          else log(`features: the cached payload for ${url} failed its integrity check (corrupt or tampered); fetching it whole`);
        }
        // Missing or stale (a corrupt or future fetchedAt counts as stale): fetch, waiting only if there is nothing to show.
        const age = last ? now() - last.fetchedAt : NaN;
        if (!last) await refresh();
        else if (!(age >= 0 && age < cacheTtlMs)) refresh();
      })()),
    destroy() {
      dead = true;
      clearInterval(timer);
    },
  };
}
