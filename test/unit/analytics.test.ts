// @vitest-environment jsdom
/**
 * `splitflap/analytics` in jsdom with fake-indexeddb: GA4, Segment and endpoint delivery, event
 * shapes, conversions from Sixpack and from `splitflap:convert` events (the markup plugin's counted
 * once), dedupe across page loads with its window, and what happens when the page is hidden.
 * Real Chromium and a real collector: test/browser/analytics.test.ts.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { ClientOptions } from '../../src/api';
import { createClient } from '../../src/client';
import {
  batchBodies,
  DEFAULT_DEDUPE_WINDOW_MS,
  endpoint,
  exposureLedger,
  ga4,
  segment,
  type AnalyticsEvent,
  type AnalyticsMethods,
  type Gtag,
} from '../../src/plugins/analytics';
import { withConsent, type ConsentMethods } from '../../src/plugins/consent';
import { bindMarkup } from '../../src/plugins/dom/markup';
import type { Plugin } from '../../src/plugin';
import { memoryQueue, sixpack, type SixpackMethods } from '../../src/plugins/sixpack';
import type { FeatureDefinitions, Logger } from '../../src/types';

const features: FeatureDefinitions = {
  // Weights [0, 1, 0]: everyone hashed in gets "b".
  color: {
    defaultValue: 'grey',
    rules: [{ key: 'color-test', name: 'Color test', variations: ['red', 'blue', 'green'], weights: [0, 1, 0], meta: [{ key: 'r' }, { key: 'b', name: 'Blue' }, { key: 'g' }] }],
  },
  size: { defaultValue: 's', rules: [{ key: 'size-test', variations: ['s', 'l'], weights: [1, 0] }] },
};

const clients: { destroy(): void }[] = [];
beforeEach(() => {
  vi.stubGlobal('indexedDB', new IDBFactory()); // every test starts with an empty IndexedDB…
  localStorage.clear(); // …and localStorage
});
afterEach(() => {
  clients.splice(0).forEach((client) => client.destroy());
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

/** A page load's client for visitor `id` with `plugins`. */
function pageClient<const P extends readonly Plugin[]>(plugins: P, options: Omit<ClientOptions, 'plugins'> = {}, id = 'visitor-1') {
  const log = vi.fn<Logger>();
  const client = createClient({ clientId: id, cookie: false, stickyBucketStore: false, features, log, ...options, plugins });
  clients.push(client);
  return Object.assign(client, { log });
}

/**
 * Sixpack mode against a stand-in server (its fetch): `participations` are the server's answers
 * (else the control); `calls` lists the conversions the server received.
 */
function fakeSixpack(participations: Record<string, string> = {}) {
  const calls: [string, { kpi?: string } | undefined][] = [];
  const fetch = async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    const experiment = url.searchParams.get('experiment')!;
    if (url.pathname.endsWith('/convert')) {
      const kpi = url.searchParams.get('kpi');
      calls.push([experiment, kpi ? { kpi } : undefined]);
      return Response.json({ status: 'ok' });
    }
    const alternative = participations[experiment] ?? url.searchParams.getAll('alternatives')[0];
    return Response.json({ status: 'ok', alternative: { name: alternative }, experiment: { name: experiment } });
  };
  return { plugin: sixpack({ baseUrl: 'http://sixpack.test', fetch, queue: memoryQueue() }), calls };
}

