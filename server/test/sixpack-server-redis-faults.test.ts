/**
 * The Sixpack server on a real redis-server that fails: killed, hung, restarted mid-run. While
 * Redis is away, /participate, /convert, /experiments and /_status answer the reference's 503
 * within a bounded time; the server reconnects by itself; with Redis's own persistence
 * (appendonly yes, appendfsync always) nothing acknowledged is lost; and the client falls back
 * to the control and delivers its queued conversion once the server is back, also from its
 * durable (IndexedDB) queue on the next page when the page that made it has gone.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { redisStore, type RedisSixpackStore } from '../src/redis-store';
import { createClient } from '../../src/client';
import { indexedDbQueue, memoryQueue, sixpack } from '../../src/plugins/sixpack';
import { inParallel, type RunningSixpack, sixpackIndex, startSixpack } from '../../test/helpers/sixpack-server';
import { describeWithRedis, type RunningRedis, startRedis } from '../../test/redis/harness';

const UNAVAILABLE = '{"status": "failed", "message": "redis is not available"}';
/** The store's bound on one Redis command; a 503 must come within it (plus slack for a loaded machine). */
const COMMAND_TIMEOUT = 400;
const BOUND = COMMAND_TIMEOUT + 1500;

describeWithRedis('the Sixpack server when Redis fails', () => {
  let redis: RunningRedis;
  let store: RedisSixpackStore;
  let sp: RunningSixpack;
  const lines: string[] = [];

  beforeAll(async () => {
    redis = await startRedis({ persistent: true });
    store = redisStore({ url: redis.url(), commandTimeoutMs: COMMAND_TIMEOUT, log: (line) => lines.push(line) });
    await store.ready();
    sp = await startSixpack({ store });
  });
  afterAll(async () => {
    await sp?.close();
    await store?.close();
    await redis?.stop();
  });

  /** Polls /_status until Redis is back (bounded). */
  const recovered = () =>
    vi.waitFor(async () => expect((await sp.get('/_status')).status).toBe(200), { timeout: 10_000, interval: 50 });

  async function timed<T>(call: () => Promise<T>): Promise<[T, number]> {
    const started = performance.now();
    const result = await call();
    return [result, performance.now() - started];
  }

  it('answers 503 everywhere within a bounded time while Redis is down or hung, and recovers by itself', async () => {
    const alts = ['red', 'blue'];
    expect((await sp.get('/participate', { experiment: 'outage', alternatives: alts, client_id: 'before' })).status).toBe(200);

    for (const fault of ['killed', 'hung'] as const) {
      if (fault === 'killed') await redis.kill();
      else redis.pause(); // accepts connections, never answers
      for (const [path, query] of [
        ['/participate', { experiment: 'outage', alternatives: alts, client_id: 'during', callback: 'cb' }],
        ['/convert', { experiment: 'outage', client_id: 'before' }],
        ['/experiments/outage', {}],
        ['/experiments.json', {}],
        ['/_status', {}],
      ] as const) {
        const [r, ms] = await timed(() => sp.get(path, query));
        // Never JSONP-wrapped, as the reference.
        expect([fault, path, r.status, r.text]).toEqual([fault, path, 503, UNAVAILABLE]);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
        expect(ms).toBeLessThan(BOUND);
      }
      if (fault === 'killed') await redis.restart();
      else redis.resume();
      await recovered();
    }
    expect(lines.some((line) => line.includes('connection'))).toBe(true); // the loss was logged
    const r = await sp.get('/participate', { experiment: 'outage', alternatives: alts, client_id: 'after' });
    expect(r.status).toBe(200);
    expect((await sp.get('/experiments/outage')).json.total_participants).toBe(2);
  });

  it('loses no acknowledged participation or conversion when Redis is killed and restarted mid-run', async () => {
    const experiment = 'crash-run';
    const alternatives = ['a', 'b', 'c'];
    const clients = Array.from({ length: 600 }, (_, i) => `crash-${i}`);
    let acknowledged = 0;
    let unavailable = 0;
    let crash: Promise<void> | undefined;

    /** Like a client's queue: retry on 503 until acknowledged (bounded). */
    async function deliver(path: string, query: Record<string, string | string[]>) {
      for (let attempt = 0; attempt < 200; attempt++) {
        const r = await sp.get(path, query);
        if (r.status === 200) {
          if (++acknowledged === 300) {
            // Kill -9 mid-run, with requests in flight; back 300 ms later on the same data directory.
            crash = redis.kill().then(() => new Promise((resolve) => setTimeout(resolve, 300))).then(() => redis.restart());
          }
          return r.json;
        }
        expect([r.status, r.text]).toEqual([503, UNAVAILABLE]);
        unavailable++;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`${path} was never acknowledged`);
    }

    await inParallel(clients, 20, async (clientId, i) => {
      const p = await deliver('/participate', { experiment, alternatives, client_id: clientId });
      expect(p.alternative.name).toBe(alternatives[sixpackIndex(experiment, clientId, 3)]);
      if (i % 2 === 0) await deliver('/convert', { experiment, client_id: clientId });
    });
    await crash;

    expect(unavailable).toBeGreaterThan(0); // the crash did happen mid-run
    const view = (await sp.get(`/experiments/${experiment}`)).json;
    expect([view.total_participants, view.total_conversions]).toEqual([600, 300]);
    const expected = alternatives.map((alt) => clients.filter((id) => alternatives[sixpackIndex(experiment, id, 3)] === alt));
    expect(view.alternatives.map((a: any) => a.participant_count)).toEqual(expected.map((ids) => ids.length));
    expect(view.alternatives.map((a: any) => a.completed_count)).toEqual(
      expected.map((ids) => ids.filter((id) => clients.indexOf(id) % 2 === 0).length),
    );
  });

  /** A visitor whom the hash puts in the treatment, so a fallback to the control is visible. */
  const treatmentVisitor = (experiment: string) =>
    Array.from({ length: 50 }, (_, i) => `v${i}`).find((id) => sixpackIndex(experiment, id, 2) === 1)!;

  /** Waits until the server counts one participation and one conversion, both in the treatment. */
  const treatmentCountedOnce = (experiment: string) =>
    vi.waitFor(
      async () => {
        const view = (await sp.get(`/experiments/${experiment}`)).json;
        expect(view.alternatives?.map((a: any) => [a.name, a.participant_count, a.completed_count])).toEqual([
          ['control', 0, 0],
          ['treatment', 1, 1],
        ]);
      },
      { timeout: 15_000, interval: 100 },
    );

  it('end to end: the client falls back to the control, and its queue delivers once Redis is back', async () => {
    const experiment = 'queued-through-outage';
    const alternatives = ['control', 'treatment'];
    const clientId = treatmentVisitor(experiment);
    const log = vi.fn();
    const client = createClient({ clientId, log, plugins: [sixpack({ baseUrl: sp.url, queue: memoryQueue(), timeoutMs: 2000 })] });
    try {
      await redis.kill();
      const shown = await client.participate(experiment, alternatives);
      expect([shown.alternative, shown.source, shown.error?.status]).toEqual(['control', 'fallback', 503]);
      const converted = await client.convert(experiment);
      expect([converted.status, converted.error?.status]).toEqual(['queued', 503]);
      expect(log).toHaveBeenCalledWith('Sixpack participate failed', expect.objectContaining({ experiment }));
      await redis.restart();
      await recovered();

      // The queue retries by itself (backoff of a few seconds at most): participation first, then the conversion.
      await treatmentCountedOnce(experiment);
      expect((await client.participate(experiment, alternatives)).alternative).toBe('treatment');
    } finally {
      client.destroy();
    }
  });

  it('end to end across a reload: what the durable queue held while Redis was down, the next page delivers', async () => {
    vi.stubGlobal('indexedDB', new IDBFactory()); // the browser's IndexedDB, shared by both pages
    const experiment = 'durable-through-outage';
    const alternatives = ['control', 'treatment'];
    const clientId = treatmentVisitor(experiment);
    const page = () =>
      createClient({ clientId, log: vi.fn(), plugins: [sixpack({ baseUrl: sp.url, queue: indexedDbQueue({ dbName: 'outage-queue' }), timeoutMs: 2000 })] });
    const first = page();
    let second: ReturnType<typeof page> | undefined;
    try {
      await redis.kill();
      const shown = await first.participate(experiment, alternatives);
      expect([shown.alternative, shown.source, shown.error?.status]).toEqual(['control', 'fallback', 503]);
      expect((await first.convert(experiment)).status).toBe('queued');
      first.destroy(); // the page goes away before Redis is back: its retries stop with it
      await redis.restart();
      await recovered();
      expect((await sp.get(`/experiments/${experiment}`)).status).toBe(404); // nothing reached Redis

      // The next page starts its queue and delivers, in order, the participation and the conversion
      // the first page left in IndexedDB. It converts nothing itself.
      second = page();
      expect((await second.participate(experiment, alternatives)).alternative).toBe('treatment');
      await treatmentCountedOnce(experiment);
      expect(await indexedDbQueue({ dbName: 'outage-queue' }).peekAll()).toEqual([]);
    } finally {
      first.destroy();
      second?.destroy();
      vi.unstubAllGlobals();
    }
  });
});
