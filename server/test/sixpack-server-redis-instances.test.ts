/**
 * Two server processes (the command line: one with `--redis`, one with SIXPACK_REDIS_URL) on one
 * real redis-server, under a bounded concurrent load from many clients: counts are exact, and every
 * client gets the same alternative from either instance, including concurrent first visits of one
 * client to both.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildQuery, inParallel, sixpackIndex, type SpawnedSixpack, spawnSixpack } from '../../test/helpers/sixpack-server';
import { describeWithRedis, type RunningRedis, startRedis } from '../../test/redis/harness';

const CONCURRENCY = 50;

describeWithRedis('two Sixpack server processes on one Redis', () => {
  let redis: RunningRedis;
  let instances: SpawnedSixpack[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    // One configured by flags, the other by the environment: both must reach the same Redis and prefix
    // (an instance on the memory store or another prefix would fail every count below).
    instances = await Promise.all([
      spawnSixpack(['--redis', redis.url(3), '--redis-prefix', 'load']),
      spawnSixpack([], { SIXPACK_REDIS_URL: redis.url(3), SIXPACK_REDIS_PREFIX: 'load' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await redis?.stop();
  });

  const get = async (instance: number, path: string, query: Record<string, string | string[]>) => {
    const res = await fetch(instances[instance]!.url + path + buildQuery(query));
    const body = await res.json();
    expect([res.status, body.status]).toEqual([200, 'ok']);
    return body;
  };
  const stats = async (instance: number, experiment: string) => (await get(instance, `/experiments/${experiment}`, {})) as any;

  it('2,000 participations and 500 conversions from 1,000 clients end with exact counts on both instances', async () => {
    const experiment = 'load-test';
    const alternatives = ['control', 'green', 'blue'];
    const clients = Array.from({ length: 1000 }, (_, i) => `visitor-${i}`);
    const expected = (id: string) => alternatives[sixpackIndex(experiment, id, alternatives.length)];

    // Each client visits both instances at once: the first visit of a client races on two processes.
    await inParallel(clients, CONCURRENCY, async (clientId) => {
      const answers = await Promise.all(
        [0, 1].map(async (instance) => (await get(instance, '/participate', { experiment, alternatives, client_id: clientId })).alternative.name),
      );
      expect(answers).toEqual([expected(clientId), expected(clientId)]);
    });
    // 500 conversions, alternating instances; 100 of them sent twice (once to each) must count once.
    const converting = clients.slice(0, 400);
    const conversions = [...converting.map((id, i) => [id, i % 2] as const), ...converting.slice(0, 100).map((id) => [id, 1] as const)];
    expect(conversions).toHaveLength(500);
    await inParallel(conversions, CONCURRENCY, async ([clientId, instance]) => {
      expect((await get(instance, '/convert', { experiment, client_id: clientId })).alternative.name).toBe(expected(clientId));
    });

    const perAlternative = (ids: string[]) => alternatives.map((alt) => ids.filter((id) => expected(id) === alt).length);
    for (const instance of [0, 1]) {
      const view = await stats(instance, experiment);
      expect(view.total_participants).toBe(1000);
      expect(view.total_conversions).toBe(400);
      expect(view.alternatives.map((a: any) => a.participant_count)).toEqual(perAlternative(clients));
      expect(view.alternatives.map((a: any) => a.completed_count)).toEqual(perAlternative(converting));
    }
  });

  it('a traffic fraction excludes or includes each client once, whichever instance it reaches first', async () => {
    const experiment = 'fraction-race';
    const alternatives = ['off', 'on'];
    const clients = Array.from({ length: 300 }, (_, i) => `racer-${i}`);
    let excluded = 0;
    await inParallel(clients, CONCURRENCY, async (clientId) => {
      const query = { experiment, alternatives, client_id: clientId, traffic_fraction: '0.5' };
      const answers = await Promise.all([0, 1].map(async (instance) => (await get(instance, '/participate', query)).alternative.name));
      // Both instances answer what the first filed: excluded (control) on both, or the hash choice on both.
      expect(answers[0]).toBe(answers[1]);
      const hashed = alternatives[sixpackIndex(experiment, clientId, 2)];
      if (answers[0] !== hashed) excluded++;
      expect([hashed, 'off']).toContain(answers[0]);
    });
    const view = await stats(1, experiment);
    expect(view.total_participants + view.excluded_clients).toBe(300);
    // A client that hashes to the control looks the same either way, so the check is bounded, not exact.
    expect(view.excluded_clients).toBeGreaterThanOrEqual(excluded);
    expect(view.excluded_clients).toBeGreaterThan(50); // about 150 of 300 at 0.5
    expect(view.total_participants).toBeGreaterThan(50);
  });
});
