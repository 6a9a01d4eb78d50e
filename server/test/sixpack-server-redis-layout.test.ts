/**
 * The Redis store keeps Sixpack 2.7.0's own layout, both ways, on a real redis-server:
 *
 * - reading: a fixture of keys written the way Sixpack writes them reads back as the right
 *   experiments, alternatives, assignments and counts;
 * - writing: what this server records is exactly the keys and values Sixpack would have written.
 *
 * The fixture is built from Sixpack's source (sixpack/models.py and sixpack/db.py), not from our
 * key builder, so a wrong key name here fails the test. With `P` the prefix:
 * - `Experiment.save()`: `SADD P:e NAME`; `HSET P:e:NAME created_at "%Y-%m-%d %H:%M"` (1.x wrote
 *   `str(datetime.now())`, with seconds and microseconds, which 2.x shows up to the dot);
 *   `HSET P:e:NAME traffic_fraction <float>`; `LPUSH P:e:NAME:alternatives` in reverse, so LRANGE
 *   gives the stored order.
 * - `sequential_id()` (`monotonic_zadd`): `ZADD P:e:NAME:users <ZCARD> client_id`, once per client.
 * - `Alternative.record_participation()`: `SADD P:p:NAME:{years,months,days}`, then SETBIT at the
 *   client's number in `P:p:NAME:{_all,ALT}:{all,YYYY,YYYY-MM,YYYY-MM-DD}`.
 * - `record_conversion()`: the same under `P:c:NAME[/KPI]:{_all,ALT}:users:...` and
 *   `P:c:NAME[/KPI]:{years,months,days}`; `add_kpi()`: `SADD P:e:NAME:kpis KPI`.
 * - `exclude_client()`: SETBIT `P:e:NAME:excluded`; `set_winner()`: `SET P:e:NAME:winner ALT`;
 *   `archive()` / `pause()`: `HSET P:e:NAME archived|paused 1`; a description: `HSET ... description`.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisStore, type RedisSixpackStore } from '../src/redis-store';
import { type RunningSixpack, sixpackIndex, startSixpack } from '../../test/helpers/sixpack-server';
import { describeWithRedis, type RunningRedis, startRedis } from '../../test/redis/harness';

describeWithRedis('Sixpack 2.7.0 Redis layout', () => {
  let redis: RunningRedis;
  let raw: Redis;
  const stores: RedisSixpackStore[] = [];
  const servers: RunningSixpack[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url(15));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(stores.map((s) => s.close()));
    raw?.disconnect();
    await redis?.stop();
  });

  async function serve(prefix?: string, now = '2026-11-21T04:23:45Z') {
    const store = redisStore({ url: redis.url(15), prefix });
    stores.push(store);
    await store.ready();
    const sp = await startSixpack({ store, now: () => new Date(now), backfillDays: 10_000 });
    servers.push(sp);
    return sp;
  }

  /** Sixpack's msetbit of a participation or conversion, as models.py writes it. */
  async function sixpackRecord(base: string, alternative: string, n: number, date: string) {
    const [year, month] = [date.slice(0, 4), date.slice(0, 7)];
    const separator = base.startsWith('sxp:c:') ? ':users:' : ':';
    await raw.sadd(`${base}:years`, year);
    await raw.sadd(`${base}:months`, month);
    await raw.sadd(`${base}:days`, date);
    for (const alt of ['_all', alternative]) {
      for (const bucket of ['all', year, month, date]) await raw.setbit(`${base}:${alt}${separator}${bucket}`, n, 1);
    }
  }

  it('reads a Sixpack-written Redis: experiments, stored order, assignments, exclusions, counts by day, KPIs', async () => {
    const name = 'checkout-button';
    const alts = ['green', 'orange', 'red'];
    // Experiment.save(): alternatives LPUSHed in reverse.
    await raw.sadd('sxp:e', name, 'hero', 'old-one', 'other');
    await raw.hset(`sxp:e:${name}`, 'created_at', '2014-03-05 10:00:00.123456', 'traffic_fraction', '0.8', 'description', 'Which colour sells?');
    for (const alt of [...alts].reverse()) await raw.lpush(`sxp:e:${name}:alternatives`, alt);
    // Clients numbered in order of first sight.
    const clients = ['alice', 'bob', 'carol', 'dave', 'erin'];
    for (const [n, id] of clients.entries()) await raw.zadd(`sxp:e:${name}:users`, n, id);
    const recorded: Record<string, [string, string]> = {
      alice: ['orange', '2014-03-05'],
      bob: ['green', '2014-03-05'],
      carol: ['red', '2014-03-06'],
      dave: ['orange', '2014-04-01'],
    };
    for (const [id, [alt, date]] of Object.entries(recorded)) {
      await sixpackRecord(`sxp:p:${name}`, alt, clients.indexOf(id), date);
    }
    await raw.setbit(`sxp:e:${name}:excluded`, clients.indexOf('erin'), 1);
    await sixpackRecord(`sxp:c:${name}`, 'orange', clients.indexOf('alice'), '2014-03-07');
    await raw.sadd(`sxp:e:${name}:kpis`, 'purchase');
    await sixpackRecord(`sxp:c:${name}/purchase`, 'orange', clients.indexOf('dave'), '2014-04-02');
    // A paused experiment with a winner, an archived one, and one whose alternative is called like the first experiment.
    await raw.hset('sxp:e:hero', 'created_at', '2015-01-01 00:00', 'traffic_fraction', '1.0', 'paused', '1');
    await raw.rpush('sxp:e:hero:alternatives', 'a', 'b');
    await raw.set('sxp:e:hero:winner', 'b');
    await raw.hset('sxp:e:old-one', 'created_at', '2013-01-01 00:00', 'archived', '1');
    await raw.rpush('sxp:e:old-one:alternatives', 'x', 'y');
    await raw.hset('sxp:e:other', 'created_at', '2016-01-01 00:00', 'traffic_fraction', '1.0');
    await raw.rpush('sxp:e:other:alternatives', 'plain', name);
    await raw.zadd('sxp:e:other:users', 0, 'zed');
    await sixpackRecord('sxp:p:other', name, 0, '2016-01-02');

    // At least one recorded alternative differs from what the hash would choose, so reading the bitmaps is what is tested.
    expect(Object.entries(recorded).some(([id, [alt]]) => alts[sixpackIndex(name, id, 3)] !== alt)).toBe(true);

    const sp = await serve('sxp');
    const view = (await sp.get(`/experiments/${name}`, { period: 'day' })).json;
    expect(view).toMatchObject({
      name,
      created_at: '2014-03-05 10:00:00',
      traffic_fraction: 0.8,
      description: 'Which colour sells?',
      excluded_clients: 1,
      total_participants: 4,
      total_conversions: 1,
      kpis: ['purchase'],
      has_winner: false,
      is_archived: false,
      is_paused: false,
    });
    expect(view.alternatives.map((a: any) => [a.name, a.participant_count, a.completed_count])).toEqual([
      ['green', 1, 0],
      ['orange', 2, 1],
      ['red', 1, 0],
    ]);
    expect(view.alternatives[1].data).toEqual([
      { conversions: 0, date: '2014-03-05', participants: 1 },
      { conversions: 0, date: '2014-03-06', participants: 0 },
      { conversions: 1, date: '2014-03-07', participants: 0 },
      { conversions: 0, date: '2014-04-01', participants: 1 },
    ]);
    const purchase = (await sp.get(`/experiments/${name}`, { kpi: 'purchase', period: 'month' })).json;
    expect([purchase.total_conversions, purchase.alternatives[1].completed_count, purchase.alternatives[1].data]).toEqual([
      1,
      1,
      [
        { conversions: 0, date: '2014-03', participants: 1 },
        { conversions: 1, date: '2014-04', participants: 1 },
      ],
    ]);

    // Recorded clients keep their alternative, the excluded one gets the control.
    for (const [id, [alt]] of Object.entries(recorded)) {
      const r = await sp.get('/participate', { experiment: name, alternatives: alts, client_id: id, traffic_fraction: '0.8' });
      expect([id, r.json.alternative.name]).toEqual([id, alt]);
    }
    const erin = await sp.get('/participate', { experiment: name, alternatives: alts, client_id: 'erin', traffic_fraction: '0.8' });
    expect(erin.json.alternative.name).toBe('green');
    // bob converts as green: the bit goes at his number, 1.
    expect((await sp.get('/convert', { experiment: name, client_id: 'bob' })).json.alternative.name).toBe('green');
    expect(await raw.getbit(`sxp:c:${name}:green:users:all`, 1)).toBe(1);
    // A new client is numbered after the five.
    await sp.get('/participate', { experiment: name, alternatives: alts, client_id: 'frank', traffic_fraction: '0.8' });
    expect(await raw.zscore(`sxp:e:${name}:users`, 'frank')).toBe('5');

    // The winner, pause and archive flags as sixpack-web set them.
    const hero = (await sp.get('/experiments/hero')).json;
    expect([hero.winner, hero.is_paused, hero.alternatives[1].is_winner]).toEqual(['b', true, true]);
    expect((await sp.get('/participate', { experiment: 'hero', alternatives: ['a', 'b'], client_id: 'q' })).json.alternative.name).toBe('b');
    expect((await sp.get('/experiments/old-one')).json.is_archived).toBe(true);
    expect((await sp.get('/experiments.json')).json.experiments.map((e: any) => e.name)).toEqual([name, 'other']);

    // Deleting removes every key of the experiment and nothing of the others (Sixpack's own
    // `KEYS *:checkout-button:*` would also have taken `sxp:p:other:checkout-button:all`).
    const own = (key: string) =>
      key === `sxp:e:${name}` || [`sxp:e:${name}:`, `sxp:p:${name}:`, `sxp:c:${name}:`, `sxp:c:${name}/`].some((p) => key.startsWith(p));
    const others = (await raw.keys('sxp:*')).filter((key) => !own(key));
    expect(others).toContain(`sxp:p:other:${name}:all`);
    expect((await sp.send('DELETE', `/_admin/experiments/${name}`)).status).toBe(200);
    expect((await raw.keys('sxp:*')).sort()).toEqual(others.sort());
    expect(await raw.smembers('sxp:e')).not.toContain(name);
  });

  it("writes exactly the keys and values Sixpack writes, under the default prefix 'sixpack'", async () => {
    const sp = await serve(undefined, '2026-11-21T04:23:45Z');
    const exp = 'button-color';
    const q = (extra: Record<string, string | string[]>) => ({ experiment: exp, alternatives: ['red', 'blue'], ...extra });
    expect((await sp.get('/participate', q({ client_id: 'alice' }))).json.alternative.name).toBe('blue');
    expect((await sp.get('/participate', q({ client_id: 'bob', force: 'red', record_force: 'true', datetime: '2014-03-05' }))).status).toBe(200);
    await sp.get('/convert', { experiment: exp, client_id: 'alice', kpi: 'buy' });
    await sp.get('/convert', { experiment: exp, client_id: 'alice', datetime: '2026-11-22' });
    await sp.send('POST', `/_admin/experiments/${exp}`, { winner: 'blue', description: 'Which?', paused: true });

    const P = 'sixpack';
    const day = (d: string) => [d.slice(0, 4), d.slice(0, 7), d];
    const bitmaps = (base: string, alt: string, sep: string, d: string) =>
      ['_all', alt].flatMap((a) => ['all', ...day(d)].map((b) => `${base}:${a}${sep}${b}`));
    const expected = [
      `${P}:e`,
      `${P}:e:${exp}`,
      `${P}:e:${exp}:alternatives`,
      `${P}:e:${exp}:users`,
      `${P}:e:${exp}:winner`,
      `${P}:e:${exp}:kpis`,
      ...['years', 'months', 'days'].flatMap((s) => [`${P}:p:${exp}:${s}`, `${P}:c:${exp}:${s}`, `${P}:c:${exp}/buy:${s}`]),
      ...bitmaps(`${P}:p:${exp}`, 'blue', ':', '2026-11-21'),
      ...bitmaps(`${P}:p:${exp}`, 'red', ':', '2014-03-05'),
      ...bitmaps(`${P}:c:${exp}/buy`, 'blue', ':users:', '2026-11-21'),
      ...bitmaps(`${P}:c:${exp}`, 'blue', ':users:', '2026-11-22'),
    ];
    expect((await raw.keys(`${P}:*`)).sort()).toEqual([...new Set(expected)].sort());

    expect(await raw.smembers(`${P}:e`)).toEqual([exp]);
    expect(await raw.hgetall(`${P}:e:${exp}`)).toEqual({
      created_at: '2026-11-21 04:23',
      traffic_fraction: '1.0',
      description: 'Which?',
      paused: '1',
    });
    expect(await raw.lrange(`${P}:e:${exp}:alternatives`, 0, -1)).toEqual(['red', 'blue']);
    expect(await raw.zrange(`${P}:e:${exp}:users`, 0, '-1', 'WITHSCORES')).toEqual(['alice', '0', 'bob', '1']);
    expect(await raw.get(`${P}:e:${exp}:winner`)).toBe('blue');
    expect(await raw.smembers(`${P}:e:${exp}:kpis`)).toEqual(['buy']);
    expect((await raw.smembers(`${P}:p:${exp}:days`)).sort()).toEqual(['2014-03-05', '2026-11-21']);
    expect(await raw.smembers(`${P}:c:${exp}/buy:months`)).toEqual(['2026-11']);
    // alice is 0 and bob 1: one bit each, at their numbers.
    expect(await raw.getbit(`${P}:p:${exp}:blue:all`, 0)).toBe(1);
    expect(await raw.getbit(`${P}:p:${exp}:blue:all`, 1)).toBe(0);
    expect(await raw.getbit(`${P}:p:${exp}:red:2014-03`, 1)).toBe(1);
    expect(await raw.bitcount(`${P}:p:${exp}:_all:all`)).toBe(2);
    expect(await raw.getbit(`${P}:c:${exp}/buy:blue:users:2026-11-21`, 0)).toBe(1);
    expect(await raw.getbit(`${P}:c:${exp}:_all:users:2026-11-22`, 0)).toBe(1);

    // Our own fields, which Sixpack ignores: `disabled` and `bandit`; cleared, they are gone.
    await sp.send('POST', `/_admin/experiments/${exp}`, { enabled: false, archived: true, bandit: { policy: 'ucb1' }, winner: null });
    expect(await raw.hgetall(`${P}:e:${exp}`)).toMatchObject({ disabled: '1', archived: '1', bandit: '{"policy":"ucb1"}' });
    expect(await raw.exists(`${P}:e:${exp}:winner`)).toBe(0);
    await sp.send('POST', `/_admin/experiments/${exp}`, { enabled: true, archived: false, paused: false, bandit: null, description: null });
    expect(await raw.hgetall(`${P}:e:${exp}`)).toEqual({ created_at: '2026-11-21 04:23', traffic_fraction: '1.0' });
    await sp.get('/participate', q({ client_id: 'carol', traffic_fraction: '0.25' }));
    expect(await raw.hget(`${P}:e:${exp}`, 'traffic_fraction')).toBe('0.25');
  });
});
