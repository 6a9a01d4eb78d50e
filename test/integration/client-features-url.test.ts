/**
 * The client's remote payloads (`remote({ url })`) over real HTTP: a node:http server per test on 127.0.0.1 (port 0)
 * serving a GrowthBook-format payload with an ETag (304 on If-None-Match), counting requests,
 * and switchable to garbage, a hang or gone. The remote cache is process-wide per URL, so every
 * test uses a URL of its own.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Client, ClientOptions } from '../../src/api';
import { createClient } from '../../src/client';
import { remote, type RemoteOptions } from '../../src/plugins/remote';
import type { Logger } from '../../src/types';

interface PayloadServer {
  /** A fresh URL on this server: the remote cache is keyed by URL. */
  url(): string;
  /** Requests seen: path and If-None-Match. */
  requests: { path: string; etag?: string }[];
  mode: 'ok' | 'hang';
  /** Serve `body` (an object is JSON-encoded) under a new ETag. */
  serve(body: unknown): void;
  close(): Promise<void>;
}

const servers: PayloadServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.destroy());
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

let seq = 0;

async function startServer(payload: unknown): Promise<PayloadServer> {
  let body = '';
  let etag = '';
  let version = 0;
  const server = http.createServer((req, res) => {
    const inm = req.headers['if-none-match'];
    s.requests.push({ path: req.url ?? '', etag: inm });
    if (s.mode == 'hang') return;
    if (inm == etag) res.writeHead(304, { ETag: etag }).end();
    else res.writeHead(200, { 'Content-Type': 'application/json', ETag: etag }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const s: PayloadServer = {
    url: () => `${base}/api/features/sdk-${++seq}?test=${encodeURIComponent(expect.getState().currentTestName ?? '')}`,
    requests: [],
    mode: 'ok',
    serve: (b) => ((body = typeof b == 'string' ? b : JSON.stringify(b)), (etag = `"v${++version}"`)),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  s.serve(payload);
  servers.push(s);
  return s;
}

/** A URL nothing listens on (a server started, then closed). */
async function closedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/features-${++seq}.json`;
}

/** A client with `remote(options.remote)`. */
function client({ remote: remoteOptions, ...options }: Omit<ClientOptions, 'plugins'> & { remote: RemoteOptions }) {
  const log = vi.fn<Logger>();
  const c = createClient({ clientId: 'visitor-1', log, ...options, plugins: [remote(remoteOptions)] });
  clients.push(c);
  return Object.assign(c, { log });
}

/** GrowthBook's encryption (`iv.ciphertext`, AES-128-CBC, base64), for payloads of our own. */
function encrypt(plain: unknown, keyB64: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(keyB64, 'base64'), iv);
  return iv.toString('base64') + '.' + Buffer.concat([cipher.update(JSON.stringify(plain)), cipher.final()]).toString('base64');
}

const v1 = { features: { banner: { defaultValue: 'red' }, limit: { defaultValue: 10 } } };
const v2 = { features: { banner: { defaultValue: 'blue' }, limit: { defaultValue: 20 } } };

describe('createClient({ plugins: [remote({ url })] })', () => {
  it('ready() waits for the served payload; its values are used', async () => {
    const server = await startServer(v1);
    const c = client({ remote: { url: server.url() }, readyTimeoutMs: 5_000 });
    expect(c.getSnapshot().ready).toBe(false);
    await c.ready();
    expect(c.getSnapshot().ready).toBe(true);
    expect(c.getFeatureValue('banner', 'none')).toBe('red');
    expect(c.getFeatureValue('limit', 0)).toBe(10);
    expect(c.evalFeature('banner').source).toBe('defaultValue');
    expect(server.requests).toHaveLength(1);
    expect(c.log).not.toHaveBeenCalled();
  });

  it('a second client for the same URL is ready at once from the shared cache, without a request', async () => {
    const server = await startServer(v1);
    const url = server.url();
    const first = client({ remote: { url }, readyTimeoutMs: 5_000 });
    await first.ready();
    expect(server.requests).toHaveLength(1);

    const started = performance.now();
    const second = client({ remote: { url }, clientId: 'visitor-2', readyTimeoutMs: 5_000 });
    await second.ready();
    expect(performance.now() - started).toBeLessThan(250);
    expect(second.getFeatureValue('banner', 'none')).toBe('red');
    expect(second.getFeatureValue('limit', 0)).toBe(10);
    // Fresh within cacheTtlMs (default 60 s): no revalidation either.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.requests).toHaveLength(1);
    expect(second.log).not.toHaveBeenCalled();
  });

  it('refreshFeatures() picks up a changed payload: true, one notification, new values', async () => {
    const server = await startServer(v1);
    const c = client({ remote: { url: server.url() }, readyTimeoutMs: 5_000 });
    await c.ready();
    expect(c.getFeatureValue('banner', 'none')).toBe('red');

    const listener = vi.fn();
    c.subscribe(listener);
    const before = c.getSnapshot();
    server.serve(v2);
    expect(await c.refreshFeatures()).toBe(true);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(c.getSnapshot()).not.toBe(before);
    expect(c.getFeatureValue('banner', 'none')).toBe('blue');
    expect(c.getFeatureValue('limit', 0)).toBe(20);
    // Revalidated with the ETag of v1.
    expect(server.requests.map((r) => r.etag)).toEqual([undefined, '"v1"']);

    // Unchanged (304 on the ETag of v2): false, nobody notified.
    expect(await c.refreshFeatures()).toBe(false);
    expect(server.requests.at(-1)!.etag).toBe('"v2"');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(c.log).not.toHaveBeenCalled();
  });

  it('refreshFeatures() is the remote plugin\'s: a client without it has none', () => {
    const c = createClient({ clientId: 'visitor-1', features: v1.features });
    clients.push(c);
    expect('refreshFeatures' in c).toBe(false);
    expect(c.getFeatureValue('banner', 'none')).toBe('red');
  });

  it('malformed JSON keeps the inline features and logs', async () => {
    const server = await startServer('{"features": {"banner": ');
    const c = client({ remote: { url: server.url() }, features: { banner: { defaultValue: 'inline' } }, readyTimeoutMs: 5_000 });
    await c.ready();
    expect(c.getFeatureValue('banner', 'none')).toBe('inline');
    expect(server.requests).toHaveLength(1);
    expect(c.log).toHaveBeenCalledTimes(1);
    expect(c.log.mock.calls[0]![0]).toMatch(/fetching .*failed.*keeping the last payload/);

    // A good payload later replaces them.
    server.serve(v1);
    expect(await c.refreshFeatures()).toBe(true);
    expect(c.getFeatureValue('banner', 'none')).toBe('red');
  });

  it('a JSON body that is not a payload (an error object) is ignored too', async () => {
    const server = await startServer({ status: 401, message: 'Invalid API key' });
    const c = client({ remote: { url: server.url() }, features: { banner: { defaultValue: 'inline' } } });
    await c.ready();
    expect(c.getFeatureValue('banner', 'none')).toBe('inline');
    expect(c.log.mock.calls[0]![0]).toMatch(/no features/);
  });

  it('server down (connection refused): ready() resolves, inline and fallback values are used', async () => {
    const url = await closedUrl();
    const c = client({ remote: { url }, features: { banner: { defaultValue: 'inline' } }, readyTimeoutMs: 1_000 });
    const started = performance.now();
    await c.ready();
    expect(performance.now() - started).toBeLessThan(1_200);
    expect(c.getSnapshot().ready).toBe(true);
    expect(c.getFeatureValue('banner', 'none')).toBe('inline');
    expect(c.getFeatureValue('limit', 7)).toBe(7);
    expect(c.isOff('limit')).toBe(true);
    expect(c.log.mock.calls.map((call) => call[0])).toEqual([expect.stringMatching(/fetching .*failed/)]);
    expect(await c.refreshFeatures()).toBe(false);
    // One line per failure streak, not one per attempt.
    expect(c.log).toHaveBeenCalledTimes(1);
  });

  it('server hanging: ready() resolves after readyTimeoutMs with inline values', async () => {
    const server = await startServer(v1);
    server.mode = 'hang';
    const c = client({ remote: { url: server.url() }, features: { banner: { defaultValue: 'inline' } }, readyTimeoutMs: 200 });
    const started = performance.now();
    await c.ready();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(1_000);
    expect(c.getSnapshot().ready).toBe(true);
    expect(c.getFeatureValue('banner', 'none')).toBe('inline');
    expect(server.requests).toHaveLength(1);
  });

  it('encryptedFeatures in the payload are decrypted with the decryptionKey option before ready()', async () => {
    const server = await startServer({
      encryptedFeatures: 'm5ylFM6ndyOJA2OPadubkw==.Uu7ViqgKEt/dWvCyhI46q088PkAEJbnXKf3KPZjf9IEQQ+A8fojNoxw4wIbPX3aj',
    });
    const c = client({ remote: { url: server.url(), decryptionKey: 'Zvwv/+uhpFDznZ6SX28Yjg==' }, readyTimeoutMs: 5_000 });
    await c.ready();
    expect(c.isOn('feature')).toBe(true);
    expect(c.evalFeature('feature')).toMatchObject({ value: true, source: 'defaultValue' });
    expect(c.log).not.toHaveBeenCalled();
  });

  it('refreshFeatures() resolves once a changed encrypted payload is decrypted and in use', async () => {
    const key = 'Zvwv/+uhpFDznZ6SX28Yjg==';
    const server = await startServer({ encryptedFeatures: encrypt(v1.features, key) });
    const c = client({ remote: { url: server.url(), decryptionKey: key }, readyTimeoutMs: 5_000 });
    await c.ready();
    expect(c.getFeatureValue('banner', 'none')).toBe('red');
    const listener = vi.fn();
    c.subscribe(listener);
    server.serve({ encryptedFeatures: encrypt(v2.features, key) });
    expect(await c.refreshFeatures()).toBe(true);
    expect(c.getFeatureValue('banner', 'none')).toBe('blue');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(c.log).not.toHaveBeenCalled();
  });

  it('encryptedFeatures with a wrong decryptionKey keep the inline features and log', async () => {
    const server = await startServer({
      encryptedFeatures: 'm5ylFM6ndyOJA2OPadubkw==.Uu7ViqgKEt/dWvCyhI46q088PkAEJbnXKf3KPZjf9IEQQ+A8fojNoxw4wIbPX3aj',
    });
    const c = client({
      remote: { url: server.url(), decryptionKey: 'AAAAAAAAAAAAAAAAAAAAAA==' },
      features: { feature: { defaultValue: false } },
      readyTimeoutMs: 5_000,
    });
    await c.ready();
    expect(c.isOn('feature')).toBe(false);
    expect(c.log).toHaveBeenCalledWith('Could not use the payload', expect.objectContaining({ error: expect.objectContaining({ name: 'DecryptionError' }) }));
  });
});
