/**
 * Client-side defects of issue 14 over real HTTP on 127.0.0.1: Sixpack mode sends nothing with
 * experiments off (9), a cached payload from the future is revalidated, and per-request server
 * clients share one bandit stats response per URL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type FeatureDefinitions } from '../../src/index';
import { bandits } from '../../src/plugins/bandits';
import { createPayloadSource, memoryPayloadCache, sealEntry } from '../../src/plugins/remote/source';
import { memoryQueue, sixpack } from '../../src/plugins/sixpack';
import { startSixpack, type RunningSixpack } from '../helpers/sixpack-server';

/** A JSON server on 127.0.0.1 that counts its requests; `body` is what it serves. */
async function countingServer(body: () => unknown): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(JSON.stringify(body()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('experiments off: Sixpack mode sends nothing and the server counts nothing', () => {
  let sp: RunningSixpack;
  const lines: string[] = [];
  beforeAll(async () => {
    sp = await startSixpack({ log: (line) => lines.push(line) });
  });
  afterAll(() => sp.close());

  it.each([
    ['enabled: false', { enabled: false }],
    ['qaMode: true', { qaMode: true }],
  ])('%s: participate gives the control (source "disabled"), convert is refused, no request reaches the server', async (_name, off) => {
    const experiment = 'off-' + Object.keys(off)[0]!.toLowerCase();
    const before = lines.length;
    const client = createClient({ clientId: 'visitor-off', cookie: false, log: () => {}, ...off, plugins: [sixpack({ baseUrl: sp.url, queue: memoryQueue() })] });
    expect(await client.participate(experiment, ['control', 'treatment'])).toMatchObject({ alternative: 'control', source: 'disabled' });
    expect(await client.convert(experiment)).toMatchObject({ status: 'rejected', error: { code: 'disabled' } });
    client.destroy();
    // The same calls with experiments on do reach it, so the server and its log work.
    const on = createClient({ clientId: 'visitor-on', cookie: false, plugins: [sixpack({ baseUrl: sp.url, queue: memoryQueue() })] });
    await on.participate('control-' + experiment, ['control', 'treatment']);
    on.destroy();
    const seen = lines.slice(before).map((line) => line.split(' ')[1]!);
    expect(seen.every((url) => url.includes('experiment=control-' + experiment))).toBe(true);
    expect(seen).toHaveLength(1);
    expect((await sp.get(`/experiments/${experiment}`)).status).toBe(404); // never created
  });
});

describe('URL overrides on a server: a request cannot pick its own variation', () => {
  let sp: RunningSixpack;
  beforeAll(async () => {
    sp = await startSixpack();
  });
  afterAll(() => sp.close());

  it('?premium-rollout=1 and ?sixpack-force-EXP=ALT are ignored without a window, unless the app allows them', async () => {
    // Everyone gets variation 0 by weight: only a URL override can give variation 1.
    const features: FeatureDefinitions = { 'premium-rollout': { defaultValue: false, rules: [{ key: 'premium-rollout', variations: [false, true], weights: [1, 0] }] } };
    const url = 'https://shop.example/pricing?premium-rollout=1&sixpack-force-server-force=treatment';
    const perRequest = (allow?: boolean) =>
      createClient({ clientId: 'visitor-url', cookie: false, url, features, allowUrlOverrides: allow, plugins: [sixpack({ baseUrl: sp.url, queue: memoryQueue() })] });

    const byDefault = perRequest();
    expect(byDefault.isOn('premium-rollout')).toBe(false);
    expect(await byDefault.participate('server-force', ['control', 'treatment'])).toMatchObject({ source: 'server' });
    byDefault.destroy();
    const allowed = perRequest(true);
    expect(allowed.isOn('premium-rollout')).toBe(true);
    expect(await allowed.participate('server-force', ['control', 'treatment'])).toMatchObject({ alternative: 'treatment', source: 'force' });
    allowed.destroy();
    // The server counted the one participation that was not forced.
    const counted = (await sp.get('/experiments/server-force')).json as { alternatives: { participant_count: number }[] };
    expect(counted.alternatives.reduce((sum, a) => sum + a.participant_count, 0)).toBe(1);
  });
});

describe('remote payloads: a cached fetchedAt in the future counts as stale', () => {
  it('is delivered at once and revalidated (it was trusted as fresh, for ever)', async () => {
    const served = { features: { banner: { defaultValue: 'fresh' } } };
    const srv = await countingServer(() => served);
    try {
      const url = srv.url + '/features.json';
      const cache = memoryPayloadCache();
      const clock = 1_000_000;
      await cache.set(url, sealEntry({ payload: { features: { banner: { defaultValue: 'cached' } } }, fetchedAt: clock + 3_600_000, hash: 'old' }));
      const onPayload = vi.fn();
      const source = createPayloadSource({ url, cache, now: () => clock, onPayload, log: () => {} });
      await source.start();
      await vi.waitFor(() => expect(onPayload).toHaveBeenCalledTimes(2));
      expect(onPayload.mock.calls.map(([payload, from]) => [payload.features.banner.defaultValue, from])).toEqual([
        ['cached', 'cache'],
        ['fresh', 'network'],
      ]);
      expect(srv.requests).toEqual(['/features.json']);
      // Stored with a sane fetchedAt: the next source uses it without a request.
      expect((await cache.get(url))!.fetchedAt).toBe(clock);
      const next = createPayloadSource({ url, cache, now: () => clock + 1_000, onPayload: () => {}, log: () => {} });
      await next.start();
      expect(srv.requests).toHaveLength(1);
      source.destroy();
      next.destroy();
    } finally {
      await srv.close();
    }
  });
});

describe('bandit statsUrl on a server: clients of the process share one response per URL', () => {
  it('2,000 per-request clients make one stats request, and one more once it is older than refreshMs', async () => {
    const stats = { alternatives: [{ name: 'a', participant_count: 100, completed_count: 10 }, { name: 'b', participant_count: 100, completed_count: 30 }] };
    const srv = await countingServer(() => stats);
    try {
      const features: FeatureDefinitions = {
        hero: {
          defaultValue: 'a',
          rules: [{ key: 'hero', variations: ['a', 'b'], hashVersion: 2, bandit: { policy: 'epsilon-greedy', params: { epsilon: 0.2 }, statsUrl: srv.url + '/experiments/hero', refreshMs: 1500 } }],
        },
      };
      const request = async (i: number) => {
        // ready() waits for the stats however loaded the machine is (its default 500 ms gave up under CI load).
        const client = createClient({ clientId: `req-${i}`, cookie: false, features, plugins: [bandits()], readyTimeoutMs: 15_000 });
        await client.ready();
        const weights = client.getBandit('hero')?.weights;
        client.destroy();
        return weights;
      };
      const first = await Promise.all(Array.from({ length: 2000 }, (_, i) => request(i)));
      expect(first.every((w) => JSON.stringify(w) === JSON.stringify([0.1, 0.9]))).toBe(true);
      expect(srv.requests).toEqual(['/experiments/hero']);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      await Promise.all(Array.from({ length: 200 }, (_, i) => request(2000 + i)));
      expect(srv.requests).toHaveLength(2);
    } finally {
      await srv.close();
    }
  });
});
