/**
 * Load on the Sixpack-compatible server (server/, the splitflap-server package), all on 127.0.0.1:
 * requests per second and p50/p99 latency of /participate and /convert, for the memory store, the
 * Redis store and Redis Cluster (3 masters + 3 replicas), with one server process and with two
 * (the load split evenly), at 1, 50 and 200 concurrent keep-alive connections; memory of the server processes (and of Redis) before and
 * after. Each server is the command line in a process of its own, so the load generator here
 * does not share its event loop.
 *
 *   npm run bench:server [-- seconds=10]
 *
 * Every /participate is a new visitor (an assignment written), every /convert a visitor of the
 * participate run converting (a conversion written). With the memory store, two instances keep
 * two separate data sets: that is a throughput figure, not a deployment. Numbers on a shared
 * machine are noisy; compare rows of one run.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Redis } from 'ioredis';
import { type SpawnedSixpack, spawnSixpack } from '../test/helpers/sixpack-server';
import { startRedisCluster } from '../test/redis/cluster';
import { startRedis } from '../test/redis/harness';

const seconds = Number(process.argv[2]?.replace(/^seconds=/, '') ?? 10);
/** 1 connection shows what a request costs without queueing (the Redis round trips); 50 and 200 show load. */
const CONCURRENCY = [1, 50, 200];
const ALTERNATIVES = ['control', 'green', 'blue'];

interface Run {
  requests: number;
  errors: number;
  latencies: number[];
  elapsed: number;
}

/**
 * `connections` keep-alive sockets, each sending one request after the other, for `duration`
 * seconds. Request `i` goes to target `i % targets.length`, so a visitor's conversion reaches the
 * instance its participation did (which matters for two memory stores).
 */
async function load(targets: string[], connections: number, path: (i: number) => string, duration = seconds): Promise<Run> {
  const agents = targets.map(() => new http.Agent({ keepAlive: true, maxSockets: Math.ceil(connections / targets.length) }));
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const deadline = performance.now() + duration * 1000;
  const started = performance.now();
  const one = (target: number, url: string) =>
    new Promise<void>((resolve) => {
      const sentAt = performance.now();
      const req = http.get(targets[target] + url, { agent: agents[target] }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - sentAt);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: connections }, async (_, worker) => {
      while (performance.now() < deadline) {
        const i = issued++;
        await one(i % targets.length, path(i));
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agents.forEach((agent) => agent.destroy());
  return { requests: latencies.length, errors, latencies, elapsed };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : NaN;
}

const rows: string[][] = [];
const running: SpawnedSixpack[] = [];
const memory: string[][] = [];
const redis = await startRedis();
const redisClient = new Redis(redis.url(0));
// Redis Cluster: 3 masters with a replica each, on this machine too (so it shares the same cores).
const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
const seeds = cluster.seeds.map((n) => `${n.host}:${n.port}`).join(',');
// Interrupted: stop what was started, then exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([...running.map((i) => i.close()), redis.stop(), cluster.stop()]).finally(() => process.exit(130));
  });
}
const redisMiB = async () => Number(/used_memory_rss:(\d+)/.exec(await redisClient.info('memory'))?.[1]) / 2 ** 20;

try {
  let experimentSeq = 0;
  for (const store of ['memory', 'redis', 'cluster'] as const) {
    for (const count of [1, 2]) {
      const prefix = ['--redis-prefix', `bench${experimentSeq}`];
      const args = store === 'redis' ? ['--redis', redis.url(0), ...prefix] : store === 'cluster' ? ['--redis-cluster', seeds, ...prefix] : [];
      const instances: SpawnedSixpack[] = await Promise.all(Array.from({ length: count }, () => spawnSixpack(args)));
      running.push(...instances);
      const targets = instances.map((i) => i.url);
      const before = instances.map((i) => rssMiB(i.pid));
      // Warm up (JIT, connection pools) on an experiment of its own, untimed.
      const warm = `experiment=warm-${++experimentSeq}&alternatives=${ALTERNATIVES.join('&alternatives=')}`;
      await load(targets, 50, (i) => `/participate?${warm}&client_id=w${i}`, 1);
      const redisBefore = await redisMiB();
      for (const connections of CONCURRENCY) {
        const experiment = `bench-${++experimentSeq}`;
        const common = `experiment=${experiment}`;
        // Create the experiment once, so every participate is a plain new visitor.
        await fetch(`${targets[0]}/participate?${common}&alternatives=${ALTERNATIVES.join('&alternatives=')}&client_id=seed`);
        const participate = await load(targets, connections, (i) => `/participate?${common}&alternatives=${ALTERNATIVES.join('&alternatives=')}&client_id=v${i}`);
        // Conversions cycle over the visitors who participated; a multiple of the instance count keeps
        // visitor i on instance i % n, where its participation went.
        const visitors = Math.max(targets.length, participate.requests - (participate.requests % targets.length));
        const convert = await load(targets, connections, (i) => `/convert?${common}&client_id=v${i % visitors}`);
        for (const [endpoint, run] of [['participate', participate], ['convert', convert]] as const) {
          const sorted = run.latencies.sort((a, b) => a - b);
          rows.push([
            store,
            String(count),
            String(connections),
            endpoint,
            (run.requests / run.elapsed).toFixed(0),
            percentile(sorted, 50).toFixed(2),
            percentile(sorted, 99).toFixed(2),
            String(run.errors),
          ]);
          console.error(`${rows.at(-1)!.join('  ')}`);
        }
      }
      const after = instances.map((i) => rssMiB(i.pid));
      memory.push([
        store,
        String(count),
        before.map((m) => m.toFixed(0)).join(' + '),
        after.map((m) => m.toFixed(0)).join(' + '),
        store === 'redis' ? `${redisBefore.toFixed(1)} → ${(await redisMiB()).toFixed(1)}` : '',
      ]);
      await Promise.all(instances.map((i) => i.close()));
      running.splice(0);
    }
  }
} finally {
  redisClient.disconnect();
  await Promise.all([redis.stop(), cluster.stop()]);
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

console.log(`\nSixpack server (the splitflap-server bin, one process per instance), ${seconds} s per row, keep-alive connections on 127.0.0.1 (latency in ms)\n`);
console.log(table(['store', 'instances', 'connections', 'endpoint', 'req/s', 'p50', 'p99', 'errors'], rows));
console.log('\nResident memory of the server processes, MiB (before → after the runs above), and of Redis\n');
console.log(table(['store', 'instances', 'before', 'after', 'redis'], memory));
