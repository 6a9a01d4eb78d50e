/**
 * Run the Sixpack-compatible server:
 *
 *   npx tsx examples/sixpack-server/cli.ts [--port 5000] [--host 127.0.0.1] [--ignore-ip 192.0.2.1,...]
 *     [--redis redis://host:6379/15] [--redis-prefix sixpack] [--admin-port 5001] [--admin-host 127.0.0.1]
 *     [--admin-token T] [--max-experiments N] [--max-kpis N] [--backfill-days N] [--quiet]
 *
 * With `--redis` (or SIXPACK_REDIS_URL) data lives in Redis, in Sixpack's own layout; the prefix
 * is `--redis-prefix`, else SIXPACK_REDIS_PREFIX, else `sixpack`. Without it, data lives in memory
 * and is lost on exit. The admin API listens on its own address (default 127.0.0.1:5001); on any
 * other host it needs a token. Stops cleanly on SIGINT / SIGTERM.
 */
import { redisStore } from './redis-store';
import { createSixpackServer } from './server';
import type { SixpackStore } from './store';

const USAGE =
  'usage: tsx examples/sixpack-server/cli.ts [--port N (default 5000)] [--host H (default 127.0.0.1)] ' +
  '[--ignore-ip IP[,IP...]] [--redis redis://HOST:PORT/DB] [--redis-prefix P (default sixpack)] ' +
  '[--admin-port N|off (default 5001; 0 with --port 0)] [--admin-host H (default 127.0.0.1)] [--admin-token T (or SPLITFLAP_ADMIN_TOKEN)] ' +
  '[--max-experiments N (default 1000)] [--max-kpis N (default 20)] [--backfill-days N (default 0)] [--quiet]';

/** Loopback addresses: the only ones where the admin API may listen without a token. */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function integer(flag: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${flag} must be an integer from 0 to ${max}`);
  return n;
}

function parseArgs(argv: string[]) {
  const opts = {
    port: 5000,
    host: '127.0.0.1',
    ignoredIps: [] as string[],
    quiet: false,
    redis: process.env.SIXPACK_REDIS_URL || null,
    redisPrefix: process.env.SIXPACK_REDIS_PREFIX || 'sixpack',
    adminPort: null as number | null | 'off',
    adminHost: '127.0.0.1',
    adminToken: process.env.SPLITFLAP_ADMIN_TOKEN || undefined,
    limits: {} as { maxExperiments?: number; maxKpisPerExperiment?: number },
    backfillDays: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split(/=(.*)/s, 2) as [string, string?];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': opts.port = integer(flag, value(), 65535); break;
      case '--host': opts.host = value(); break;
      case '--ignore-ip': opts.ignoredIps.push(...value().split(',').filter(Boolean)); break;
      case '--redis': opts.redis = value(); break;
      case '--redis-prefix': opts.redisPrefix = value(); break;
      case '--admin-port': { const v = value(); opts.adminPort = v === 'off' ? 'off' : integer(flag, v, 65535); break; }
      case '--admin-host': opts.adminHost = value(); break;
      case '--admin-token': opts.adminToken = value(); break;
      case '--max-experiments': opts.limits.maxExperiments = integer(flag, value(), 1e9); break;
      case '--max-kpis': opts.limits.maxKpisPerExperiment = integer(flag, value(), 1e6); break;
      case '--backfill-days': opts.backfillDays = integer(flag, value(), 100_000); break;
      case '--quiet': opts.quiet = true; break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (opts.adminPort !== 'off' && !opts.adminToken && !LOOPBACK.test(opts.adminHost)) {
    throw new Error(`--admin-host ${opts.adminHost} is not a loopback address: set --admin-token (or SPLITFLAP_ADMIN_TOKEN)`);
  }
  return opts;
}

let opts: ReturnType<typeof parseArgs>;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

let store: (SixpackStore & { close(): Promise<void> }) | undefined;
if (opts.redis) {
  const redis = redisStore({ url: opts.redis, prefix: opts.redisPrefix, log: (line) => console.error(line) });
  store = redis;
  // Listen even while Redis is unreachable: requests get 503s until it is back (health checks see /_status fail).
  await redis.ready(5000).catch((err: Error) => console.error(`${err.message}; answering 503 until it is reachable`));
}

const sixpack = createSixpackServer({
  store,
  ignoredIps: opts.ignoredIps,
  adminToken: opts.adminToken,
  limits: opts.limits,
  backfillDays: opts.backfillDays,
  log: opts.quiet ? undefined : (line) => console.log(line),
});

try {
  if (opts.adminPort !== 'off') {
    const adminPort = opts.adminPort ?? (opts.port === 0 ? 0 : 5001);
    const admin = await sixpack.admin.listen(adminPort, opts.adminHost);
    console.log(`admin API listening on ${admin.url}${opts.adminToken ? ' (bearer token required)' : ''}`);
  }
  const { url } = await sixpack.listen(opts.port, opts.host);
  console.log(`Sixpack-compatible server listening on ${url}`);
} catch (err) {
  console.error(`cannot listen: ${(err as Error).message}`);
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    sixpack
      .close()
      .then(() => store?.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
  });
}
