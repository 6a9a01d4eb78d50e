/**
 * The environment is read in one place: outside a page every part is absent, a test fakes it in
 * one call, and a global that throws when read (storage in a sandboxed frame) counts as absent.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/index';
import { browserUserAgent, fakeEnvironment, indexedDb, pageDocument, pageLocalStorage, pageURL, pageWindow } from '../../src/internal/env';

afterEach(() => {
  fakeEnvironment(undefined);
  vi.unstubAllGlobals();
});

describe('internal/env', () => {
  it('on Node: no page, no document, no URL, no user agent of a browser', () => {
    expect([pageWindow(), pageDocument(), pageURL(), pageLocalStorage()]).toEqual([undefined, undefined, undefined, undefined]);
    expect(createClient({ cookie: false }).getSnapshotForHydration().allowUrlOverrides).toBe(false);
  });

  it('a faked page is what the client reads: its URL, its user agent, URL overrides on', () => {
    const page = { location: { href: 'http://127.0.0.1/shop?e=1' }, navigator: { userAgent: 'Googlebot/2.1' } };
    fakeEnvironment({ window: {} as never, ...(page as object) });
    expect(pageURL()).toBe('http://127.0.0.1/shop?e=1');
    expect(browserUserAgent()).toBe('Googlebot/2.1');
    const client = createClient({ cookie: false, stickyBucketStore: false });
    const snapshot = client.getSnapshotForHydration();
    expect(snapshot.url).toBe('http://127.0.0.1/shop?e=1');
    expect(snapshot.allowUrlOverrides).toBe(true);
    // The faked user agent is a bot: experiments are off.
    expect(snapshot.enabled).toBe(false);
  });

  it('a global that throws when read counts as absent', () => {
    Object.defineProperty(globalThis, 'localStorage', { configurable: true, get: () => { throw new DOMException('blocked', 'SecurityError'); } });
    try {
      expect(pageLocalStorage()).toBeUndefined();
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
    expect(indexedDb()).toBeUndefined();
  });
});
