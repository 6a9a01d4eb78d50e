/**
 * Live payloads over real HTTP: `remote({ stream })` against a node:http server on 127.0.0.1 that
 * serves a GrowthBook-layout payload (`/api/features/KEY`) and its Server-Sent Events stream
 * (`/sub/KEY`), and can push events, drop the stream, refuse it (404) or fail (503). Last, the
 * demo site (examples/site.ts) flips a flag for a Node client over its own HTTP endpoints.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSite, type Site } from '../../examples/site';
import { createClient } from '../../src/client';
import { memoryPayloadCache, remote, type RemoteOptions } from '../../src/plugins/remote';
import type { Logger } from '../../src/types';

interface StreamServer {
  base: string;
  payloadUrl: string;
  streamUrl: string;
  /** GET requests of the payload. */
  payloadRequests: number;
  /** Stream requests, with their Last-Event-ID header. */
  streamRequests: (string | undefined)[];
  /** How the stream URL answers. */
  mode: 'sse' | 'missing' | 'failing';
  /** Whether payload answers carry `x-sse-support: enabled`. */
  sseHeader: boolean;
  open: Set<http.ServerResponse>;
  setPayload(payload: unknown): void;
  push(type: string, data: string, id?: string): void;
  /** End every open stream (as a proxy's max duration would). */
  drop(): void;
  close(): Promise<void>;
}

