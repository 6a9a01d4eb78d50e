/**
 * `redisStore()`: the {@link SixpackStore} on Redis, in exactly the layout Sixpack 2.7.0 keeps
 * (its `models.py` and `db.py`), so that a Sixpack deployment's Redis can be pointed at this
 * server with all its history, sixpack-web shows what this server records, and the Python server
 * and this one can share a Redis during a migration.
 *
 * Keys, with `P` the prefix (`sixpack` by default, as in Sixpack's sample config; its built-in
 * default without a config file is `sxp`):
 *
 * | key | type | holds |
 * |---|---|---|
 * | `P:e` | set | experiment names |
 * | `P:e:NAME` | hash | `created_at` (`%Y-%m-%d %H:%M`), `traffic_fraction`, `description`, `archived` and `paused` (present = set) |
 * | `P:e:NAME:alternatives` | list | alternatives, stored order (control first) |
 * | `P:e:NAME:winner` | string | the winner, if set |
 * | `P:e:NAME:users` | sorted set | client_id → its number in this experiment (0, 1, 2, …) |
 * | `P:e:NAME:excluded` | bitmap | clients excluded by the traffic fraction |
 * | `P:e:NAME:kpis` | set | KPIs that have seen a conversion |
 * | `P:p:NAME:ALT:BUCKET` | bitmap | participations of ALT (`_all`: any) in BUCKET (`all`, `YYYY`, `YYYY-MM`, `YYYY-MM-DD`) |
 * | `P:p:NAME:years` / `months` / `days` | set | buckets that have participations |
 * | `P:c:NAME[/KPI]:ALT:users:BUCKET` | bitmap | conversions (default KPI, or KPI) |
 * | `P:c:NAME[/KPI]:years` / `months` / `days` | set | buckets that have conversions |
 *
 * Bits are set at the client's number. Two hash fields are ours, and Sixpack ignores them:
 * `disabled` (present: `enabled: false`, which Sixpack has only as a server-wide switch) and
 * `bandit` (JSON, #7).
 *
 * Every update is one Lua script (numbering a new client included, as Sixpack's
 * `monotonic_zadd`), so updates are atomic and any number of servers on one Redis count exactly.
 * Reads of an experiment's record are one script too, so a request never sees half an update.
 *
 * Faults: with Redis down or unresponsive, every method throws {@link StoreUnavailableError}
 * within `commandTimeoutMs` (the server answers the reference's 503); the client reconnects by
 * itself. Commands are not queued while disconnected and not resent after a reconnect: a request
 * that got a 503 may or may not have been applied, and the client's retry is harmless because a
 * participation or conversion is a bit that is either set or not.
 */
import { createHash } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ServerBandit } from './bandit';
import {
  type ClientState,
  type DateKeys,
  type ExperimentPatch,
  type ExperimentRecord,
  type Metric,
  type Period,
  type SixpackStore,
  StoreLimitError,
  StoreUnavailableError,
} from './store';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port/db`; default `redis://127.0.0.1:6379/0`. Ignored when `client` is given. */
  url?: string;
  /** Default `sixpack`. */
  prefix?: string;
  /** Bound on any one command, so a hung Redis gives a 503, not a hung request. Default 1,000 ms. */
  commandTimeoutMs?: number;
  /** Connection state changes (lost, back). */
  log?: (line: string) => void;
  /** Extra ioredis options (TLS, password, …); for a cluster, the options of each node's connection. */
  redisOptions?: RedisOptions;
  /**
   * Redis Cluster: some of its nodes (the rest are discovered). Keys then use the cluster layout,
   * where an experiment's keys share one hash slot (`{NAME}`); `url` is ignored.
   */
  clusterNodes?: { host: string; port: number }[];
}

/** `sixpack`: Sixpack 2.7.0's key names, one Redis. `cluster`: the same keys with `{NAME}` hash tags. */
export type KeyLayout = 'sixpack' | 'cluster';

export interface RedisSixpackStore extends SixpackStore {
  readonly prefix: string;
  readonly redis: Redis | Cluster;
  readonly layout: KeyLayout;
  /** Resolves once connected; rejects after `timeoutMs` (the store keeps trying in the background). */
  ready(timeoutMs?: number): Promise<void>;
  /** Disconnects for good. */
  close(): Promise<void>;
}

