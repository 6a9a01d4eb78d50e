/**
 * A real Redis Cluster for the tests: `masters` × (1 + `replicas`) redis-server processes in cluster
 * mode on 127.0.0.1 (AOF with `appendfsync always`, so a restarted node has every write it
 * acknowledged), joined with `redis-cli --cluster create`, stopped and removed afterwards.
 * Ports are free ones whose cluster bus port (+10000) is free too.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REDIS_SERVER } from './harness';

export const REDIS_CLI = process.env.REDIS_CLI_PATH ?? '/usr/bin/redis-cli';
const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  /** kill -9. */
  kill(): Promise<void>;
  /** Starts it again with its directory (data and nodes.conf). */
  restart(): Promise<void>;
}

export interface RunningCluster {
  nodes: ClusterNode[];
  /** Seed nodes for a cluster client. */
  seeds: { host: string; port: number }[];
  /** The node serving `key` as master now. */
  masterOf(key: string): Promise<ClusterNode>;
  stop(): Promise<void>;
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

/** A free port below 55536 whose bus port (+10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 35000);
    if (!taken.has(port) && (await isFree(port)) && (await isFree(port + 10000))) return port;
  }
}

function launch(port: number, dir: string, nodeTimeoutMs: number): Promise<ChildProcess> {
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'no',
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
    '--appendonly', 'yes', '--appendfsync', 'always',
  ];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server ${port} did not start:\n${output}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server ${port} exited (${code}):\n${output}`));
    });
  });
}

const cli = (port: number, ...args: string[]) => run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args]).then((r) => r.stdout);

/** Polls until every node reports `cluster_state:ok`. */
async function untilOk(ports: number[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(ports.map((port) => cli(port, 'cluster', 'info').catch(() => '')));
    if (states.every((info) => info.includes('cluster_state:ok'))) return;
    if (Date.now() > deadline) throw new Error(`the cluster did not become ready:\n${states.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts the nodes, joins them (`masters` masters, each with `replicas` replicas) and waits until
 * every node reports `cluster_state:ok`. A long `nodeTimeoutMs` (default 30 s) keeps a killed master
 * from being replaced while it restarts.
 */
export async function startRedisCluster({ masters = 3, replicas = 1, nodeTimeoutMs = 30_000 } = {}): Promise<RunningCluster> {
  const root = mkdtempSync(path.join(tmpdir(), 'splitflap-cluster-'));
  const taken = new Set<number>();
  const nodes: ClusterNode[] = [];
  const children = new Map<number, ChildProcess>();
  for (let i = 0; i < masters * (1 + replicas); i++) {
    const port = await clusterPort(taken);
    taken.add(port);
    const dir = path.join(root, String(port));
    mkdirSync(dir);
    children.set(port, await launch(port, dir, nodeTimeoutMs));
    nodes.push({
      port,
      kill: async () => {
        const child = children.get(port)!;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
      restart: async () => {
        children.set(port, await launch(port, dir, nodeTimeoutMs));
      },
    });
  }
  const ports = nodes.map((n) => n.port);
  await run(REDIS_CLI, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
  await untilOk(ports);
  return {
    nodes,
    seeds: ports.slice(0, masters).map((port) => ({ host: '127.0.0.1', port })),
    async masterOf(key) {
      const slot = Number((await cli(ports[0]!, 'cluster', 'keyslot', key)).trim());
      const shards = (await cli(ports[0]!, 'cluster', 'slots')).trim().split('\n');
      // `cluster slots` lists: start, end, then master ip, port, id, then replicas.
      for (let i = 0; i + 3 < shards.length; i++) {
        const [start, end] = [Number(shards[i]), Number(shards[i + 1])];
        if (Number.isInteger(start) && Number.isInteger(end) && shards[i + 2] === '127.0.0.1' && slot >= start && slot <= end) {
          return nodes.find((n) => n.port === Number(shards[i + 3]))!;
        }
      }
      throw new Error(`no master found for slot ${slot}`);
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
