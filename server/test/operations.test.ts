/**
 * Operations (issue 20): Prometheus metrics on the admin listener, liveness and readiness through a
 * Redis outage, and the command as deployed: Sixpack's config.yml (Redis, prefix, robot_regex,
 * ignored IPs, CORS), JSON logs, and a graceful SIGTERM that loses no acknowledged request.
 * Redis is a real redis-server; nothing here asserts a duration (waits poll with a deadline).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, type RedisSixpackStore } from '../src/index';
import { type RunningSixpack, spawnSixpack, startSixpack, until } from '../../test/helpers/sixpack-server';
import { describeWithRedis, type RunningRedis, startRedis } from '../../test/redis/harness';

const ALTS = ['red', 'blue'];


const statusOf = async (url: string) => (await fetch(url)).status;

describe('metrics', () => {
  let sp: RunningSixpack;
  beforeAll(async () => {
    sp = await startSixpack();
  });
  afterAll(() => sp.close());

  it('serves Prometheus text on the admin listener only: requests by route and status, latency, store size', async () => {
    for (const id of ['a', 'b', 'c']) await sp.get('/participate', { experiment: 'm', alternatives: ALTS, client_id: id });
    await sp.get('/convert', { experiment: 'm', client_id: 'nobody' }); // 400
    await sp.get('/experiments/m');
    expect(await statusOf(`${sp.url}/metrics`)).toBe(404);
    const res = await fetch(`${sp.adminUrl}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('splitflap_http_requests_total{listener="public",route="/participate",status="200"} 3');
    expect(text).toContain('splitflap_http_requests_total{listener="public",route="/convert",status="400"} 1');
    expect(text).toContain('splitflap_http_requests_total{listener="public",route="/experiments/:name",status="200"} 1');
    expect(text).toContain('splitflap_http_requests_total{listener="public",route="/metrics",status="404"} 1');
    expect(text).toContain('splitflap_http_request_duration_seconds_bucket{route="/participate",le="+Inf"} 3');
    expect(text).toContain('splitflap_http_request_duration_seconds_count{route="/participate"} 3');
    expect(text).toMatch(/^# TYPE splitflap_http_request_duration_seconds histogram$/m);
    expect(text).toContain('splitflap_experiments 1');
    expect(text).toContain('splitflap_store_errors_total 0');
    // Every sample line is `name{labels} value`.
    for (const line of text.trim().split('\n').filter((l) => !l.startsWith('#'))) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [\d.e+-]+$/);
  });
});

describeWithRedis('health through a Redis outage', () => {
  let redis: RunningRedis;
  let store: RedisSixpackStore;
  let sp: RunningSixpack;
  beforeAll(async () => {
    redis = await startRedis();
    store = redisStore({ url: redis.url(), prefix: 'ops' });
    await store.ready();
    sp = await startSixpack({ store });
  });
  afterAll(async () => {
    await sp?.close();
    await store?.close();
    await redis?.stop();
  });

  it('readiness fails while Redis is unreachable and liveness does not; both recover; errors are counted', async () => {
    expect([await statusOf(`${sp.url}/healthz`), await statusOf(`${sp.url}/readyz`)]).toEqual([200, 200]);
    await redis.kill();
    await until(async () => (await statusOf(`${sp.url}/readyz`)) === 503, 'readiness to fail');
    expect(await statusOf(`${sp.url}/healthz`)).toBe(200);
    expect(await statusOf(`${sp.adminUrl}/healthz`)).toBe(200);
    const refused = await sp.get('/participate', { experiment: 'h', alternatives: ALTS, client_id: 'x' });
    expect(refused.status).toBe(503);
    const metrics = await (await fetch(`${sp.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^splitflap_store_errors_total [1-9]\d*$/m);
    expect(metrics).toContain('splitflap_store_up 0');
    await redis.restart();
    await until(async () => (await statusOf(`${sp.url}/readyz`)) === 200, 'readiness to recover');
    expect((await fetch(`${sp.adminUrl}/metrics`).then((r) => r.text()))).toMatch(/^splitflap_redis_used_memory_bytes \d+$/m);
  }, 90_000);
});

describeWithRedis('the command as deployed', () => {
  let redis: RunningRedis;
  let raw: Redis;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url(3));
    dir = mkdtempSync(path.join(tmpdir(), 'splitflap-ops-'));
  });
  afterAll(async () => {
    raw?.disconnect();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One keep-alive GET; resolves with the status, or null when the connection failed (server gone). */
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const get = (url: string) =>
    new Promise<number | null>((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? null));
      });
      req.on('error', () => resolve(null));
    });

  it("reads Sixpack's config.yml, logs JSON, and on SIGTERM finishes what it acknowledged and exits 0", async () => {
    const config = path.join(dir, 'config.yml');
    writeFileSync(
      config,
      `redis_host: 127.0.0.1\nredis_port: ${redis.port}\nredis_db: 3\nredis_prefix: sxp\n` +
        'robot_regex: $^|trivial|facebook|google|bot|java|fetch|spider|url|crawl\n' +
        "ignored_ip_addresses: ['192.0.2.1']\ncors_origin: 'https://shop.example'\nsecret_key: x\n",
    );
    const cli = await spawnSixpack(['--log-format', 'json'], { SIXPACK_CONFIG: config }, { quiet: false });
    const q = (client: string, extra = '') => `${cli.url}/participate?experiment=ops&alternatives=red&alternatives=blue&client_id=${client}${extra}`;
    // Sixpack's rule: okhttp is a visitor (ours would call it a bot), googlebot is not; the ignored IP is not counted.
    const first = await fetch(q('app', '&user_agent=okhttp/4.9'));
    expect([first.status, first.headers.get('access-control-allow-origin')]).toEqual([200, 'https://shop.example']);
    expect(await get(q('crawler', '&user_agent=Googlebot/2.1'))).toBe(200);
    expect(await get(q('office', '&ip_address=192.0.2.1'))).toBe(200);
    expect(await raw.smembers('sxp:e')).toEqual(['ops']);
    expect(await raw.bitcount('sxp:p:ops:_all:all')).toBe(1);

    // Load from 8 connections, SIGTERM once some are acknowledged; each worker stops at its first refused connection.
    const acknowledged: string[] = [];
    const others: number[] = [];
    let n = 0;
    const worker = async () => {
      for (;;) {
        const id = `v${n++}`;
        const status = await get(q(id));
        if (status === null) return;
        if (status === 200) acknowledged.push(id);
        else others.push(status);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await until(async () => acknowledged.length >= 100, '100 acknowledged requests');
    const code = await cli.close();
    await Promise.all(workers);
    expect(code).toBe(0);
    expect(others).toEqual([]);
    // Every acknowledged participation is in Redis (plus the first visitor).
    expect(await raw.bitcount('sxp:p:ops:_all:all')).toBe(acknowledged.length + 1);

    const lines = cli.output().trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string; status?: number });
    expect(lines.some((l) => l.msg === 'request' && l.status === 200)).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['SIGTERM: stopping (finishing in-flight requests)', 'stopped']));
    expect(lines.find((l) => l.msg.startsWith('config keys with no effect'))?.msg).toBe('config keys with no effect here: secret_key');
  }, 90_000);
});