const PERIOD_SETS: Record<Period, string> = { year: 'years', month: 'months', day: 'days' };

/**
 * Sixpack's key names (see the table above). In the `cluster` layout every name is wrapped in a hash
 * tag (`P:e:{NAME}`, `P:p:{NAME}:ALT:all`, `P:c:{NAME}/KPI:…`), so that one experiment's keys share
 * a slot and each script stays atomic; its membership is the one-member set `P:e:{NAME}:listed`,
 * and `P:e`, the list of names that spans slots, is an index written after the experiment's script.
 */
export function sixpackKeys(prefix: string, layout: KeyLayout = 'sixpack') {
  const key = (k: string) => `${prefix}:${k}`;
  const n = (name: string) => (layout === 'cluster' ? `{${name}}` : name);
  const base = (name: string, metric: Metric, kpi: string | null) =>
    metric === 'participations' ? key(`p:${n(name)}`) : key(`c:${kpi ? `${n(name)}/${kpi}` : n(name)}`);
  return {
    experiments: key('e'),
    /** The set whose membership says the experiment exists: `P:e` itself in Sixpack's layout. */
    listed: (name: string) => (layout === 'cluster' ? key(`e:${n(name)}:listed`) : key('e')),
    record: (name: string) => key(`e:${n(name)}`),
    alternatives: (name: string) => key(`e:${n(name)}:alternatives`),
    winner: (name: string) => key(`e:${n(name)}:winner`),
    users: (name: string) => key(`e:${n(name)}:users`),
    excluded: (name: string) => key(`e:${n(name)}:excluded`),
    kpis: (name: string) => key(`e:${n(name)}:kpis`),
    /** Sixpack's delete also drops `P:NAME`. */
    bare: (name: string) => key(n(name)),
    /** Prefixes of the participation, conversion and record keys (the delete script builds the rest). */
    bases: (name: string) => [key(`p:${n(name)}`), key(`c:${n(name)}`), key(`e:${n(name)}`)],
    /** `alternative` null: `_all`. */
    bitmap: (name: string, metric: Metric, kpi: string | null, alternative: string | null, bucket: string) =>
      `${base(name, metric, kpi)}:${alternative ?? '_all'}:${metric === 'conversions' ? 'users:' : ''}${bucket}`,
    dates: (name: string, metric: Metric, kpi: string | null, period: Period) => `${base(name, metric, kpi)}:${PERIOD_SETS[period]}`,
  };
}

/**
 * Lua shared by the writing scripts. `client_number` is Sixpack's `monotonic_zadd`; `record` sets
 * the client's bit in the 8 bitmaps (alternative and `_all`, four buckets) and adds the buckets to
 * the three date sets, keys in that order from `first`.
 */
const LUA_HELPERS = `
local function client_number(users, client)
  local n = redis.call('ZSCORE', users, client)
  if not n then
    n = redis.call('ZCARD', users)
    redis.call('ZADD', users, n, client)
  end
  return tonumber(n)
end
local function record(first, n, year, month, day)
  for i = first, first + 7 do redis.call('SETBIT', KEYS[i], n, 1) end
  redis.call('SADD', KEYS[first + 8], year)
  redis.call('SADD', KEYS[first + 9], month)
  redis.call('SADD', KEYS[first + 10], day)
end
`;

/** KEYS: experiments, record, alternatives, winner. Answers {member, hash as a flat list, alternatives, winner}. */
const LOAD = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return false end
return {redis.call('HGETALL', KEYS[2]), redis.call('LRANGE', KEYS[3], 0, -1), redis.call('GET', KEYS[4])}
`;

/**
 * KEYS: experiments, record, alternatives, winner. ARGV: name, most experiments (0: no cap),
 * created_at, traffic_fraction, alternatives… Answers 1 created, 0 existed, -1 the cap is reached.
 */
const CREATE = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
local most = tonumber(ARGV[2])
if most > 0 and redis.call('SCARD', KEYS[1]) >= most then return -1 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[2], 'created_at', ARGV[3], 'traffic_fraction', ARGV[4])
for i = 5, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`;