describe('ga4()', () => {
  it('sends each exposure as gtag("event", "experiment_viewed", …) with GA4 parameters', async () => {
    const gtag = vi.fn<Gtag>();
    const client = pageClient([ga4({ gtag })]);
    client.evalFeature('color');
    client.evalFeature('color');
    await client.flushAnalytics();
    expect(gtag.mock.calls).toEqual([
      ['event', 'experiment_viewed', { experiment_id: 'color-test', experiment_name: 'Color test', variation_id: 'b', variation_name: 'Blue', feature_id: 'color' }],
    ]);
    client.run({ key: 'inline', variations: ['x', 'y'], weights: [0, 1] });
    await client.flushAnalytics();
    expect(gtag.mock.calls[1]).toEqual(['event', 'experiment_viewed', { experiment_id: 'inline', variation_id: '1' }]);
  });

  it('a visitor who reloads is one exposure within the window, and a new one after it', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const gtag = vi.fn<Gtag>();
    const load = () => {
      const client = pageClient([ga4({ gtag, now: () => now })]);
      client.evalFeature('color');
      return client.flushAnalytics();
    };
    for (let reload = 0; reload < 10; reload++) await load();
    expect(gtag).toHaveBeenCalledTimes(1);
    now += DEFAULT_DEDUPE_WINDOW_MS - 1;
    await load();
    expect(gtag).toHaveBeenCalledTimes(1);
    now += 1;
    await load();
    expect(gtag).toHaveBeenCalledTimes(2);
    // Another visitor on the same browser is an exposure of their own.
    const other = pageClient([ga4({ gtag, now: () => now })], {}, 'visitor-2');
    other.evalFeature('color');
    await other.flushAnalytics();
    expect(gtag).toHaveBeenCalledTimes(3);
  });

  it('dedupeWindowMs: 0 leaves only the per-client dedupe: every page load is an exposure', async () => {
    const gtag = vi.fn<Gtag>();
    for (let reload = 0; reload < 3; reload++) {
      const client = pageClient([ga4({ gtag, dedupeWindowMs: 0 })]);
      client.evalFeature('color');
      client.evalFeature('color');
      await client.flushAnalytics();
    }
    expect(gtag).toHaveBeenCalledTimes(3);
  });

  it('without gtag.js, pushes GTM-style events to window.dataLayer (created when missing)', async () => {
    const client = pageClient([ga4()]);
    client.evalFeature('color');
    await client.flushAnalytics();
    expect((window as unknown as { dataLayer: unknown[] }).dataLayer).toEqual([
      { event: 'experiment_viewed', experiment_id: 'color-test', experiment_name: 'Color test', variation_id: 'b', variation_name: 'Blue', feature_id: 'color' },
    ]);
  });

  it('forwards Sixpack conversions with the known variation and KPI, whatever the plugin order', async () => {
    for (const order of ['after', 'before'] as const) {
      const gtag = vi.fn<Gtag>();
      const six = fakeSixpack({ checkout: 'two-step' });
      const plugins = order === 'after' ? ([six.plugin, ga4({ gtag })] as const) : ([ga4({ gtag }), six.plugin] as const);
      const client = pageClient(plugins);
      await client.participate('checkout', ['one-page', 'two-step']);
      await client.convert('checkout', { kpi: 'purchase' });
      await client.convert('signup');
      expect(six.calls, order).toEqual([['checkout', { kpi: 'purchase' }], ['signup', undefined]]);
      expect(gtag.mock.calls, order).toEqual([
        ['event', 'experiment_converted', { experiment_id: 'checkout', variation_id: 'two-step', kpi: 'purchase', conversion_source: 'sixpack' }],
        ['event', 'experiment_converted', { experiment_id: 'signup', conversion_source: 'sixpack' }],
      ]);
      client.destroy();
    }
  });

  it('forwards splitflap:convert events with the variation this page showed; a markup click counts once', async () => {
    const gtag = vi.fn<Gtag>();
    const six = fakeSixpack();
    const client = pageClient([six.plugin, ga4({ gtag })]);
    bindMarkup(client);
    client.evalFeature('color');
    document.body.innerHTML = '<button data-convert="color-test" data-kpi="click">Buy</button>';
    // The page stops propagation: the capture listener still sees it.
    document.body.addEventListener('splitflap:convert', (event) => event.stopPropagation());
    document.querySelector('button')!.click();
    document.dispatchEvent(new CustomEvent('splitflap:convert', { detail: { experiment: 'page-goal' } }));
    await client.flushAnalytics();
    // Conversions go out at once; the exposure after its dedupe check.
    expect(gtag.mock.calls.filter((call) => call[1] === 'experiment_converted')).toEqual([
      ['event', 'experiment_converted', { experiment_id: 'color-test', variation_id: 'b', kpi: 'click', conversion_source: 'dom' }],
      ['event', 'experiment_converted', { experiment_id: 'page-goal', conversion_source: 'dom' }],
    ]);
    // Markup converted through Sixpack as well; that is the same conversion, not a second one.
    expect(six.calls).toEqual([['color-test', { kpi: 'click' }]]);
  });

  it('nothing is forwarded for a client that runs no experiments (bots, enabled: false)', async () => {
    const gtag = vi.fn<Gtag>();
    const six = fakeSixpack();
    const client = pageClient([six.plugin, ga4({ gtag })], { enabled: false });
    client.evalFeature('color');
    await client.convert('checkout');
    document.dispatchEvent(new CustomEvent('splitflap:convert', { detail: { experiment: 'checkout' } }));
    await client.flushAnalytics();
    expect(gtag).not.toHaveBeenCalled();
  });

  it('bad conversion events and a throwing gtag are ignored with a log line, never thrown', async () => {
    const gtag = vi.fn<Gtag>(() => {
      throw new Error('gtag broke');
    });
    const client = pageClient([ga4({ gtag })]);
    for (const detail of [null, 42, { experiment: '' }, { experiment: { toString: () => 'x' } }]) {
      document.dispatchEvent(new CustomEvent('splitflap:convert', { detail }));
    }
    expect(gtag).not.toHaveBeenCalled();
    expect(() => client.evalFeature('color')).not.toThrow();
    await client.flushAnalytics();
    expect(client.log).toHaveBeenCalledWith('Analytics (ga4): sending failed', expect.anything());
  });
});