const servers: StreamServer[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  cleanups.splice(0).forEach((fn) => fn());
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const payload = (banner: string) => ({ features: { banner: { defaultValue: banner } } });

async function startServer(): Promise<StreamServer> {
  let text = JSON.stringify(payload('red'));
  let version = 0;
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname == '/api/features/sdk-key') {
      s.payloadRequests++;
      const headers: Record<string, string> = { etag: `"v${version}"` };
      if (s.sseHeader) headers['x-sse-support'] = 'enabled';
      if (req.headers['if-none-match'] == headers.etag) return void res.writeHead(304, headers).end();
      return void res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(text);
    }
    if (pathname == '/sub/sdk-key') {
      s.streamRequests.push(req.headers['last-event-id'] as string | undefined);
      if (s.mode == 'missing') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      if (s.mode == 'failing') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('retry: 50\n\n');
      s.open.add(res);
      res.on('close', () => s.open.delete(res));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const s: StreamServer = {
    base,
    payloadUrl: base + '/api/features/sdk-key',
    streamUrl: base + '/sub/sdk-key',
    payloadRequests: 0,
    streamRequests: [],
    mode: 'sse',
    sseHeader: true,
    open: new Set(),
    setPayload: (next) => ((text = JSON.stringify(next)), version++),
    push: (type, data, id) => s.open.forEach((res) => res.write((id ? `id: ${id}\n` : '') + `event: ${type}\n` + data.split('\n').map((line) => `data: ${line}\n`).join('') + '\n')),
    drop: () => s.open.forEach((res) => res.end()),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  servers.push(s);
  return s;
}

function liveClient(server: StreamServer, options: Partial<RemoteOptions> = {}) {
  const log = vi.fn<Logger>();
  const client = createClient({
    clientId: 'visitor',
    log,
    plugins: [remote({ url: server.payloadUrl, stream: true, cache: memoryPayloadCache(), refreshMs: 60, ...options })],
  });
  cleanups.push(() => client.destroy());
  return { client, log, banner: () => client.getFeatureValue('banner', '') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('remote({ stream }) follows the payload stream', () => {
  it('applies a pushed payload at once: subscribers hear of it, nothing is polled while the stream is open', async () => {
    const server = await startServer();
    const { client, banner } = liveClient(server);
    await client.ready();
    expect(banner()).toBe('red');
    await vi.waitFor(() => expect(server.open.size).toBe(1));
    // The stream opened: the payload was revalidated once (ETag), in case it changed meanwhile.
    await vi.waitFor(() => expect(server.payloadRequests).toBe(2));
    const listener = vi.fn();
    client.subscribe(listener);

    server.setPayload(payload('blue'));
    server.push('features', JSON.stringify(payload('blue')), '1');
    await vi.waitFor(() => expect(banner()).toBe('blue'));
    expect(listener).toHaveBeenCalled();

    await sleep(300); // five polling periods
    expect(server.payloadRequests).toBe(2);
    expect(server.streamRequests).toEqual([undefined]);
  });

  it('refetches on a features-updated beacon', async () => {
    const server = await startServer();
    const { client, banner } = liveClient(server);
    await client.ready();
    await vi.waitFor(() => expect(server.payloadRequests).toBe(2));
    server.setPayload(payload('green'));
    server.push('features-updated', '');
    await vi.waitFor(() => expect(banner()).toBe('green'));
    expect(server.payloadRequests).toBe(3);
  });

  it('reconnects after the server ends the stream, sending Last-Event-ID, and catches up on what changed meanwhile', async () => {
    const server = await startServer();
    // Test-scale timings: reconnect after 50 ms, and catch up however short the outage.
    const { client, banner } = liveClient(server, { streamTimings: { minRetryMs: 50, catchUpMs: 0 } });
    await client.ready();
    await vi.waitFor(() => expect(server.open.size).toBe(1));
    server.push('features', JSON.stringify(payload('blue')), '41');
    await vi.waitFor(() => expect(banner()).toBe('blue'));

    server.drop();
    server.setPayload(payload('black')); // changed while disconnected, no event for it
    await vi.waitFor(() => expect(server.streamRequests).toEqual([undefined, '41']));
    await vi.waitFor(() => expect(banner()).toBe('black'));
  });

  it('backs off while the stream fails (503), polling meanwhile, and stops both once it opens', async () => {
    const server = await startServer();
    server.mode = 'failing';
    const { client, log } = liveClient(server, { refreshMs: 40 });
    await client.ready();
    await sleep(900);
    // Without a backoff, a 1 s retry base would still allow ~1; here: base 1 s, so 1-2 attempts.
    // Polling kept the payload fresh meanwhile.
    expect(server.streamRequests.length).toBeGreaterThanOrEqual(1);
    expect(server.streamRequests.length).toBeLessThanOrEqual(2);
    expect(server.payloadRequests).toBeGreaterThan(5);
    expect(log.mock.calls.filter(([message]) => /stream .* failed/.test(message))).toHaveLength(1); // once per failure streak

    server.mode = 'sse';
    await vi.waitFor(() => expect(server.open.size).toBe(1), { timeout: 5000 });
    const polled = server.payloadRequests;
    await sleep(200);
    expect(server.payloadRequests).toBeLessThanOrEqual(polled + 1); // the one revalidation on open
  });

  it('doubles the delay per failure (the server’s retry: is the base)', async () => {
    const server = await startServer();
    // The first answer sets retry: 50 (the floor is lowered to 50 ms for the test), then the stream fails for good.
    const { client } = liveClient(server, { streamTimings: { minRetryMs: 50 } });
    await client.ready();
    await vi.waitFor(() => expect(server.open.size).toBe(1));
    server.mode = 'failing';
    server.drop();
    await sleep(1000);
    const attempts = server.streamRequests.length - 1;
    // Delays 50-75, 100-150, 200-300, 400-600 ms: at most 4 attempts in a second (a fixed 50 ms
    // retry would make about 20), and at least 2 even on a loaded machine.
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);
  });

  it('polls when no stream is offered: a 404 at the stream URL', async () => {
    const server = await startServer();
    server.mode = 'missing';
    const { client, log } = liveClient(server, { stream: server.streamUrl, refreshMs: 40 });
    await client.ready();
    await sleep(400);
    expect(server.streamRequests).toHaveLength(1); // asked once, never again
    expect(server.payloadRequests).toBeGreaterThan(4);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/no stream at .*HTTP 404.*polling every 0.04 s/));
  });

  it('with stream: true, connects only when the payload says x-sse-support: enabled', async () => {
    const server = await startServer();
    server.sseHeader = false;
    const { client } = liveClient(server, { refreshMs: 40 });
    await client.ready();
    await sleep(200);
    expect(server.streamRequests).toHaveLength(0);
    expect(server.payloadRequests).toBeGreaterThan(2);
    server.sseHeader = true; // the next poll sees it
    await vi.waitFor(() => expect(server.open.size).toBe(1));
  });

  it('keeps the last payload when an event carries an unusable one', async () => {
    const server = await startServer();
    const { client, log, banner } = liveClient(server);
    await client.ready();
    await vi.waitFor(() => expect(server.open.size).toBe(1));
    server.push('features', '{"not": "a payload"}');
    server.push('features', 'not JSON');
    server.push('features', JSON.stringify(payload('blue')));
    await vi.waitFor(() => expect(banner()).toBe('blue'));
    expect(log.mock.calls.filter(([message]) => /unusable payload/.test(message))).toHaveLength(2);
  });

  it('destroy() closes the stream and stops every request', async () => {
    const server = await startServer();
    const { client } = liveClient(server);
    await client.ready();
    await vi.waitFor(() => expect(server.open.size).toBe(1));
    client.destroy();
    await vi.waitFor(() => expect(server.open.size).toBe(0));
    const seen = [server.payloadRequests, server.streamRequests.length];
    await sleep(300);
    expect([server.payloadRequests, server.streamRequests.length]).toEqual(seen);
  });
});

describe('the demo site serves its payload live', () => {
  let site: Site | undefined;
  afterEach(() => site?.close());

  it('a flip over HTTP reaches a following client without a reload', async () => {
    site = await startSite({ sixpackUrl: 'http://127.0.0.1:9', script: { js: '', map: '', lazy: {} } });
    const payloadUrl = site.url + '/plain/features.json';
    const first = await fetch(payloadUrl);
    expect(first.headers.get('x-sse-support')).toBe('enabled');
    const client = createClient({
      clientId: 'visitor',
      plugins: [remote({ url: payloadUrl, stream: site.url + '/sub/plain', cache: memoryPayloadCache() })],
    });
    cleanups.push(() => client.destroy());
    await client.ready();
    const before = client.isOn('free-shipping');
    const changes = vi.fn();
    client.subscribe(changes);

    // The page's button does this; a cross-site form could not (JSON only).
    const refused = await fetch(site.url + '/api/features/plain/flip', { method: 'POST', body: 'feature=free-shipping&value=true' });
    expect(refused.status).toBe(415);
    const flip = await fetch(site.url + '/api/features/plain/flip', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feature: 'free-shipping', value: !before }),
    });
    expect(flip.status).toBe(200);
    await vi.waitFor(() => expect(client.isOn('free-shipping')).toBe(!before));
    expect(changes).toHaveBeenCalled();
    // The GrowthBook-layout URL serves the same, changed payload.
    const again = (await (await fetch(site.url + '/api/features/plain')).json()) as { features: Record<string, { defaultValue: unknown }> };
    expect(again.features['free-shipping']).toEqual({ defaultValue: !before });
  });
});
