/**
 * The `splitflap-server` command: a drop-in for Sixpack's server. `--help` lists the options;
 * settings come from the defaults, a Sixpack `config.yml` (SIXPACK_CONFIG or `--config`), the
 * environment, then flags. The public API and the admin API listen separately. On SIGTERM or
 * SIGINT it stops accepting, finishes in-flight requests, closes Redis and exits 0.
 */
import { Cluster, Redis } from 'ioredis';
import { migrateToCluster } from './migrate';
import { redisStore, type RedisSixpackStore } from './redis-store';
import { createSixpackServer, type RequestEvent, type SixpackServer } from './server';
import { readSettings, type Settings, USAGE } from './settings';

/** Where lines go: plain text, or one JSON object per line (`--log-format json`). */
interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  request?(event: RequestEvent): void;
}

function createLogger(settings: Settings): Logger {
  if (settings.logFormat === 'json') {
    const line = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    return {
      info: (msg, fields) => line('info', msg, fields),
      error: (msg, fields) => line('error', msg, fields),
      request: settings.quiet ? undefined : ({ listener, method, url, status, ms }) => line('info', 'request', { listener, method, url, status, ms: Math.round(ms * 10) / 10 }),
    };
  }
  const fmt = (msg: string, fields?: Record<string, unknown>) => (fields ? `${msg} ${JSON.stringify(fields)}` : msg);
  return { info: (msg, fields) => console.log(fmt(msg, fields)), error: (msg, fields) => console.error(fmt(msg, fields)) };
}

async function openStore(settings: Settings, logger: Logger): Promise<RedisSixpackStore | undefined> {
  if (!settings.redis && !settings.redisCluster) return undefined;
  const where = settings.redisCluster ? { clusterNodes: settings.redisCluster } : { url: settings.redis ?? undefined };
  const store = redisStore({ ...where, prefix: settings.redisPrefix, log: (line) => logger.error(line) });
  // Listen even while Redis is unreachable: requests get 503s until it is back (/readyz fails meanwhile).
  await store.ready(5000).catch((err: Error) => logger.error(`${err.message}; answering 503 until it is reachable`));
  return store;
}

function buildServer(settings: Settings, logger: Logger, store: RedisSixpackStore | undefined): SixpackServer {
  const text = settings.logFormat === 'text' && !settings.quiet;
  return createSixpackServer({
    store,
    ignoredIps: settings.ignoredIps,
    robotRegex: settings.robotRegex,
    enableWhiplash: settings.enableWhiplash,
    cors: settings.cors,
    adminToken: settings.adminToken,
    limits: settings.limits,
    backfillDays: settings.backfillDays,
    log: (line) => (text || line.includes('error') ? logger.info(line) : undefined),
    onRequest: logger.request,
  });
}

async function listen(server: SixpackServer, settings: Settings, logger: Logger): Promise<void> {
  if (settings.adminPort !== 'off') {
    const adminPort = settings.adminPort ?? (settings.port === 0 ? 0 : 5001);
    const admin = await server.admin.listen(adminPort, settings.adminHost);
    logger.info(`admin API listening on ${admin.url}${settings.adminToken ? ' (bearer token required)' : ''}`);
  }
  const { url } = await server.listen(settings.port, settings.host);
  logger.info(`Sixpack-compatible server listening on ${url}`);
}

/** SIGTERM / SIGINT: drain both listeners, then close the store, then exit (0, or 1 on an error). */
function stopOnSignals(server: SixpackServer, store: RedisSixpackStore | undefined, settings: Settings, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping (finishing in-flight requests)`);
    server
      .drain(settings.shutdownGraceMs)
      .then(() => store?.close())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error(`shutdown failed: ${String(err)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const MIGRATE_USAGE = 'usage: splitflap-server migrate-to-cluster --from redis://HOST:PORT/DB --to HOST:PORT[,HOST:PORT…] [--redis-prefix P]';

/** `migrate-to-cluster --from URL --to NODES [--redis-prefix P]`: see migrate.ts. */
async function migrateCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) flags.set(argv[i] as string, argv[i + 1] ?? '');
  const from = flags.get('--from');
  const to = flags.get('--to');
  if (!from || !to || [...flags.keys()].some((k) => !['--from', '--to', '--redis-prefix'].includes(k))) {
    console.error(MIGRATE_USAGE);
    process.exit(2);
  }
  const { settings } = readSettings(['--redis-cluster', to, ...(flags.has('--redis-prefix') ? ['--redis-prefix', flags.get('--redis-prefix') as string] : [])], env);
  const source = new Redis(from);
  const target = new Cluster(settings.redisCluster ?? []);
  try {
    const report = await migrateToCluster(source, target, settings.redisPrefix, (line) => console.log(line));
    console.log(`copied ${report.experiments} experiments (${report.keys} keys) to the cluster layout, prefix ${settings.redisPrefix}`);
  } finally {
    source.disconnect();
    target.disconnect();
  }
}

/** Runs the command with `argv` (without node and the script); resolves once listening. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv[0] === 'migrate-to-cluster') return migrateCommand(argv.slice(1), env);
  let parsed: ReturnType<typeof readSettings>;
  try {
    parsed = readSettings(argv, env);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const { settings } = parsed;
  const logger = createLogger(settings);
  for (const note of settings.notes) logger.info(note);
  const store = await openStore(settings, logger);
  let server: SixpackServer;
  try {
    server = buildServer(settings, logger, store);
    await listen(server, settings, logger);
  } catch (err) {
    logger.error(`cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  stopOnSignals(server, store, settings, logger);
}
