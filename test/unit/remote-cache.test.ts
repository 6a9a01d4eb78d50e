/**
 * The default payload cache: IndexedDB (fake-indexeddb) in its own database when `indexedDB`
 * exists, the process-wide memory Map when it does not or when it fails. The network is a stub.
 */
import { IDBFactory } from 'fake-indexeddb';
import { createStore, get, keys, set } from 'idb-keyval';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPayloadSource, sealEntry, type CachedPayload, type PayloadSourceOptions, type RemotePayload } from '../../src/plugins/remote/source';
import type { Logger } from '../../src/types';

const payload: RemotePayload = { features: { banner: { defaultValue: 'red' } } };
const rawIdb = (url: string) => get(url, createStore('splitflap-payloads', 'payloads'));

let seq = 0;
/** A fresh URL per test: the memory cache is shared by the whole process. */
const freshUrl = () => `https://cdn.example.test/api/features/sdk-${++seq}`;

const fetchStub = () =>
  vi.fn<typeof fetch>(async () => new Response(JSON.stringify(payload), { headers: { ETag: '"e1"' } }));

function source(url: string, fetch: typeof globalThis.fetch, options: Partial<PayloadSourceOptions> = {}) {
  const onPayload = vi.fn<PayloadSourceOptions['onPayload']>();
  const log = vi.fn<Logger>();
  return Object.assign(createPayloadSource({ url, fetch, log, onPayload, ...options }), { onPayload, log });
}