describe('with withConsent (splitflap/consent)', () => {
  /** Whether anything reached the ledger's IndexedDB database. */
  const ledgerWritten = () =>
    new Promise<boolean>((resolve) => {
      const open = indexedDB.open('splitflap-exposures');
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('delivered')) return db.close(), resolve(false);
        const count = db.transaction('delivered').objectStore('delivered').count();
        count.onsuccess = () => (db.close(), resolve(count.result > 0));
      };
    });

  for (const order of ['sixpack first', 'analytics first'] as const) {
    it(`nothing is delivered or stored before the grant; then each exposure and conversion once (${order})`, async () => {
      const gtag = vi.fn<Gtag>();
      const six = fakeSixpack({ checkout: 'two-step' });
      const plugins = order === 'sixpack first' ? [six.plugin, ga4({ gtag })] : [ga4({ gtag }), six.plugin];
      // The plugin lists differ in order, so TypeScript sees no tuple: name what they add.
      const client = createClient(withConsent({ consent: 'pending' }, { clientId: 'visitor-1', cookie: false, stickyBucketStore: false, features, log: vi.fn(), plugins })) as ReturnType<
        typeof createClient
      > &
        ConsentMethods &
        AnalyticsMethods &
        SixpackMethods;
      clients.push(client);
      bindMarkup(client);
      client.evalFeature('color');
      void client.convert('checkout', { kpi: 'purchase' });
      document.body.innerHTML = '<button data-convert="color-test">Buy</button>';
      document.querySelector('button')!.click();
      await client.flushAnalytics();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(gtag).not.toHaveBeenCalled();
      expect(six.calls).toEqual([]);
      expect(await ledgerWritten()).toBe(false);

      client.setConsent('granted');
      await client.flushAnalytics();
      await vi.waitFor(() => expect(six.calls).toHaveLength(2));
      await new Promise((resolve) => setTimeout(resolve, 10));
      const sent = gtag.mock.calls.map(([, name, params]) => [name, params.experiment_id, params.conversion_source]);
      expect(sent).toHaveLength(3);
      expect(sent).toEqual(
        expect.arrayContaining([
          ['experiment_viewed', 'color-test', undefined],
          ['experiment_converted', 'checkout', 'sixpack'],
          ['experiment_converted', 'color-test', 'dom'],
        ]),
      );
      expect(await ledgerWritten()).toBe(true);
    });
  }

  it('a denial drops what waited, and nothing is delivered after it', async () => {
    const gtag = vi.fn<Gtag>();
    const client = createClient(withConsent({ consent: 'pending' }, { clientId: 'visitor-1', cookie: false, stickyBucketStore: false, features, log: vi.fn(), plugins: [ga4({ gtag })] as const }));
    clients.push(client);
    client.evalFeature('color');
    document.dispatchEvent(new CustomEvent('splitflap:convert', { detail: { experiment: 'goal' } }));
    client.setConsent('denied');
    client.run({ key: 'later', variations: [0, 1] });
    document.dispatchEvent(new CustomEvent('splitflap:convert', { detail: { experiment: 'goal' } }));
    await client.flushAnalytics();
    expect(gtag).not.toHaveBeenCalled();
    expect(await ledgerWritten()).toBe(false);
  });
});

