/**
 * Start the example Sixpack-compatible server in-process on 127.0.0.1, port 0, and talk to
 * it with global fetch. Shared by the server's integration tests and client tests that
 * need a real Sixpack endpoint.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe } from 'vitest';
import { createServer, redisStore, type RedisSixpackStore, type SixpackServerOptions, type SixpackStore } from '../../server/src/index';
import { describeWithRedis, type RunningRedis, startRedis } from '../redis/harness';

export type Query = Record<string, string | string[] | null | undefined>;

export interface SixpackResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (throws for JSONP or text). */
  json: any;
}

export interface RunningSixpack {
  url: string;
  port: number;
  /** The admin listener (also on 127.0.0.1, port 0); `get` and `send` go there for `/_admin` paths. */
  adminUrl: string;
  close(): Promise<void>;
  /** GET `path` with `query` (arrays become repeated parameters; null/undefined are left out). */
  get(path: string, query?: Query, init?: RequestInit): Promise<SixpackResponse>;
  /** Same as `get` with any method and a JSON body (for the admin endpoint). */
  send(method: string, path: string, body?: unknown): Promise<SixpackResponse>;
}

export function buildQuery(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function toResponse(res: Response): Promise<SixpackResponse> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function startSixpack(options: SixpackServerOptions = {}): Promise<RunningSixpack> {
  const sixpack = createServer(options);
  const { url, port } = await sixpack.listen(0, '127.0.0.1');
  const adminUrl = (await sixpack.admin.listen(0, '127.0.0.1')).url;
  const base = (path: string) => (path.startsWith('/_admin') ? adminUrl : url);
  const auth: Record<string, string> = options.adminToken ? { authorization: `Bearer ${options.adminToken}` } : {};
  return {
    url,
    port,
    adminUrl,
    close: () => sixpack.close(),
    async get(path, query, init) {
      const headers = path.startsWith('/_admin') ? { ...auth, ...(init?.headers as Record<string, string>) } : init?.headers;
      return toResponse(await fetch(base(path) + path + buildQuery(query), { ...init, headers }));
    },
    async send(method, path, body) {
      const init: RequestInit = { method, headers: path.startsWith('/_admin') ? { ...auth } : {} };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        init.headers = { ...(init.headers as Record<string, string>), 'content-type': 'application/json' };
      }
      return toResponse(await fetch(base(path) + path, init));
    },
  };
}

/** Sixpack's assignment, computed independently of the server: sha1 prefix (7 hex) mod n. */
export function sixpackIndex(experiment: string, clientId: string, n: number): number {
  return parseInt(createHash('sha1').update(`${experiment}.${clientId}`).digest('hex').slice(0, 7), 16) % n;
}

/** The first client id `${prefix}N` that Sixpack's hash puts in `alternatives[index]`. */
export function clientFor(experiment: string, alternatives: string[], index: number, prefix = 'c'): string {
  for (let i = 0; ; i++) {
    const id = `${prefix}${i}`;
    if (sixpackIndex(experiment, id, alternatives.length) === index) return id;
  }
}

/** A random source replaying `values`, then 0 (0 is never excluded: `random() >= fraction` is the test). */
export function scriptedRandom(): { random: () => number; push: (...values: number[]) => void; pending: () => number } {
  const queue: number[] = [];
  return {
    random: () => queue.shift() ?? 0,
    push: (...values) => void queue.push(...values),
    pending: () => queue.length,
  };
}

/** Makes a fresh, empty store for one server; undefined means the server's default (memory). */
export type StoreFactory = () => Promise<SixpackStore | undefined>;

/**
 * Runs `suite` once per store: the memory store, then the Redis store on a real redis-server
 * started for this file (each `makeStore()` call gets a key prefix of its own, so the data of
 * one server never meets another's). The Redis run fails under CI=true and skips loudly
 * elsewhere when redis-server is missing.
 */
export function describeEachStore(suite: (makeStore: StoreFactory) => void): void {
  describe('memory store', () => suite(async () => undefined));
  describeWithRedis('redis store', () => {
    let redis: RunningRedis;
    const stores: RedisSixpackStore[] = [];
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await redis?.stop();
    });
    suite(async () => {
      const store = redisStore({ url: redis.url(), prefix: `test${stores.length}` });
      stores.push(store);
      await store.ready();
      return store;
    });
  });
}

export interface SpawnedSixpack {
  url: string;
  /** The admin listener's URL; null with `--admin-port off`. */
  adminUrl: string | null;
  pid: number;
  /** SIGTERM, then waits for the exit; answers the exit code. */
  close(): Promise<number | null>;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
}

/**
 * The server's command line (server/bin/splitflap-server.mjs, the sources through tsx; or `bin`,
 * e.g. the built dist/splitflap-server.js that `npx splitflap-server` runs) in a process of its
 * own, on a free port of 127.0.0.1; resolves once it says where it listens. `env` is added to this
 * process's environment (SIXPACK_REDIS_URL, SIXPACK_REDIS_PREFIX, SIXPACK_CONFIG); `quiet: false`
 * keeps the request log.
 */
export function spawnSixpack(
  args: string[],
  env: Record<string, string> = {},
  { quiet = true, bin = fileURLToPath(new URL('../../server/bin/splitflap-server.mjs', import.meta.url)) } = {},
): Promise<SpawnedSixpack> {
  const child = spawn(process.execPath, [bin, '--port', '0', ...(quiet ? ['--quiet'] : []), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the Sixpack server did not start within 60 s:\n${output}`));
    }, 60_000); // a deadline for a loaded machine (tsx compiles the sources first), not a measure
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /server listening on (http:\/\/[^\s"]+)/.exec(output);
      if (!listening) return;
      const admin = /admin API listening on (http:\/\/[^\s"]+)/.exec(output);
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.on('data', (more: Buffer) => (output += more.toString()));
      resolve({
        url: listening[1] as string,
        adminUrl: admin ? (admin[1] as string) : null,
        pid: child.pid as number,
        close: async () => {
          child.kill('SIGTERM');
          return exited;
        },
        output: () => output,
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Sixpack server exited (${code}):\n${output}`));
    });
  });
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inParallel<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Polls `check` until it is true; fails after `timeoutMs` (generous: the machine is shared). Asserts no duration. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