beforeEach(() => {
  vi.stubGlobal('indexedDB', new IDBFactory()); // a fresh, empty IndexedDB per test
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('IndexedDB payload cache', () => {
  it('survives a page reload: a second source delivers from IndexedDB without fetching', async () => {
    const url = freshUrl();
    const fetch = fetchStub();
    const first = source(url, fetch);
    await first.start();
    expect(first.onPayload.mock.calls).toEqual([[payload, 'network']]);
    expect(await rawIdb(url)).toMatchObject({ payload, etag: '"e1"', fetchedAt: expect.any(Number) });
    expect(await keys()).toEqual([]); // the app's default idb-keyval store is untouched

    const reloaded = source(url, fetch);
    await reloaded.start();
    expect(reloaded.onPayload.mock.calls).toEqual([[payload, 'cache']]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(first.log).not.toHaveBeenCalled();
    expect(reloaded.log).not.toHaveBeenCalled();

    // It was IndexedDB, not the process-wide memory: without indexedDB the next source must fetch.
    vi.stubGlobal('indexedDB', undefined);
    const server = source(url, fetch);
    await server.start();
    expect(server.onPayload.mock.calls).toEqual([[payload, 'network']]);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('a stale IndexedDB entry is delivered, then revalidated with its ETag', async () => {
    const url = freshUrl();
    let clock = 0;
    await source(url, fetchStub(), { now: () => clock }).start();
    clock = 60_000;
    const fetch = vi.fn<typeof globalThis.fetch>(async () => new Response(null, { status: 304 }));
    const s = source(url, fetch, { now: () => clock });
    await s.start();
    expect(s.onPayload.mock.calls).toEqual([[payload, 'cache']]);
    await vi.waitFor(async () => expect(await rawIdb(url)).toMatchObject({ fetchedAt: 60_000 }));
    expect(new Headers(fetch.mock.calls[0][1]?.headers).get('if-none-match')).toBe('"e1"');
  });

  it('falls back to memory with one log line when indexedDB throws', async () => {
    const url = freshUrl();
    const fetch = fetchStub();
    vi.stubGlobal('indexedDB', {
      open() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    const first = source(url, fetch);
    await first.start();
    expect(first.onPayload.mock.calls).toEqual([[payload, 'network']]);
    expect(first.log.mock.calls).toEqual([['payload cache: IndexedDB failed (SecurityError: The operation is insecure.); using memory']]);
    await first.refresh();
    expect(first.log).toHaveBeenCalledTimes(1);

    // The payload landed in the process memory: the next source gets it from there.
    const second = source(url, fetch);
    await second.start();
    expect(second.onPayload.mock.calls).toEqual([[payload, 'cache']]);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('an injected cache that rejects costs only the cache', async () => {
    const url = freshUrl();
    const fetch = fetchStub();
    const cache = { get: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')) };
    const s = source(url, fetch, { cache });
    await s.start();
    expect(s.onPayload.mock.calls).toEqual([[payload, 'network']]);
    expect(s.log).not.toHaveBeenCalled();
  });
});

describe('isomorphic', () => {
  it('creating a source touches neither indexedDB nor fetch nor timers; start does', async () => {
    const idb = vi.fn(() => new IDBFactory());
    const fetch = vi.fn(fetchStub());
    Object.defineProperty(globalThis, 'indexedDB', { get: idb, configurable: true });
    vi.stubGlobal('fetch', fetch);
    const setInterval = vi.spyOn(globalThis, 'setInterval');
    const s = createPayloadSource({ url: freshUrl(), refreshMs: 1_000, onPayload: () => {} });
    expect(idb).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
    expect(setInterval).not.toHaveBeenCalled();
    await s.start();
    s.destroy();
    expect(idb).toHaveBeenCalled();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(setInterval).toHaveBeenCalledTimes(1);
    delete (globalThis as Record<string, unknown>).indexedDB;
  });
});

describe('a poisoned cache entry does not survive revalidation (issue 21)', () => {
  const served: RemotePayload = { features: { 'admin-panel': { defaultValue: false } } };
  const poisoned: RemotePayload = { features: { 'admin-panel': { defaultValue: true } } };
  const idbStore = () => createStore('splitflap-payloads', 'payloads');
  /** The server: the payload with ETag "e1", a 304 to a request that carries it. */
  const server = () =>
    vi.fn<typeof fetch>(async (_url, init) =>
      new Headers(init?.headers).get('if-none-match') == '"e1"' ? new Response(null, { status: 304, headers: { ETag: '"e1"' } }) : new Response(JSON.stringify(served), { headers: { ETag: '"e1"' } }),
    );

  it('an entry rewritten in storage with the current ETag is caught by its digest, logged, and replaced', async () => {
    const url = freshUrl();
    let clock = 0;
    await source(url, server(), { now: () => clock }).start();
    // A one-time same-origin write: the flag flipped, the ETag (and everything else) kept.
    const stored = (await get(url, idbStore())) as CachedPayload;
    await set(url, { ...stored, payload: poisoned }, idbStore());

    for (const visit of [1, 2, 3]) {
      clock = visit * 120_000; // stale: revalidated on each visit
      const fetch = server();
      const s = source(url, fetch, { now: () => clock });
      await s.start();
      await vi.waitFor(async () => expect(((await get(url, idbStore())) as CachedPayload).payload).toEqual(served));
      // Never applied, not even for the first render; fetched whole (no If-None-Match, so no 304).
      expect(s.onPayload.mock.calls).toEqual([[served, visit == 1 ? 'network' : 'cache']]);
      if (visit == 1) {
        expect(new Headers(fetch.mock.calls[0]![1]?.headers).get('if-none-match')).toBeNull();
        expect(s.log.mock.calls).toEqual([[`features: the cached payload for ${url} failed its integrity check (corrupt or tampered); fetching it whole`]]);
      }
    }
  });

  it('an entry rewritten with a matching digest is trusted only until cacheMaxAgeMs after its body was fetched, then fetched whole', async () => {
    const url = freshUrl();
    let clock = 0;
    await source(url, server(), { now: () => clock }).start();
    const stored = (await get(url, idbStore())) as CachedPayload;
    await set(url, sealEntry({ ...stored, payload: poisoned }), idbStore());

    clock = 10 * 60_000; // within the hour: revalidated with the ETag (a 304)
    const early = source(url, server(), { now: () => clock });
    await early.start();
    await vi.waitFor(async () => expect(((await get(url, idbStore())) as CachedPayload).fetchedAt).toBe(clock));
    expect(early.onPayload.mock.calls).toEqual([[poisoned, 'cache']]);

    clock = 61 * 60_000; // past the default hour: the body is fetched whole, the lie ends
    const fetch = server();
    const late = source(url, fetch, { now: () => clock });
    await late.start();
    await vi.waitFor(() => expect(late.onPayload.mock.calls).toEqual([[poisoned, 'cache'], [served, 'network']]));
    expect(new Headers(fetch.mock.calls[0]![1]?.headers).get('if-none-match')).toBeNull();
    await vi.waitFor(async () => expect(((await get(url, idbStore())) as CachedPayload).payload).toEqual(served));
  });
});
