/**
 * `splitflap-server migrate-to-cluster`: copies a single-Redis deployment (Sixpack's key layout)
 * into the cluster layout, where each experiment's keys carry its `{NAME}` hash tag. Key by key with
 * DUMP and RESTORE (values and types kept exactly, client numbers included), then the experiment is
 * listed. Run it with the servers stopped (or read-only); the source is not changed, so it can be
 * run again, and the old deployment stays as a way back.
 */
import type { Cluster, Redis } from 'ioredis';
import { sixpackKeys } from './redis-store';
import type { Metric, Period } from './store';

const PERIODS: Period[] = ['year', 'month', 'day'];

/** Every key of one experiment in Sixpack's layout, with its name in the cluster layout. */
async function keyPairs(source: Redis, prefix: string, name: string): Promise<[string, string][]> {
  const from = sixpackKeys(prefix, 'sixpack');
  const to = sixpackKeys(prefix, 'cluster');
  const alternatives = [...(await source.lrange(from.alternatives(name), 0, -1)), null];
  const kpis = [null, ...(await source.smembers(from.kpis(name)))];
  const pairs: [string, string][] = (['record', 'alternatives', 'winner', 'users', 'excluded', 'kpis', 'bare'] as const).map((k) => [from[k](name), to[k](name)]);
  const series: [Metric, string | null][] = [['participations', null], ...kpis.map((kpi): [Metric, string | null] => ['conversions', kpi])];
  for (const [metric, kpi] of series) {
    const buckets = ['all'];
    for (const period of PERIODS) {
      pairs.push([from.dates(name, metric, kpi, period), to.dates(name, metric, kpi, period)]);
      buckets.push(...(await source.smembers(from.dates(name, metric, kpi, period))));
    }
    for (const alternative of alternatives) {
      for (const bucket of buckets) pairs.push([from.bitmap(name, metric, kpi, alternative, bucket), to.bitmap(name, metric, kpi, alternative, bucket)]);
    }
  }
  return pairs;
}

/** What a migration copied. */
export interface MigrationReport {
  experiments: number;
  keys: number;
}

/** Copies every experiment under `prefix` from `source` (one Redis) to `target` (a cluster). */
export async function migrateToCluster(source: Redis, target: Cluster, prefix: string, log: (line: string) => void = () => {}): Promise<MigrationReport> {
  const from = sixpackKeys(prefix, 'sixpack');
  const to = sixpackKeys(prefix, 'cluster');
  const names = (await source.smembers(from.experiments)).sort();
  let copied = 0;
  for (const name of names) {
    let keys = 0;
    for (const [src, dst] of await keyPairs(source, prefix, name)) {
      const dump = await source.dumpBuffer(src);
      if (dump === null) continue;
      await target.restore(dst, 0, dump, 'REPLACE');
      keys++;
    }
    // Listed last, so that a server on the cluster sees the experiment only once it is complete.
    await target.sadd(to.listed(name), name);
    await target.sadd(to.experiments, name);
    copied += keys;
    log(`${name}: ${keys} keys`);
  }
  return { experiments: names.length, keys: copied };
}
