/**
 * The two high-severity defects of issue 20, reproduced and shown fixed:
 * - the admin API on the public port (a plain `DELETE /_admin/experiments/e1` deleted an
 *   experiment): the public listener now serves no admin route at all, the admin listener can
 *   require a bearer token;
 * - Redis memory amplification (a new KPI or a new `datetime` day is 8 bitmaps of clients/8 bytes
 *   each, and nothing limited either): caps on KPIs and experiments, a `datetime` window. Run on a
 *   real redis-server with an experiment of 200,001 clients (seeded in one Lua loop), counting
 *   the bytes its bitmaps hold.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, type RedisSixpackStore } from '../src/redis-store';
import { describeEachStore, type RunningSixpack, spawnSixpack, startSixpack } from '../../test/helpers/sixpack-server';
import { describeWithRedis, type RunningRedis, startRedis } from '../../test/redis/harness';

const NOW = new Date('2026-11-21T04:23:45Z');
const ALTS = ['red', 'blue'];

describe('the admin API is not on the public listener', () => {
  let sp: RunningSixpack;
  beforeAll(async () => {
    sp = await startSixpack({ now: () => NOW, adminToken: 's3cret-token' });
  });
  afterAll(() => sp.close());

  it('answers 404 on the public port for every admin route and method, and deletes nothing', async () => {
    expect((await sp.get('/participate', { experiment: 'e1', alternatives: ALTS, client_id: 'alice' })).status).toBe(200);
    for (const method of ['DELETE', 'POST', 'GET', 'PUT']) {
      const init: RequestInit = { method, ...(method === 'POST' ? { body: '{"winner":"red"}', headers: { 'content-type': 'application/json' } } : {}) };
      const r = await fetch(`${sp.url}/_admin/experiments/e1`, init);
      expect([method, r.status]).toEqual([method, 404]);
    }
    expect((await fetch(`${sp.url}/_admin/experiments`)).status).toBe(404);
    const view = await sp.get('/experiments/e1');
    expect([view.status, view.json.total_participants, view.json.winner]).toEqual([200, 1, '']);
  });

  it('requires the bearer token on the admin listener, compared in full', async () => {
    const url = `${sp.adminUrl}/_admin/experiments/e1`;
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer s3cret', 'Basic s3cret-token', 'Bearer s3cret-token-x']) {
      const r = await fetch(url, { method: 'DELETE', headers: authorization ? { authorization } : {} });
      expect([authorization, r.status, r.headers.get('www-authenticate')]).toEqual([authorization, 401, 'Bearer realm="splitflap-admin"']);
    }
    expect((await sp.get('/experiments/e1')).status).toBe(200);
    const ok = await fetch(url, { method: 'DELETE', headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect((await sp.get('/experiments/e1')).status).toBe(404);
  });

  it('the command line: admin on a port of its own; on a non-loopback host only with a token', async () => {
    await expect(spawnSixpack(['--admin-host', '0.0.0.0'])).rejects.toThrow(/--admin-host 0\.0\.0\.0 is not a loopback address/);
    const cli = await spawnSixpack([]);
    try {
      const participate = `${cli.url}/participate?experiment=e1&alternatives=a&alternatives=b&client_id=x`;
      expect((await fetch(participate)).status).toBe(200);
      expect((await fetch(`${cli.url}/_admin/experiments/e1`, { method: 'DELETE' })).status).toBe(404);
      expect(cli.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cli.adminUrl).not.toBe(cli.url);
      expect((await fetch(`${cli.adminUrl}/_admin/experiments/e1`, { method: 'DELETE' })).status).toBe(200);
    } finally {
      await cli.close();
    }
  }, 60_000);

  it('sends no CORS headers from the admin listener', async () => {
    const r = await fetch(`${sp.adminUrl}/_admin/experiments`, { headers: { authorization: 'Bearer s3cret-token', origin: 'https://evil.example' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describeEachStore((makeStore) => {
  describe('caps on KPIs and experiments, and the datetime window', () => {
    it('refuses a KPI past the cap with a 400 and writes nothing; known KPIs still convert', async () => {
      const sp = await startSixpack({ store: await makeStore(), now: () => NOW, limits: { maxKpisPerExperiment: 3 } });
      try {
        for (const id of ['a', 'b']) await sp.get('/participate', { experiment: 'kpis', alternatives: ALTS, client_id: id });
        for (const kpi of ['k1', 'k2', 'k3']) expect((await sp.get('/convert', { experiment: 'kpis', client_id: 'a', kpi })).status).toBe(200);
        const past = await sp.get('/convert', { experiment: 'kpis', client_id: 'a', kpi: 'k4' });
        expect([past.status, past.json.message]).toEqual([400, 'too many kpis for this experiment (at most 3)']);
        expect((await sp.get('/convert', { experiment: 'kpis', client_id: 'b', kpi: 'k2' })).status).toBe(200);
        expect((await sp.get('/convert', { experiment: 'kpis', client_id: 'b' })).status).toBe(200);
        expect((await sp.get('/experiments/kpis')).json.kpis).toEqual(['k1', 'k2', 'k3']);
      } finally {
        await sp.close();
      }
    });

    it('refuses a new experiment past the cap with a 400; existing ones keep working', async () => {
      const sp = await startSixpack({ store: await makeStore(), now: () => NOW, limits: { maxExperiments: 2 } });
      try {
        for (const experiment of ['one', 'two']) expect((await sp.get('/participate', { experiment, alternatives: ALTS, client_id: 'x' })).status).toBe(200);
        const third = await sp.get('/participate', { experiment: 'three', alternatives: ALTS, client_id: 'x' });
        expect([third.status, third.json.message]).toEqual([400, 'too many experiments on this server (at most 2); delete some in the admin']);
        expect((await sp.get('/participate', { experiment: 'two', alternatives: ALTS, client_id: 'y' })).status).toBe(200);
        expect((await sp.get('/experiments.json')).json.experiments.map((e: { name: string }) => e.name)).toEqual(['one', 'two']);
        expect((await sp.send('DELETE', '/_admin/experiments/one')).status).toBe(200);
        expect((await sp.get('/participate', { experiment: 'three', alternatives: ALTS, client_id: 'x' })).status).toBe(200);
      } finally {
        await sp.close();
      }
    });

    it('accepts datetime only within the window: today (±1 day for offsets), and backfillDays back', async () => {
      const off = await startSixpack({ store: await makeStore(), now: () => NOW });
      const week = await startSixpack({ store: await makeStore(), now: () => NOW, backfillDays: 7 });
      try {
        const visit = (sp: RunningSixpack, client_id: string, datetime: string) =>
          sp.get('/participate', { experiment: 'dated', alternatives: ALTS, client_id, datetime });
        for (const [datetime, status] of [['2026-11-21T04:00:00Z', 200], ['2026-11-20T23:30:00-05:00', 200], ['2026-11-22', 200], ['2026-11-19', 400], ['2014-03-05', 400], ['2026-11-23', 400]] as const) {
          const r = await visit(off, `o-${datetime}`, datetime);
          expect([datetime, r.status]).toEqual([datetime, status]);
          if (status === 400) expect(r.json.message).toBe('datetime outside the accepted window (today, and at most 0 days back)');
        }
        expect((await visit(week, 'w1', '2026-11-14')).status).toBe(200);
        expect((await visit(week, 'w2', '2026-11-12')).status).toBe(400);
        expect((await off.get('/convert', { experiment: 'dated', client_id: 'o-2026-11-22', datetime: '2014-03-05' })).status).toBe(400);
      } finally {
        await Promise.all([off.close(), week.close()]);
      }
    });
  });
});

/** Bytes held by the string values (the bitmaps) under `prefix`, and the number of keys. */
async function footprint(redis: Redis, prefix: string): Promise<{ keys: number; bitmapBytes: number }> {
  let keys = 0;
  let bitmapBytes = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      keys++;
      if ((await redis.type(key)) === 'string') bitmapBytes += await redis.strlen(key);
    }
  } while (cursor !== '0');
  return { keys, bitmapBytes };
}

