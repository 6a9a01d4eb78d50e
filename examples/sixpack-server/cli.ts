/**
 * Run the Sixpack-compatible server:
 *
 *   npx tsx examples/sixpack-server/cli.ts [--port 5000] [--host 127.0.0.1] [--ignore-ip 192.0.2.1,...]
 *     [--redis redis://host:6379/15] [--redis-prefix sixpack] [--quiet]
 *
 * With `--redis` (or SIXPACK_REDIS_URL) data lives in Redis, in Sixpack's own layout; the prefix
 * is `--redis-prefix`, else SIXPACK_REDIS_PREFIX, else `sixpack`. Without it, data lives in memory
 * and is lost on exit. Stops cleanly on SIGINT / SIGTERM.
 */
import { redisStore } from './redis-store';
import { createSixpackServer } from './server';
import type { SixpackStore } from './store';

const USAGE =
  'usage: tsx examples/sixpack-server/cli.ts [--port N (default 5000)] [--host H (default 127.0.0.1)] ' +
  '[--ignore-ip IP[,IP...]] [--redis redis://HOST:PORT/DB] [--redis-prefix P (default sixpack)] [--quiet]';

function parseArgs(argv: string[]) {
  const opts = {
    port: 5000,
    host: '127.0.0.1',
    ignoredIps: [] as string[],
    quiet: false,
    redis: process.env.SIXPACK_REDIS_URL || null,
    redisPrefix: process.env.SIXPACK_REDIS_PREFIX || 'sixpack',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split(/=(.*)/s, 2) as [string, string?];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0-65535');
        opts.port = port;
        break;
      }
      case '--host':
        opts.host = value();
        break;
      case '--ignore-ip':
        opts.ignoredIps.push(...value().split(',').filter(Boolean));
        break;
      case '--redis':
        opts.redis = value();
        break;
      case '--redis-prefix':
        opts.redisPrefix = value();
        break;
      case '--quiet':
        opts.quiet = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
      default:
        throw new Error(`unknown option ${flag}`);
    }
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
  log: opts.quiet ? undefined : (line) => console.log(line),
});

try {
  const { url } = await sixpack.listen(opts.port, opts.host);
  console.log(`Sixpack-compatible server listening on ${url}`);
} catch (err) {
  console.error(`cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`);
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
