/**
 * A real `redis-server` (Debian's package, /usr/bin/redis-server; .ci/run installs it) for the
 * tests: started on a free 127.0.0.1 port with its own temporary directory, stopped afterwards.
 * Without redis-server the tests fail under CI=true and skip loudly elsewhere.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

/** `describe`, or a loud skip (a failure under CI=true) when redis-server is missing. */
export function describeWithRedis(name: string, fn: () => void): void {
  if (existsSync(REDIS_SERVER)) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs redis-server', () => {
        throw new Error(`redis-server not found at ${REDIS_SERVER}: .ci/run installs Debian's redis-server package`);
      });
    });
    return;
  }
  console.warn(`\n[redis] SKIPPING "${name}": no redis-server at ${REDIS_SERVER} (apt-get install -y redis-server, or set REDIS_SERVER_PATH)\n`);
  describe.skip(name, fn);
}

export interface RedisOptions {
  /** AOF with `appendfsync always`: every acknowledged write survives a kill -9. Default false (no persistence at all). */
  persistent?: boolean;
}

export interface RunningRedis {
  port: number;
  /** `redis://127.0.0.1:PORT/DB`. */
  url(db?: number): string;
  /** kill -9, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (after kill). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that accepts connections but never answers. */
  pause(): void;
  resume(): void;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Spawns redis-server and waits for "Ready to accept connections"; rejects with its output if it exits first. */
function launch(port: number, dir: string, persistent: boolean): Promise<ChildProcess> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'no',
    '--loglevel', 'notice',
    ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within 10 s:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining, so a full pipe never blocks it
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

export async function startRedis(options: RedisOptions = {}): Promise<RunningRedis> {
  const persistent = options.persistent ?? false;
  const dir = mkdtempSync(path.join(tmpdir(), 'splitflap-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  // Another process can take the probed port before redis-server binds it: try a few.
  for (let attempt = 0; !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, persistent);
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
  let current: ChildProcess = child;
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    async kill() {
      current.kill('SIGKILL');
      await exited(current);
    },
    async restart() {
      current = await launch(port, dir, persistent);
    },
    pause: () => void current.kill('SIGSTOP'),
    resume: () => void current.kill('SIGCONT'),
    async stop() {
      current.kill('SIGCONT');
      current.kill('SIGKILL');
      await exited(current);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
