/**
 * Run the Sixpack-compatible server:
 *
 *   npx tsx examples/sixpack-server/cli.ts [--port 5000] [--host 127.0.0.1] [--ignore-ip 192.0.2.1,...] [--quiet]
 *
 * Data lives in memory and is lost on exit. Stops cleanly on SIGINT / SIGTERM.
 */
import { createSixpackServer } from './server';

const USAGE =
  'usage: tsx examples/sixpack-server/cli.ts [--port N (default 5000)] [--host H (default 127.0.0.1)] ' +
  '[--ignore-ip IP[,IP...]] [--quiet]';

function parseArgs(argv: string[]) {
  const opts = { port: 5000, host: '127.0.0.1', ignoredIps: [] as string[], quiet: false };
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

const sixpack = createSixpackServer({
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
    sixpack.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
