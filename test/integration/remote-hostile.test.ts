/**
 * Live payloads against a hostile or broken server (issue 21), over real HTTP on 127.0.0.1: a
 * stream that closes at once, `retry: 0`, a stream that opens and goes silent, malformed events, a
 * 5 MiB event, and redirects to another origin. Timings are test-scale (`streamTimings`), and each
 * test states the stream connects and payload fetches it allows: upper bounds, generous, since the
 * point is that a client cannot be driven into a storm. Waits poll for a condition.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client';
import { memoryPayloadCache, remote, type RemoteOptions } from '../../src/plugins/remote';
import type { Logger } from '../../src/types';

type Behaviour = 'close' | 'retry0' | 'silent' | 'comments' | 'malformed' | 'huge' | 'sse';

interface Hostile {
  payloadUrl: string;
  streamUrl: string;
  origin: string;
  behaviour: Behaviour;
  /** Payload GETs (200 or 304). */
  fetches: number;
  /** Stream GETs. */
  connects: number;
  /** Where `/moved` (payload) and `/sub-moved` (stream) redirect to. */
  redirectTo: string;
  open: Set<http.ServerResponse>;
  close(): Promise<void>;
}

const servers: Hostile[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  cleanups.splice(0).forEach((fn) => fn());
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const payloadText = (banner: string) => JSON.stringify({ features: { banner: { defaultValue: banner } } });

function stream(s: Hostile, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  s.open.add(res);
  res.on('close', () => s.open.delete(res));
  const b = s.behaviour;
  if (b == 'close') return void res.end('retry: 100\n\n');
  if (b == 'retry0') return void res.end('retry: 0\n\n');
  if (b == 'silent') return void res.write(': hello\n\n'); // then nothing, ever
  if (b == 'comments') {
    const timer = setInterval(() => res.write(': ping\n\n'), 50);
    return void res.on('close', () => clearInterval(timer));
  }
  if (b == 'malformed') {
    res.write('retry: soon\nid: a\0b\n\0\0garbage without colon\n:\n\n');
    res.write('event: features\ndata: {"features": [1, 2\n\n');
    res.write('event: features\ndata: not json at all\n\n');
    res.write('event: \ndata: {}\n\n');
    return void res.write('event: features\ndata: {"features": "not an object"}\n\n');
  }
  if (b == 'huge') return void res.write('event: features\ndata: ' + '{"features":{"x":"' + 'x'.repeat(5 * 1024 * 1024) + '"}}\n\n');
  res.write('retry: 100\n\n');
}

async function startHostile(behaviour: Behaviour, banner = 'red'): Promise<Hostile> {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname == '/api/features/key') {
      s.fetches++;
      const headers = { etag: '"v1"', 'x-sse-support': 'enabled' };
      if (req.headers['if-none-match'] == headers.etag) return void res.writeHead(304, headers).end();
      return void res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(payloadText(banner));
    }
    if (pathname == '/moved') return void res.writeHead(302, { location: s.redirectTo + '/api/features/key' }).end();
    if (pathname == '/sub/key') {
      s.connects++;
      return stream(s, res);
    }
    if (pathname == '/sub-moved') return void res.writeHead(307, { location: s.redirectTo + '/sub/key' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const s: Hostile = {
    payloadUrl: origin + '/api/features/key',
    streamUrl: origin + '/sub/key',
    origin,
    behaviour,
    fetches: 0,
    connects: 0,
    redirectTo: origin,
    open: new Set(),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  servers.push(s);
  return s;
}

/** Test-scale timings: floor 100 ms, cap 800 ms, healthy after 1 s, catch up after 200 ms down. */
const fast = { minRetryMs: 100, maxRetryMs: 800, healthyMs: 1000, catchUpMs: 200 };

function liveClient(server: Hostile, options: Partial<RemoteOptions> = {}) {
  const log = vi.fn<Logger>();
  const client = createClient({
    clientId: 'visitor',
    log,
    plugins: [remote({ url: server.payloadUrl, stream: true, cache: memoryPayloadCache(), refreshMs: 60_000, streamTimings: fast, ...options })],
  });
  cleanups.push(() => client.destroy());
  const lines = (pattern: RegExp) => log.mock.calls.filter(([message]) => pattern.test(message)).length;
  return { client, log, lines, banner: () => client.getFeatureValue('banner', '') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a hostile stream cannot cause a reconnect storm', () => {
  it.each([
    ['a stream closed at once (retry: 100): backoff grows, no refetch per reconnect', 'close'],
    ['retry: 0 is floored (here at 100 ms; 1 s by default) and backed off', 'retry0'],
  ] as const)('%s: ≤ 5 connects and ≤ 5 fetches in 1.5 s', async (_name, mode) => {
    const server = await startHostile(mode);
    const { client } = liveClient(server);
    await client.ready();
    await vi.waitFor(() => expect(server.connects).toBeGreaterThanOrEqual(2));
    await sleep(1500);
    // Delays ≥ 100, 200, 400, 800 ms: at most 5 connects in ~1.6 s (a 50-100 ms retry that resets
    // on every open made ~20, each with a refetch).
    expect(server.connects).toBeLessThanOrEqual(5);
    // The first fetch, the revalidation on the first open, then only reconnects after ≥ 200 ms down.
    expect(server.fetches).toBeLessThanOrEqual(5);
  });

  it('with the default timings a stream closed at once reconnects once in 1.5 s at most, and refetches nothing for it', async () => {
    const server = await startHostile('retry0');
    const { client } = liveClient(server, { streamTimings: undefined });
    await client.ready();
    await vi.waitFor(() => expect(server.connects).toBe(1));
    await sleep(1500);
    // First retry after 1-1.5 s (retry: 0 floored at 1 s), the next 2-3 s later: ≤ 2 connects;
    // a reconnect after under 2 s down refetches nothing: the start's fetch and the first open's.
    expect(server.connects).toBeLessThanOrEqual(2);
    expect(server.fetches).toBeLessThanOrEqual(2);
  });

  it('a stream that opens and goes silent is ended by the watchdog and reopened, polling meanwhile', async () => {
    const server = await startHostile('silent');
    const { client, lines } = liveClient(server, { refreshMs: 50, streamTimings: { ...fast, silenceMs: 300 } });
    await client.ready();
    await vi.waitFor(() => expect(server.connects).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    const fetched = server.fetches;
    // Polling resumed while the stream was down (every 50 ms): some fetches beyond the start's.
    await vi.waitFor(() => expect(server.fetches).toBeGreaterThan(fetched), { timeout: 5000 });
    expect(lines(/no data for 300 ms/)).toBeGreaterThanOrEqual(1);
    // Each silent stream lasts 300 ms, then 100-1200 ms of backoff: ≤ 4 connects in 1.3 s.
    await sleep(500);
    expect(server.connects).toBeLessThanOrEqual(4);
  });

  it('comments count as life: a stream that only pings every 50 ms is kept (1 connect, ≤ 2 fetches)', async () => {
    const server = await startHostile('comments');
    const { client } = liveClient(server, { refreshMs: 50, streamTimings: { ...fast, silenceMs: 300 } });
    await client.ready();
    await vi.waitFor(() => expect(server.open.size).toBe(1));
    await sleep(900);
    expect(server.connects).toBe(1);
    expect(server.fetches).toBeLessThanOrEqual(2); // the start and the first open; no polling while open
  });

  it('malformed events are logged and dropped, the stream stays open: 1 connect, ≤ 2 fetches', async () => {
    const server = await startHostile('malformed');
    const { client, lines, banner } = liveClient(server);
    await client.ready();
    await vi.waitFor(() => expect(lines(/unusable payload/)).toBe(3));
    await sleep(300);
    expect(banner()).toBe('red');
    expect(server.connects).toBe(1);
    expect(server.fetches).toBeLessThanOrEqual(2);
  });

  it('a 5 MiB event is refused as soon as it passes the 4 MiB line limit, with a log line; the payload is kept', async () => {
    const server = await startHostile('huge');
    const { client, lines, banner } = liveClient(server);
    await client.ready();
    await vi.waitFor(() => expect(lines(/line too long/)).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    expect(banner()).toBe('red');
    await sleep(800);
    // Backed off like any failure: ≤ 4 connects in ~1 s (each 5 MiB answer takes a while to send).
    expect(server.connects).toBeLessThanOrEqual(4);
    expect(server.fetches).toBeLessThanOrEqual(5);
  });
});

describe('redirects stay on the payload URL’s origin', () => {
  it('a payload redirected to another origin is refused, logged, and the last good payload kept', async () => {
    const home = await startHostile('sse', 'home');
    const elsewhere = await startHostile('sse', 'elsewhere');
    home.redirectTo = elsewhere.origin;
    const log = vi.fn<Logger>();
    const client = createClient({ clientId: 'v', log, features: { banner: { defaultValue: 'built-in' } }, plugins: [remote({ url: home.origin + '/moved', cache: memoryPayloadCache() })] });
    cleanups.push(() => client.destroy());
    await client.ready();
    expect(client.getFeatureValue('banner', '')).toBe('built-in');
    expect(elsewhere.fetches).toBe(0); // never even asked (outside browsers redirects are followed by hand)
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/redirect from .*\/moved to http:\/\/127\.0\.0\.1:\d+ refused/));
  });

  it('a redirect within the origin is followed, and allowedOrigins lets one through', async () => {
    const home = await startHostile('sse', 'home');
    const same = createClient({ clientId: 'v', plugins: [remote({ url: home.origin + '/moved', cache: memoryPayloadCache() })] });
    cleanups.push(() => same.destroy());
    await same.ready();
    expect(same.getFeatureValue('banner', '')).toBe('home');

    const elsewhere = await startHostile('sse', 'elsewhere');
    home.redirectTo = elsewhere.origin;
    const allowed = createClient({ clientId: 'v', plugins: [remote({ url: home.origin + '/moved', cache: memoryPayloadCache(), allowedOrigins: [elsewhere.origin] })] });
    cleanups.push(() => allowed.destroy());
    await allowed.ready();
    expect(allowed.getFeatureValue('banner', '')).toBe('elsewhere');
  });

  it('a stream redirected to another origin is refused: no connect there, polling instead', async () => {
    const home = await startHostile('sse');
    const elsewhere = await startHostile('sse');
    home.redirectTo = elsewhere.origin;
    const { client, lines } = liveClient(home, { stream: home.origin + '/sub-moved', refreshMs: 50 });
    await client.ready();
    await vi.waitFor(() => expect(lines(/stream .* failed .*refused/)).toBe(1));
    await vi.waitFor(() => expect(home.fetches).toBeGreaterThan(2)); // polled meanwhile
    expect(elsewhere.connects).toBe(0);
  });
});