describe('segment()', () => {
  it("calls window.analytics.track with Segment's Experiment Viewed properties (looked up at each event)", async () => {
    const client = pageClient([segment()]);
    const track = vi.fn();
    (window as unknown as { analytics: unknown }).analytics = { track };
    client.evalFeature('color');
    await client.flushAnalytics();
    expect(track.mock.calls).toEqual([
      ['Experiment Viewed', { experiment_id: 'color-test', experiment_name: 'Color test', variation_id: 'b', variation_name: 'Blue', feature_id: 'color', splitflap_client_id: 'visitor-1' }],
    ]);
    delete (window as unknown as { analytics?: unknown }).analytics;
  });

  it('without analytics.js, each event is dropped with a log line', async () => {
    const client = pageClient([segment()]);
    client.evalFeature('color');
    await client.flushAnalytics();
    expect(client.log).toHaveBeenCalledWith('Analytics (segment): no analytics.track; event dropped', { event: 'Experiment Viewed' });
  });

  it('next to ga4(), each target gets every exposure once', async () => {
    const gtag = vi.fn<Gtag>();
    const track = vi.fn();
    for (let reload = 0; reload < 2; reload++) {
      const client = pageClient([ga4({ gtag }), segment({ analytics: { track } })]);
      client.evalFeature('color');
      client.evalFeature('size');
      await client.flushAnalytics();
    }
    expect(gtag).toHaveBeenCalledTimes(2);
    expect(track).toHaveBeenCalledTimes(2);
  });
});

