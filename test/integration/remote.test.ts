/**
 * Remote payloads over real HTTP: a tiny node:http server per test (127.0.0.1, port 0) that serves a
 * payload with an ETag, answers If-None-Match with 304, counts requests, and can be switched to
 * fail (500), hang, answer slowly or serve garbage.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createPayloadSource,
  memoryPayloadCache,
  sealEntry,
  type PayloadCache,
  type PayloadSourceOptions,
  type RemotePayload,
} from '../../src/plugins/remote/source';
import type { Logger } from '../../src/types';

interface Server {
  url: string;
  /** Requests seen, with their If-None-Match header. */
  requests: (string | undefined)[];
  mode: 'ok' | 'fail' | 'hang';
  /** Milliseconds to wait before answering. */
  delay: number;
  /** Serves `body` under a new ETag. */
  serve(body: string): void;
  close(): Promise<void>;
}

const servers: Server[] = [];
const sources: ReturnType<typeof createPayloadSource>[] = [];
afterEach(async () => {
  sources.splice(0).forEach((s) => s.destroy());
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const v1: RemotePayload = { features: { banner: { defaultValue: 'red' } } };
const v2: RemotePayload = { features: { banner: { defaultValue: 'blue' } }, savedGroups: { staff: ['u1'] } };

async function startServer(payload: unknown = v1): Promise<Server> {
  let body = '', etag = '', version = 0;
  const server = http.createServer((req, res) => {
    const inm = req.headers['if-none-match'];
    s.requests.push(inm);
    if (s.mode == 'hang') return;
    setTimeout(() => {
      if (s.mode == 'fail') res.writeHead(500, { 'Content-Type': 'text/html' }).end('<h1>Oops</h1>');
      else if (inm == etag) res.writeHead(304, { ETag: etag }).end();
      else res.writeHead(200, { 'Content-Type': 'application/json', ETag: etag }).end(body);
    }, s.delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: Server = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/features/sdk-abc`,
    requests: [],
    mode: 'ok',
    delay: 0,
    serve: (b) => ((body = b), (etag = `"v${++version}"`)),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  s.serve(JSON.stringify(payload));
  servers.push(s);
  return s;
}

/** A URL nothing listens on (a server started, then closed). */
async function closedUrl() {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/features.json`;
}

let clock = 1_000_000;
const now = () => clock;

function source(url: string, options: Partial<PayloadSourceOptions> = {}) {
  const onPayload = vi.fn<PayloadSourceOptions['onPayload']>();
  const log = vi.fn<Logger>();
  const s = createPayloadSource({ url, now, log, onPayload, ...options });
  sources.push(s);
  return Object.assign(s, { onPayload, log });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('start: fetch, cache, revalidate', () => {
  it('fetches on first start and delivers the payload from the network', async () => {
    const srv = await startServer();
    const a = source(srv.url, { cache: memoryPayloadCache() });
    await a.start();
    expect(a.onPayload).toHaveBeenCalledTimes(1);
    expect(a.onPayload).toHaveBeenCalledWith(v1, 'network');
    expect(srv.requests).toEqual([undefined]);
    expect(a.log).not.toHaveBeenCalled();
  });

  it('a second source with the same cache delivers from the cache and does not fetch while fresh', async () => {
    const srv = await startServer();
    const cache = memoryPayloadCache();
    await source(srv.url, { cache }).start();
    srv.mode = 'hang'; // a fetch now would never finish: start must not wait for one
    clock += 59_000;
    const b = source(srv.url, { cache });
    await b.start();
    expect(b.onPayload.mock.calls).toEqual([[v1, 'cache']]);
    expect(srv.requests).toHaveLength(1);
  });

  it('delivers a stale cached payload at once and revalidates in the background (stale-while-revalidate)', async () => {
    const srv = await startServer();
    const cache = memoryPayloadCache();
    await source(srv.url, { cache }).start();
    srv.delay = 300;
    srv.serve(JSON.stringify(v2));
    clock += 61_000;
    const b = source(srv.url, { cache });
    const t0 = Date.now();
    await b.start();
    expect(Date.now() - t0).toBeLessThan(200);
    expect(b.onPayload.mock.calls).toEqual([[v1, 'cache']]);
    await vi.waitFor(() => expect(b.onPayload).toHaveBeenCalledTimes(2));
    expect(b.onPayload).toHaveBeenLastCalledWith(v2, 'network');
    expect(srv.requests).toEqual([undefined, '"v1"']);
    // The fresh payload went to the cache: a third source gets v2 without fetching.
    const c = source(srv.url, { cache });
    await c.start();
    expect(c.onPayload.mock.calls).toEqual([[v2, 'cache']]);
    expect(srv.requests).toHaveLength(2);
  });

  it('revalidates an expired entry with If-None-Match; a 304 refreshes fetchedAt and delivers nothing new', async () => {
    const srv = await startServer();
    const cache = memoryPayloadCache();
    const a = source(srv.url, { cache });
    await a.start();
    clock += 60_001;
    expect(await a.refresh()).toBe(false);
    expect(srv.requests).toEqual([undefined, '"v1"']);
    expect(a.onPayload).toHaveBeenCalledTimes(1);

    // A new source after the TTL: cache delivered, revalidated (304), fetchedAt moved on.
    clock += 60_001;
    const b = source(srv.url, { cache });
    await b.start();
    await vi.waitFor(() => expect(srv.requests).toHaveLength(3));
    expect(srv.requests[2]).toBe('"v1"');
    await vi.waitFor(async () => expect((await cache.get(srv.url))?.fetchedAt).toBe(clock));
    expect(b.onPayload.mock.calls).toEqual([[v1, 'cache']]);
    // Fresh again: a third source does not fetch.
    clock += 30_000;
    await source(srv.url, { cache }).start();
    expect(srv.requests).toHaveLength(3);
    expect(a.log).not.toHaveBeenCalled();
    expect(b.log).not.toHaveBeenCalled();
  });

  it('without a cache option, sources of the process share one Map: one fetch per TTL, not per client', async () => {
    const srv = await startServer();
    srv.delay = 30;
    const clients = Array.from({ length: 20 }, () => source(srv.url));
    await Promise.all(clients.map((c) => c.start()));
    clients.forEach((c) => expect(c.onPayload).toHaveBeenCalledWith(v1, 'network'));
    expect(srv.requests).toHaveLength(1); // concurrent starts shared the request
    await Promise.all(Array.from({ length: 20 }, () => source(srv.url).start()));
    expect(srv.requests).toHaveLength(1);
    clock += 60_000;
    const late = Array.from({ length: 20 }, () => source(srv.url));
    await Promise.all(late.map((c) => c.start()));
    late.forEach((c) => expect(c.onPayload.mock.calls).toEqual([[v1, 'cache']]));
    await vi.waitFor(() => expect(srv.requests).toEqual([undefined, '"v1"']));
    await sleep(50);
    expect(srv.requests).toHaveLength(2);
  });
});

describe('refresh', () => {
  it('returns true and notifies once when the payload changed', async () => {
    const srv = await startServer();
    const a = source(srv.url, { cache: memoryPayloadCache() });
    await a.start();
    srv.serve(JSON.stringify(v2));
    expect(await a.refresh()).toBe(true);
    expect(a.onPayload.mock.calls).toEqual([
      [v1, 'network'],
      [v2, 'network'],
    ]);
    expect(srv.requests).toEqual([undefined, '"v1"']);
  });

  it('an identical payload fetched again (new ETag, same text) is no change', async () => {
    const srv = await startServer();
    const a = source(srv.url, { cache: memoryPayloadCache() });
    await a.start();
    srv.serve(JSON.stringify(v1)); // a new ETag forces a 200
    expect(await a.refresh()).toBe(false);
    expect(srv.requests).toEqual([undefined, '"v1"']);
    expect(await a.refresh()).toBe(false); // and the new ETag is used from now on
    expect(srv.requests).toEqual([undefined, '"v1"', '"v2"']);
    expect(a.onPayload).toHaveBeenCalledTimes(1);
  });

  it('concurrent refreshes share one request and all see the change', async () => {
    const srv = await startServer();
    const cache = memoryPayloadCache();
    const a = source(srv.url, { cache });
    await a.start();
    srv.delay = 50;
    srv.serve(JSON.stringify(v2));
    expect(await Promise.all([a.refresh(), a.refresh(), a.refresh()])).toEqual([true, true, true]);
    expect(srv.requests).toHaveLength(2);
    expect(a.onPayload).toHaveBeenCalledTimes(2);
  });

  it('can be called before start', async () => {
    const srv = await startServer();
    const a = source(srv.url, { cache: memoryPayloadCache() });
    expect(await a.refresh()).toBe(true);
    await a.start(); // fresh now: no second fetch, no second delivery
    expect(a.onPayload.mock.calls).toEqual([[v1, 'network']]);
    expect(srv.requests).toHaveLength(1);
  });
});

describe('failures keep the last good payload and log once per streak', () => {
  it('server down: start resolves without a payload; one line across several failed polls', async () => {
    const url = await closedUrl();
    const a = source(url, { cache: memoryPayloadCache(), refreshMs: 20 });
    await a.start();
    await a.refresh();
    await sleep(120);
    expect(a.onPayload).not.toHaveBeenCalled();
    expect(a.log).toHaveBeenCalledTimes(1);
    expect(a.log.mock.calls[0][0]).toMatch(/^features: fetching http:\/\/127\.0\.0\.1:\d+\/features\.json failed/);
  });

  it('server down after a good payload: the cached payload is kept and delivered, polls stay quiet', async () => {
    const url = await closedUrl();
    const cache: PayloadCache = memoryPayloadCache();
    await cache.set(url, sealEntry({ payload: v1, etag: '"v1"', fetchedAt: clock - 3_600_000, bodyAt: clock - 3_600_000, hash: 'h' }));
    const a = source(url, { cache, refreshMs: 20 });
    await a.start();
    expect(a.onPayload.mock.calls).toEqual([[v1, 'cache']]);
    expect(await a.refresh()).toBe(false);
    await sleep(120);
    expect(a.onPayload).toHaveBeenCalledTimes(1);
    expect(a.log).toHaveBeenCalledTimes(1);
    expect((await cache.get(url))?.payload).toBe(v1);
  });

  it('a server that never answers: start resolves after about timeoutMs', async () => {
    const srv = await startServer();
    srv.mode = 'hang';
    const a = source(srv.url, { cache: memoryPayloadCache(), timeoutMs: 100 });
    const t0 = Date.now();
    await a.start();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(a.onPayload).not.toHaveBeenCalled();
    expect(a.log.mock.calls).toEqual([[`features: fetching ${srv.url} failed (FetchTimeoutError: no answer within 100 ms); keeping the last payload`]]);
  });

  it.each([
    ['HTTP 500', null],
    ['invalid JSON', '{"features": {'],
    ['JSON that is not an object', '[1, 2]'],
    ['JSON null', 'null'],
    ['features that are not an object', '{"features": ["a"]}'],
    ['no features at all', '{"status": 401, "message": "Invalid API key"}'],
  ])('%s: keeps the last good payload and logs', async (_, body) => {
    const srv = await startServer();
    const cache = memoryPayloadCache();
    const a = source(srv.url, { cache });
    await a.start();
    if (body === null) srv.mode = 'fail';
    else srv.serve(body);
    expect(await a.refresh()).toBe(false);
    expect(await a.refresh()).toBe(false);
    expect(a.onPayload).toHaveBeenCalledTimes(1);
    expect(a.log).toHaveBeenCalledTimes(1);
    expect((await cache.get(srv.url))?.payload).toEqual(v1);
    // Recovery ends the streak: the next failure is logged again.
    srv.mode = 'ok';
    srv.serve(JSON.stringify(v2));
    expect(await a.refresh()).toBe(true);
    srv.mode = 'fail';
    expect(await a.refresh()).toBe(false);
    expect(a.log).toHaveBeenCalledTimes(2);
    expect(a.log.mock.calls[1][0]).toContain('failed (HTTP 500)');
  });

  it('a payload with only encryptedFeatures is accepted', async () => {
    const enc = { encryptedFeatures: 'abc.def', encryptedSavedGroups: 'ghi.jkl' };
    const srv = await startServer(enc);
    const a = source(srv.url, { cache: memoryPayloadCache() });
    await a.start();
    expect(a.onPayload).toHaveBeenCalledWith(enc, 'network');
  });

  it('an onPayload that throws is logged and does not reject', async () => {
    const srv = await startServer();
    const a = source(srv.url, { cache: memoryPayloadCache() });
    a.onPayload.mockImplementation(() => {
      throw new Error('boom');
    });
    await expect(a.start()).resolves.toBeUndefined();
    expect(a.log.mock.calls).toEqual([['features: onPayload threw (Error: boom)']]);
  });
});

describe('polling', () => {
  it('picks up a change every refreshMs, and destroy stops it', async () => {
    const srv = await startServer();
    const a = source(srv.url, { cache: memoryPayloadCache(), refreshMs: 50 });
    await a.start();
    srv.serve(JSON.stringify(v2));
    await vi.waitFor(() => expect(a.onPayload).toHaveBeenCalledTimes(2), { timeout: 1_000 });
    expect(a.onPayload).toHaveBeenLastCalledWith(v2, 'network');
    a.destroy();
    // A poll sent just before destroy() may still be on its way to the server: let it land first.
    await sleep(30);
    const seen = srv.requests.length;
    srv.serve(JSON.stringify(v1));
    await sleep(150);
    expect(srv.requests).toHaveLength(seen);
    expect(await a.refresh()).toBe(false);
    expect(a.onPayload).toHaveBeenCalledTimes(2);
  });

  it("the interval is unref()'d, so it does not hold the process open", async () => {
    const srv = await startServer();
    const spy = vi.spyOn(globalThis, 'setInterval');
    const a = source(srv.url, { cache: memoryPayloadCache(), refreshMs: 1_000 });
    await a.start();
    const timer = spy.mock.results[0].value as NodeJS.Timeout;
    spy.mockRestore();
    expect(timer.hasRef()).toBe(false);
  });
});