/** KEYS: experiments, record, winner. ARGV: name, then (op, field, value) triples: hset, hdel, setwinner, delwinner. */
const UPDATE = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 3 do
  local op, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if op == 'hset' then redis.call('HSET', KEYS[2], field, value)
  elseif op == 'hdel' then redis.call('HDEL', KEYS[2], field)
  elseif op == 'setwinner' then redis.call('SET', KEYS[3], value)
  else redis.call('DEL', KEYS[3]) end
end
return 1
`;

/**
 * KEYS: experiments (or the experiment's `listed` set), record, alternatives, winner, users,
 * excluded, kpis, bare. ARGV: name, and the bases `P:p:NAME`, `P:c:NAME`, `P:e:NAME` (tagged in
 * the cluster layout).
 * Deletes every key of the experiment, found from its alternatives, KPIs and date sets (Sixpack
 * used `KEYS *:NAME:*`, which also hit other experiments whose alternative is called NAME).
 */
const DELETE = `
local name, pbase, cbase, ebase = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('SREM', KEYS[1], name) == 0 then return 0 end
local alternatives = redis.call('LRANGE', KEYS[3], 0, -1)
table.insert(alternatives, '_all')
local function drop(base, users)
  local buckets = {'all'}
  for _, period in ipairs({'years', 'months', 'days'}) do
    for _, bucket in ipairs(redis.call('SMEMBERS', base .. ':' .. period)) do table.insert(buckets, bucket) end
    redis.call('DEL', base .. ':' .. period)
  end
  for _, alternative in ipairs(alternatives) do
    for _, bucket in ipairs(buckets) do redis.call('DEL', base .. ':' .. alternative .. users .. bucket) end
  end
end
drop(pbase, ':')
drop(cbase, ':users:')
for _, kpi in ipairs(redis.call('SMEMBERS', KEYS[7])) do
  drop(cbase .. '/' .. kpi, ':users:')
  redis.call('DEL', ebase .. '/' .. kpi, ebase .. '/' .. kpi .. ':winner')
end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
`;

/** Lua for a client's state: KEYS from `first` on are the alternatives' `:all` bitmaps. Answers {excluded, index or -1}. */
const STATE_OF = `
local function state_of(n, excluded, first)
  if redis.call('GETBIT', excluded, n) == 1 then return {1, -1} end
  for i = first, #KEYS do
    if redis.call('GETBIT', KEYS[i], n) == 1 then return {0, i - first} end
  end
  return {0, -1}
end
`;

/** KEYS: users, excluded, alternatives' `:all` bitmaps. ARGV: client. */
const CLIENT_STATE = `${STATE_OF}
local n = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not n then return {0, -1} end
return state_of(tonumber(n), KEYS[2], 3)
`;

/**
 * KEYS: users, excluded, the 8 bitmaps and 3 date sets of the participation (record mode only),
 * then the alternatives' `:all` bitmaps. ARGV: client, index of the alternative (-1: exclude),
 * year, month, day.
 */
const ASSIGN = `${LUA_HELPERS}${STATE_OF}
local index = tonumber(ARGV[2])
local first = index < 0 and 3 or 14
local n = client_number(KEYS[1], ARGV[1])
local state = state_of(n, KEYS[2], first)
if state[1] == 1 or state[2] >= 0 then return state end
if index < 0 then
  redis.call('SETBIT', KEYS[2], n, 1)
  return {1, -1}
end
record(3, n, ARGV[3], ARGV[4], ARGV[5])
return {0, index}
`;

/** KEYS: users, the 8 bitmaps and 3 date sets. ARGV: client, year, month, day. */
const PARTICIPATE = `${LUA_HELPERS}
record(2, client_number(KEYS[1], ARGV[1]), ARGV[2], ARGV[3], ARGV[4])
return 1
`;

/**
 * KEYS: users, kpis, the 8 bitmaps (the first is `_all:users:all`) and 3 date sets. ARGV: client,
 * kpi or '', year, month, day, most KPIs (0: no cap). Answers 1 recorded, 0 already converted,
 * -1 a new KPI past the cap (nothing written: each new KPI costs 8 bitmaps of clients/8 bytes).
 */
const CONVERT = `${LUA_HELPERS}
if ARGV[2] ~= '' and redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 then
  local most = tonumber(ARGV[6])
  if most > 0 and redis.call('SCARD', KEYS[2]) >= most then return -1 end
  redis.call('SADD', KEYS[2], ARGV[2])