describeWithRedis('memory amplification on Redis (issue 20), bounded', () => {
  const CLIENTS = 200_000;
  const MAX_KPIS = 5;
  let redis: RunningRedis;
  let raw: Redis;
  let store: RedisSixpackStore;
  let sp: RunningSixpack;

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url());
    store = redisStore({ url: redis.url(), prefix: 'amp' });
    await store.ready();
    sp = await startSixpack({ store, now: () => NOW, limits: { maxKpisPerExperiment: MAX_KPIS } });
    // The experiment, then 200,000 more clients numbered in one script (cheap), then a visitor at the end.
    await sp.get('/participate', { experiment: 'big', alternatives: ALTS, client_id: 'first' });
    const seed = "for i = 1, tonumber(ARGV[1]) do redis.call('ZADD', KEYS[1], i, 's' .. i) end";
    await raw.eval(seed, 1, 'amp:e:big:users', CLIENTS);
    await sp.get('/participate', { experiment: 'big', alternatives: ALTS, client_id: 'last' });
  }, 60_000);
  afterAll(async () => {
    await sp?.close();
    await store?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  it('50 conversions with new KPI names add at most the cap of KPIs; 100 distinct datetimes add nothing', async () => {
    const bitmap = Math.ceil((CLIENTS + 2) / 8); // bytes of one bitmap holding the last client's bit
    const before = await footprint(raw, 'amp');
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await sp.get('/convert', { experiment: 'big', client_id: 'last', kpi: `k${i}` })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(MAX_KPIS);
    expect(statuses.filter((s) => s === 400)).toHaveLength(50 - MAX_KPIS);
    for (let i = 0; i < 100; i++) {
      const datetime = new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      expect((await sp.get('/participate', { experiment: 'big', alternatives: ALTS, client_id: `d${i}`, datetime })).status).toBe(400);
    }
    const after = await footprint(raw, 'amp');
    // Each accepted KPI: 8 bitmaps (alternative and _all × all, year, month, day) + 3 date sets, + the KPI set.
    expect(after.keys - before.keys).toBeLessThanOrEqual(MAX_KPIS * 11 + 1);
    expect(after.bitmapBytes - before.bitmapBytes).toBeLessThanOrEqual(MAX_KPIS * 8 * bitmap);
    // Unbounded, the same requests added 50 × 8 bitmaps and 100 × 8 more: ~32 MB at this size.
    expect(after.bitmapBytes - before.bitmapBytes).toBeLessThan(((50 * 8 + 100 * 8) * bitmap) / 10);
    expect(await raw.smembers('amp:p:big:days')).toEqual(['2026-11-21']);
  }, 60_000);
});