describe('endpoint()', () => {
  /** `navigator.sendBeacon` replaced for one test (jsdom has none). */
  function stubBeacon(beacon: (url: string, body: string) => boolean) {
    Object.defineProperty(navigator, 'sendBeacon', { configurable: true, value: beacon });
    onTestFinished(() => void delete (navigator as { sendBeacon?: unknown }).sendBeacon);
  }

  /** A collector stub: the batches it received, parsed. */
  function collector(respond: (call: number) => Response | Promise<Response> = () => new Response(null, { status: 204 })) {
    const batches: AnalyticsEvent[][] = [];
    const requests: RequestInit[] = [];
    const fetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      requests.push(init!);
      const response = await respond(requests.length);
      if (response.ok) batches.push((JSON.parse(String(init!.body)) as { events: AnalyticsEvent[] }).events);
      return response;
    });
    return { batches, requests, fetch: fetch as unknown as typeof globalThis.fetch };
  }

  it('posts batches of documented events as text/plain JSON with keepalive', async () => {
    const sink = collector();
    const six = fakeSixpack({ checkout: 'one-page' });
    const client = pageClient([six.plugin, endpoint({ url: 'https://collect.example.test/e', fetch: sink.fetch, batchSize: 3, flushIntervalMs: 60_000 })]);
    client.evalFeature('color');
    client.evalFeature('size');
    await vi.waitFor(() => expect(vi.mocked(sink.fetch)).not.toHaveBeenCalled());
    await client.participate('checkout', ['two-step', 'one-page']);
    await client.convert('checkout', { kpi: 'purchase' });
    await vi.waitFor(() => expect(sink.batches).toHaveLength(1));
    expect(sink.requests[0]).toMatchObject({ method: 'POST', keepalive: true, mode: 'no-cors', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
    // Conversions go out at once, exposures after their dedupe check: order by type.
    const byExperiment = (name: string) => sink.batches[0]!.find((event) => event.experiment === name);
    const [color, size, conversion] = [byExperiment('color-test'), byExperiment('size-test'), byExperiment('checkout')];
    expect(Object.keys(color!).sort()).toEqual(
      ['type', 'id', 'timestamp', 'clientId', 'experiment', 'experimentName', 'variation', 'variationId', 'variationName', 'feature', 'hashAttribute', 'hashValue'].sort(),
    );
    expect(color).toMatchObject({ type: 'exposure', clientId: 'visitor-1', experiment: 'color-test', variation: 'b', variationId: 1, feature: 'color', hashAttribute: 'id', hashValue: 'visitor-1' });
    expect(size).toMatchObject({ type: 'exposure', experiment: 'size-test', variation: '0', variationId: 0 });
    expect(size).not.toHaveProperty('experimentName');
    expect(conversion).toEqual({ type: 'conversion', id: expect.stringMatching(/^[0-9a-f-]{36}$/), timestamp: expect.any(String), clientId: 'visitor-1', experiment: 'checkout', kpi: 'purchase', variation: 'one-page', source: 'sixpack' });
    expect(new Date(conversion!.timestamp).toISOString()).toBe(conversion!.timestamp);
    expect(new Set(sink.batches[0]!.map((event) => event.id)).size).toBe(3);
  });

  it('sends a partial batch flushIntervalMs after its first event', async () => {
    const sink = collector();
    const client = pageClient([endpoint({ url: '/collect', fetch: sink.fetch, flushIntervalMs: 30 })]);
    client.evalFeature('color');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sink.batches).toHaveLength(0);
    await vi.waitFor(() => expect(sink.batches).toHaveLength(1));
    expect(sink.batches[0]!.map((event) => event.type)).toEqual(['exposure']);
  });

  it('retries a failed batch (network error, 5xx) with the next one, without duplicates; a 4xx batch is dropped with a log line', async () => {
    const sink = collector((call) => {
      if (call === 1) throw new TypeError('network down');
      return new Response(null, { status: call === 2 ? 503 : 204 });
    });
    const client = pageClient([endpoint({ url: '/collect', fetch: sink.fetch, flushIntervalMs: 5 })]);
    client.evalFeature('color');
    await vi.waitFor(() => expect(sink.batches).toHaveLength(1), { timeout: 2_000 });
    expect(sink.requests).toHaveLength(3);
    expect(sink.batches[0]!.map((event) => event.experiment)).toEqual(['color-test']);
    expect(client.log).toHaveBeenCalledWith('Analytics (endpoint): send failed; will retry', expect.objectContaining({ events: 1 }));

    const refusing = collector(() => new Response('bad', { status: 400 }));
    const other = pageClient([endpoint({ url: '/collect', fetch: refusing.fetch, flushIntervalMs: 5 })], {}, 'visitor-2');
    other.evalFeature('color');
    await vi.waitFor(() => expect(other.log).toHaveBeenCalledWith('Analytics (endpoint): batch refused', { status: 400, events: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(refusing.requests).toHaveLength(1);
  });

  it('keeps at most maxQueued events while the endpoint is down, dropping the oldest with a log line', async () => {
    let up = false;
    const sink = collector(() => {
      if (!up) throw new TypeError('down');
      return new Response(null, { status: 204 });
    });
    const client = pageClient([endpoint({ url: '/collect', fetch: sink.fetch, flushIntervalMs: 60_000, maxQueued: 2, dedupeWindowMs: 0 })]);
    for (const key of ['a', 'b', 'c', 'd']) client.run({ key, variations: [0, 1] });
    await client.flushAnalytics();
    expect(client.log).toHaveBeenCalledWith('Analytics (endpoint): too many unsent events; dropped the oldest', { dropped: 2 });
    up = true;
    await client.flushAnalytics();
    expect(sink.batches.map((batch) => batch.map((event) => event.experiment))).toEqual([['c', 'd']]);
  });

  it('when the page is hidden or left, everything waiting goes by sendBeacon, exposures still in the dedupe check included', async () => {
    const beacons: [url: string, body: string][] = [];
    stubBeacon((url, body) => (beacons.push([url, body]), true));
    const sink = collector();
    const client = pageClient([endpoint({ url: '/collect', fetch: sink.fetch, flushIntervalMs: 60_000 })]);
    client.evalFeature('color'); // its dedupe check is an IndexedDB transaction: not done yet
    window.dispatchEvent(new Event('pagehide'));
    expect(beacons).toHaveLength(1);
    const [url, body] = beacons[0]!;
    expect(url).toBe('/collect');
    expect((JSON.parse(body!) as { events: AnalyticsEvent[] }).events.map((event) => event.experiment)).toEqual(['color-test']);
    // The check finishing later does not send it again.
    await client.flushAnalytics();
    expect(beacons).toHaveLength(1);
    expect(sink.requests).toHaveLength(0);

    client.evalFeature('size');
    await client.flushAnalytics();
    client.run({ key: 'late', variations: [0, 1] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    delete (document as { visibilityState?: string }).visibilityState;
    expect(beacons).toHaveLength(2);
    expect((JSON.parse(beacons[1]![1]) as { events: AnalyticsEvent[] }).events.map((event) => event.experiment)).toEqual(['late']);
  });

  it('a beacon the browser refuses (over its quota) goes by keepalive fetch instead', async () => {
    stubBeacon(() => false);
    const sink = collector();
    const client = pageClient([endpoint({ url: '/collect', fetch: sink.fetch, flushIntervalMs: 60_000, dedupeWindowMs: 0 })]);
    client.evalFeature('color');
    window.dispatchEvent(new Event('pagehide'));
    await vi.waitFor(() => expect(sink.batches).toHaveLength(1));
    expect(sink.requests[0]!.keepalive).toBe(true);
  });

  it('destroy() sends what is waiting', async () => {
    const sink = collector();
    const client = pageClient([endpoint({ url: '/collect', fetch: sink.fetch, flushIntervalMs: 60_000, dedupeWindowMs: 0 })]);
    client.evalFeature('color');
    client.destroy();
    await vi.waitFor(() => expect(sink.batches).toHaveLength(1));
  });

  it('needs a url', () => {
    expect(() => endpoint({ url: '' })).toThrow(TypeError);
    expect(() => endpoint(undefined as never)).toThrow(TypeError);
  });

  it('batchBodies keeps each body under the 64 KiB beacon budget', () => {
    const events = Array.from({ length: 300 }, (_, index): AnalyticsEvent => ({
      type: 'conversion', id: String(index), timestamp: '2025-01-01T00:00:00.000Z', clientId: 'c', experiment: 'x'.repeat(500), source: 'dom',
    }));
    const bodies = batchBodies(events);
    expect(bodies.length).toBeGreaterThan(2);
    for (const { body } of bodies) expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(60_000);
    expect(bodies.flatMap(({ body }) => (JSON.parse(body) as { events: AnalyticsEvent[] }).events)).toEqual(events);
  });
});

describe('exposureLedger', () => {
  it('claims a key once within the window, again after it; corrupt entries count as unseen', async () => {
    let now = 1_000_000;
    const log = vi.fn<Logger>();
    const first = exposureLedger(1_000, log, () => now);
    expect(await first.claim('k')).toBe(true);
    expect(await first.claim('k')).toBe(false);
    // Another page load (a new ledger) reads what the first recorded.
    const second = exposureLedger(1_000, log, () => now);
    expect(await second.claim('k')).toBe(false);
    expect(await second.claim('other')).toBe(true);
    now += 1_000;
    expect(await second.claim('k')).toBe(true);
    // A clock that went back: the record is from the future and does not count.
    now -= 5_000;
    expect(await exposureLedger(1_000, log, () => now).claim('k')).toBe(true);
    expect(log).not.toHaveBeenCalled();
  });

  it('two ledgers claiming at once (two tabs) get one true', async () => {
    const a = exposureLedger(60_000, vi.fn());
    const b = exposureLedger(60_000, vi.fn());
    expect((await Promise.all([a.claim('same'), b.claim('same'), a.claim('same'), b.claim('same')])).filter(Boolean)).toHaveLength(1);
  });

  it('without a working IndexedDB it uses localStorage (one log line), then memory', async () => {
    vi.stubGlobal('indexedDB', { open: () => { throw new Error('blocked'); } });
    const log = vi.fn<Logger>();
    const ledger = exposureLedger(60_000, log);
    expect(await ledger.claim('k')).toBe(true);
    expect(await exposureLedger(60_000, vi.fn()).claim('k')).toBe(false); // kept in localStorage
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^exposure dedupe: IndexedDB failed .*; using localStorage$/));
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new Error('quota');
    });
    const memoryOnly = exposureLedger(60_000, log);
    expect(await memoryOnly.claim('fresh')).toBe(true);
    expect(await memoryOnly.claim('fresh')).toBe(false);
    expect(log).toHaveBeenLastCalledWith(expect.stringMatching(/using memory$/));
  });

  it('a corrupt localStorage entry is replaced', async () => {
    vi.stubGlobal('indexedDB', undefined);
    localStorage.setItem('splitflap:exposures', '{not json');
    expect(await exposureLedger(60_000, vi.fn()).claim('k')).toBe(true);
    expect(JSON.parse(localStorage.getItem('splitflap:exposures')!)).toEqual({ k: expect.any(Number) });
    localStorage.setItem('splitflap:exposures', '{"k":"yesterday"}');
    expect(await exposureLedger(60_000, vi.fn()).claim('k')).toBe(true);
  });
});