end
local n = client_number(KEYS[1], ARGV[1])
if redis.call('GETBIT', KEYS[3], n) == 1 then return 0 end
record(3, n, ARGV[3], ARGV[4], ARGV[5])
return 1
`;

interface Script {
  lua: string;
  sha: string;
}
const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const SCRIPTS = {
  load: script(LOAD),
  create: script(CREATE),
  update: script(UPDATE),
  delete: script(DELETE),
  clientState: script(CLIENT_STATE),
  assign: script(ASSIGN),
  participate: script(PARTICIPATE),
  convert: script(CONVERT),
};

/** Replies meaning "Redis cannot serve now" rather than "this command is wrong". */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MISCONF|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/;

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Everything that is not a reply from Redis is the connection: refused, closed, not writable,
  // timed out, retries exhausted.
  if (error.name !== 'ReplyError') return true;
  return UNAVAILABLE_REPLY.test(error.message);
}

/** `str(float)` as Sixpack's Python writes a traffic fraction: `1.0`, `0.3`. */
const pythonFloat = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

/** The record from the LOAD reply; tolerant of what older Sixpacks or hand edits left. */
function toRecord(name: string, hash: string[], alternatives: string[], winner: string | null, log?: (line: string) => void): ExperimentRecord {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < hash.length; i += 2) fields.set(hash[i] as string, hash[i + 1] as string);
  const fraction = Number.parseFloat(fields.get('traffic_fraction') ?? '');
  let bandit: ServerBandit | null = null;
  const banditJson = fields.get('bandit');
  if (banditJson) {
    try {
      bandit = JSON.parse(banditJson) as ServerBandit;
    } catch {
      log?.(`redis store: ignoring the unreadable bandit field of ${name}`);
    }
  }
  return {
    name,
    alternatives,
    // Sixpack before 2.x stored `str(datetime.now())`, with seconds and microseconds; it shows the part before the dot.
    createdAt: fields.get('created_at')?.split('.')[0] ?? null,
    trafficFraction: fraction > 0 && fraction <= 1 ? fraction : 1,
    description: fields.get('description') || null,
    winner: winner !== null && alternatives.includes(winner) ? winner : null,
    archived: fields.has('archived'),
    paused: fields.has('paused'),
    enabled: !fields.has('disabled'),
    ...(bandit ? { bandit } : {}),
  };
}

/**
 * The client: fail at once while disconnected (a 503 now beats a request waiting for a reconnect),
 * never resend a command after one (a 503 is the answer, and the client retries), reconnect for
 * ever at most a second apart. A cluster client follows MOVED and failovers by itself.
 */
function connect(options: RedisStoreOptions, timeout: number): Redis | Cluster {
  const retry = (attempt: number) => Math.min(50 * 2 ** attempt, 1000);
  const node: RedisOptions = {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeout,
    connectTimeout: timeout,
    retryStrategy: retry,
    ...options.redisOptions,
  };
  if (!options.clusterNodes) return new Redis(options.url ?? 'redis://127.0.0.1:6379/0', node);
  return new Cluster(options.clusterNodes, {
    enableOfflineQueue: false,
    clusterRetryStrategy: retry,
    slotsRefreshTimeout: timeout,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    redisOptions: node,
  });
}

/** Redis `used_memory` of one server, or summed over a cluster's masters. */
async function usedMemoryOf(redis: Redis | Cluster): Promise<number> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const infos = await Promise.all(servers.map((server) => server.info('memory')));
  return infos.reduce((sum, info) => sum + Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0), 0);
}

/** A Sixpack-layout store on Redis; see the module comment. */
export function redisStore(options: RedisStoreOptions = {}): RedisSixpackStore {
  const prefix = options.prefix ?? 'sixpack';
  const log = options.log;
  const timeout = options.commandTimeoutMs ?? 1000;
  const redis = connect(options, timeout);
  const layout: KeyLayout = options.clusterNodes ? 'cluster' : 'sixpack';
  const keys = sixpackKeys(prefix, layout);
  let connected = false;
  redis.on('ready', () => {
    if (!connected) log?.(`redis store: connected (${prefix})`);
    connected = true;
  });
  redis.on('error', (error: Error) => {
    if (connected) log?.(`redis store: connection lost: ${error.message}`);
    connected = false;
  });
  redis.on('close', () => {
    if (connected) log?.('redis store: connection closed');
    connected = false;
  });

  /** Any Redis call: unavailability becomes StoreUnavailableError; anything else is a real bug. */
  async function guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isUnavailable(error)) throw new StoreUnavailableError(`redis is not available: ${(error as Error).message}`);
      throw error;
    }
  }

  /** EVALSHA, loading the script on NOSCRIPT (a restarted Redis has none). */
  const run = (s: Script, scriptKeys: string[], args: (string | number)[]) =>
    guard(async () => {
      try {
        return await redis.evalsha(s.sha, scriptKeys.length, ...scriptKeys, ...args);
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
        return redis.eval(s.lua, scriptKeys.length, ...scriptKeys, ...args);
      }
    });

  const recordKeys = (name: string, metric: Metric, kpi: string | null, alternative: string, date: DateKeys) => [
    ...[alternative, null].flatMap((alt) => ['all', date.year, date.month, date.day].map((bucket) => keys.bitmap(name, metric, kpi, alt, bucket))),
    ...(['year', 'month', 'day'] as const).map((period) => keys.dates(name, metric, kpi, period)),
  ];
  // `_all` first, so that CONVERT checks the union: reorder the 8 bitmaps as _all then alternative.
  const conversionKeys = (name: string, kpi: string | null, alternative: string, date: DateKeys) => {
    const all = recordKeys(name, 'conversions', kpi, alternative, date);
    return [...all.slice(4, 8), ...all.slice(0, 4), ...all.slice(8)];
  };
  const allBitmaps = (name: string, alternatives: readonly string[]) =>
    alternatives.map((alt) => keys.bitmap(name, 'participations', null, alt, 'all'));
  const toState = (reply: unknown, alternatives: readonly string[]): ClientState => {
    const [excluded, index] = reply as [number, number];
    return { excluded: excluded === 1, alternative: index >= 0 ? (alternatives[index] ?? null) : null };
  };
  const dateArgs = (date: DateKeys) => [date.year, date.month, date.day];
  const metaKeys = (name: string) => [keys.listed(name), keys.record(name), keys.alternatives(name), keys.winner(name)];

  async function updateExperiment(name: string, patch: ExperimentPatch): Promise<ExperimentRecord | null> {
    const ops: string[] = [name];
    const flag = (field: string, on: boolean | undefined) => {
      if (on !== undefined) ops.push(on ? 'hset' : 'hdel', field, '1');
    };
    if (patch.trafficFraction !== undefined) ops.push('hset', 'traffic_fraction', pythonFloat(patch.trafficFraction));
    if (patch.description !== undefined) ops.push(patch.description ? 'hset' : 'hdel', 'description', patch.description ?? '');
    if (patch.winner !== undefined) ops.push(patch.winner === null ? 'delwinner' : 'setwinner', 'winner', patch.winner ?? '');
    flag('archived', patch.archived);
    flag('paused', patch.paused);
    flag('disabled', patch.enabled === undefined ? undefined : !patch.enabled);
    if (patch.bandit !== undefined) ops.push(patch.bandit ? 'hset' : 'hdel', 'bandit', patch.bandit ? JSON.stringify(patch.bandit) : '');
    const updated = await run(SCRIPTS.update, [keys.listed(name), keys.record(name), keys.winner(name)], ops);
    return updated === 1 ? getExperiment(name) : null;
  }

  async function getExperiment(name: string): Promise<ExperimentRecord | null> {
    const reply = (await run(SCRIPTS.load, metaKeys(name), [name])) as [string[], string[], string | null] | null;
    return reply ? toRecord(name, reply[0], reply[1], reply[2], log) : null;
  }

  return {
    prefix,
    redis,
    layout,

    ready(timeoutMs = 5000) {
      if (redis.status === 'ready') return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          redis.off('ready', onReady);
          reject(new StoreUnavailableError(`redis is not available after ${timeoutMs} ms`));
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        redis.once('ready', onReady);
      });
    },
    async close() {
      // QUIT lets replies still on the way arrive; a store that cannot reach Redis just disconnects.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },

    async ping() {
      await guard(() => redis.ping());
    },
    usedMemory: () => guard(() => usedMemoryOf(redis)),

    getExperiment,
    async createExperiment(record, maxExperiments = 0) {
      // In a cluster the index spans slots, so the cap is checked before the script (a race can pass it by a few).
      if (layout === 'cluster' && maxExperiments > 0 && (await guard(() => redis.scard(keys.experiments))) >= maxExperiments) {
        throw new StoreLimitError('experiments', maxExperiments);
      }
      const created = await run(SCRIPTS.create, metaKeys(record.name), [
        record.name,
        layout === 'cluster' ? 0 : maxExperiments,
        record.createdAt ?? '',
        pythonFloat(record.trafficFraction),
        ...record.alternatives,
      ]);
      if (created === -1) throw new StoreLimitError('experiments', maxExperiments);
      if (created !== 1) return false;
      if (layout === 'cluster') await guard(() => redis.sadd(keys.experiments, record.name));
      // The model creates records with the defaults; anything else is written as an update.
      const { description, winner, archived, paused, enabled, bandit } = record;
      if (description !== null || winner !== null || archived || paused || !enabled || bandit) {
        await updateExperiment(record.name, { description, winner, archived, paused, enabled, bandit });
      }
      return true;
    },
    updateExperiment,
    async deleteExperiment(name) {
      const deleted = await run(
        SCRIPTS.delete,
        [...metaKeys(name), keys.users(name), keys.excluded(name), keys.kpis(name), keys.bare(name)],
        [name, ...keys.bases(name)],
      );
      if (deleted === 1 && layout === 'cluster') await guard(() => redis.srem(keys.experiments, name));
      return deleted === 1;
    },
    async listExperiments() {
      return (await guard(() => redis.smembers(keys.experiments))).sort();
    },

    async clientState(name, alternatives, clientId) {
      const reply = await run(SCRIPTS.clientState, [keys.users(name), keys.excluded(name), ...allBitmaps(name, alternatives)], [clientId]);
      return toState(reply, alternatives);
    },
    async assignClient(name, alternatives, clientId, alternative, date) {
      const index = alternative === null ? -1 : alternatives.indexOf(alternative);
      if (alternative !== null && index < 0) throw new Error(`assignClient: ${alternative} is not an alternative of ${name}`);
      const recording = alternative === null ? [] : recordKeys(name, 'participations', null, alternative, date);
      const reply = await run(
        SCRIPTS.assign,
        [keys.users(name), keys.excluded(name), ...recording, ...allBitmaps(name, alternatives)],
        [clientId, index, ...dateArgs(date)],
      );
      return toState(reply, alternatives);
    },
    async recordParticipation(name, alternative, clientId, date) {
      await run(SCRIPTS.participate, [keys.users(name), ...recordKeys(name, 'participations', null, alternative, date)], [clientId, ...dateArgs(date)]);
    },
    async excludedCount(name) {
      return guard(() => redis.bitcount(keys.excluded(name)));
    },

    async recordConversion(name, kpi, alternative, clientId, date, maxKpis = 0) {
      const recorded = await run(
        SCRIPTS.convert,
        [keys.users(name), keys.kpis(name), ...conversionKeys(name, kpi, alternative, date)],
        [clientId, kpi ?? '', ...dateArgs(date), maxKpis],
      );
      if (recorded === -1) throw new StoreLimitError('kpis', maxKpis);
      return recorded === 1;
    },
    async kpis(name) {
      return (await guard(() => redis.smembers(keys.kpis(name)))).sort();
    },

    async count(name, metric, kpi, alternative, bucket) {
      return guard(() => redis.bitcount(keys.bitmap(name, metric, kpi, alternative, bucket)));
    },
    async dateKeys(name, metric, kpi, period) {
      return guard(() => redis.smembers(keys.dates(name, metric, kpi, period)));
    },
  };
}
