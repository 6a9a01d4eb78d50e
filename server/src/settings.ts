/**
 * The command line's settings, from (lowest to highest precedence) the defaults, a Sixpack
 * `config.yml` (`SIXPACK_CONFIG` or `--config`), environment variables, and flags. A team switching
 * from Sixpack keeps its config file and Redis, and changes only the start command.
 */
import { readFileSync } from 'node:fs';
import { parseSixpackYaml, type YamlValue } from './sixpack-yaml';
import type { CorsSettings } from './server';

/** Everything the command line can set. */
export interface Settings {
  port: number;
  host: string;
  /** null: 5001 (sixpack-web's port), or 0 when `port` is 0; `off`: no admin listener. */
  adminPort: number | 'off' | null;
  adminHost: string;
  adminToken: string | undefined;
  /** `redis://…` URL; null: the memory store. */
  redis: string | null;
  /** Redis Cluster seed nodes (`--redis-cluster`); the cluster key layout. Overrides `redis`. */
  redisCluster: { host: string; port: number }[] | null;
  redisPrefix: string;
  ignoredIps: string[];
  /** A regex source, or `sixpack` / `splitflap` for the built-in rules; undefined: `splitflap`. */
  robotRegex: string | undefined;
  /** Sixpack's `enable_whiplash`: experiments without a bandit of their own run Whiplash. */
  enableWhiplash: boolean;
  cors: Partial<CorsSettings>;
  limits: { maxExperiments?: number; maxKpisPerExperiment?: number };
  backfillDays: number;
  quiet: boolean;
  logFormat: 'text' | 'json';
  /** Longest wait for in-flight requests on SIGTERM before closing anyway. */
  shutdownGraceMs: number;
  /** Lines to log once started (config keys that were read but have no effect here). */
  notes: string[];
}

export const USAGE = `usage: splitflap-server [options]
       splitflap-server migrate-to-cluster --from redis://HOST:PORT/DB --to HOST:PORT[,…] [--redis-prefix P]
  --port N                 public API port (default 5000; 0 picks a free one)
  --host H                 public API address (default 127.0.0.1)
  --admin-port N|off       admin API and dashboard port (default 5001; 0 with --port 0)
  --admin-host H           admin address (default 127.0.0.1; any other needs a token)
  --admin-token T          bearer token for the admin API (or SPLITFLAP_ADMIN_TOKEN)
  --redis URL              redis://[:password@]host:port/db (or SIXPACK_REDIS_URL; default: in memory)
  --redis-prefix P         key prefix (or SIXPACK_REDIS_PREFIX; default sixpack)
  --redis-cluster H:P[,…]  Redis Cluster seed nodes (cluster key layout; see migrate-to-cluster)
  --config FILE            a Sixpack config.yml (or SIXPACK_CONFIG)
  --ignore-ip IP[,IP...]   treat these ip_address values as bots
  --robot-regex R          bot rule: sixpack (Sixpack's robot_regex), splitflap (default) or a regex
  --max-experiments N      cap on experiments (default 1000; 0: none)
  --max-kpis N             cap on KPIs per experiment (default 20; 0: none)
  --backfill-days N        how far back datetime= may date a visit (default 0: no backfill)
  --log-format text|json   request and event log format (default text)
  --shutdown-grace-ms N    on SIGTERM, wait this long for in-flight requests (default 10000)
  --quiet                  no request log`;

/** Loopback addresses: the only ones where the admin API may listen without a token. */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** The settings with no config file, environment or flag. */
export function defaultSettings(): Settings {
  return {
    port: 5000,
    host: '127.0.0.1',
    adminPort: null,
    adminHost: '127.0.0.1',
    adminToken: undefined,
    redis: null,
    redisCluster: null,
    redisPrefix: 'sixpack',
    ignoredIps: [],
    robotRegex: undefined,
    enableWhiplash: false,
    cors: {},
    limits: {},
    backfillDays: 0,
    quiet: false,
    logFormat: 'text',
    shutdownGraceMs: 10_000,
    notes: [],
  };
}

function integer(flag: string, raw: string, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) throw new Error(`${flag} must be an integer from 0 to ${max}`);
  return n;
}

/** `host:port` (IPv6 in brackets). */
function hostPort(flag: string, raw: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(raw.trim());
  if (!m) throw new Error(`${flag} takes host:port[,host:port…]`);
  return { host: m[1] as string, port: integer(flag, m[2] as string, 65535) };
}

const text = (v: YamlValue | undefined): string | null =>
  v === undefined || v === null || Array.isArray(v) ? null : String(v);

/** The Redis URL Sixpack's `redis_host`, `redis_port`, `redis_db` and `redis_password` describe. */
function redisUrlOf(config: Map<string, YamlValue>): string | null {
  const host = text(config.get('redis_host'));
  const port = text(config.get('redis_port'));
  const db = text(config.get('redis_db'));
  if (host === null && port === null && db === null) return null;
  const password = text(config.get('redis_password'));
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  const shownHost = (host ?? '127.0.0.1').includes(':') ? `[${host}]` : (host ?? '127.0.0.1');
  return `redis://${auth}${shownHost}:${port ?? 6379}/${db ?? 15}`;
}

/** Sixpack's config keys this server reads; the others are noted as having no effect. */
const CONFIG_KEYS = new Set([
  'redis_host', 'redis_port', 'redis_db', 'redis_password', 'redis_prefix', 'robot_regex', 'ignored_ip_addresses',
  'enable_whiplash', 'cors_origin', 'cors_headers', 'cors_credentials', 'cors_methods', 'cors_expose_headers',
]);

/** Applies a Sixpack `config.yml` (its text) to `settings`. */
export function applySixpackConfig(settings: Settings, yaml: string): void {
  applyConfig(settings, parseSixpackYaml(yaml));
}

/** Sixpack's config keys as its environment variables name them, when no SIXPACK_CONFIG file is given. */
const ENV_KEYS: Record<string, string> = {
  SIXPACK_CONFIG_ENABLED: 'enabled',
  SIXPACK_CONFIG_REDIS_HOST: 'redis_host',
  SIXPACK_CONFIG_REDIS_PORT: 'redis_port',
  SIXPACK_CONFIG_REDIS_PASSWORD: 'redis_password',
  SIXPACK_CONFIG_REDIS_PREFIX: 'redis_prefix',
  SIXPACK_CONFIG_REDIS_DB: 'redis_db',
  SIXPACK_CONFIG_WHIPLASH: 'enable_whiplash',
  SIXPACK_CONFIG_ROBOT_REGEX: 'robot_regex',
  SIXPACK_CONFIG_IGNORE_IPS: 'ignored_ip_addresses',
  SIXPACK_CONFIG_ASSET_PATH: 'asset_path',
  SIXPACK_CONFIG_SECRET: 'secret_key',
  SIXPACK_CORS_ORIGIN: 'cors_origin',
  SIXPACK_CORS_HEADERS: 'cors_headers',
  SIXPACK_CORS_CREDENTIALS: 'cors_credentials',
  SIXPACK_CORS_METHODS: 'cors_methods',
  SIXPACK_CORS_EXPOSE_HEADERS: 'cors_expose_headers',
};

/**
 * The config Sixpack's environment variables describe (Docker images of Sixpack are configured
 * this way), or null when none is set. Sixpack then defaults to Redis on localhost, db 15,
 * prefix `sxp`, and so does this; booleans read as its `to_bool` does, IPs comma-separated.
 */
function sixpackEnvConfig(env: NodeJS.ProcessEnv): Map<string, YamlValue> | null {
  const given = Object.keys(ENV_KEYS).filter((name) => env[name] !== undefined);
  if (!given.length) return null;
  const config = new Map<string, YamlValue>([['redis_host', 'localhost'], ['redis_port', 6379], ['redis_db', 15], ['redis_prefix', 'sxp']]);
  for (const name of given) {
    const key = ENV_KEYS[name] as string;
    const value = env[name] as string;
    if (key === 'ignored_ip_addresses') config.set(key, value.split(',').map((ip) => ip.trim()).filter(Boolean));
    else if (key === 'enable_whiplash') config.set(key, /^(true|yes|y|on|1)$/i.test(value.trim()));
    else config.set(key, value);
  }
  return config;
}

function applyConfig(settings: Settings, config: Map<string, YamlValue>): void {
  settings.redis = redisUrlOf(config) ?? settings.redis;
  settings.redisPrefix = text(config.get('redis_prefix')) ?? settings.redisPrefix;
  settings.robotRegex = text(config.get('robot_regex')) ?? settings.robotRegex;
  const ips = config.get('ignored_ip_addresses');
  if (Array.isArray(ips)) settings.ignoredIps.push(...ips.filter((ip) => ip !== null).map(String));
  settings.enableWhiplash = config.get('enable_whiplash') === true;
  const cors: [keyof CorsSettings, string][] = [
    ['origin', 'cors_origin'], ['headers', 'cors_headers'], ['credentials', 'cors_credentials'], ['methods', 'cors_methods'], ['exposeHeaders', 'cors_expose_headers'],
  ];
  for (const [field, key] of cors) {
    const value = text(config.get(key));
    if (value !== null) settings.cors[field] = value;
  }
  const unused = [...config.keys()].filter((key) => !CONFIG_KEYS.has(key));
  if (unused.length) settings.notes.push(`config keys with no effect here: ${unused.join(', ')}`);
}

/**
 * Environment variables: SIXPACK_CONFIG (a file) or else Sixpack's SIXPACK_CONFIG_* and
 * SIXPACK_CORS_* (as Sixpack reads them), SIXPACK_PORT, then SIXPACK_REDIS_URL,
 * SIXPACK_REDIS_PREFIX, SPLITFLAP_ADMIN_TOKEN.
 */
function applyEnv(settings: Settings, env: NodeJS.ProcessEnv, configFile: string | undefined): void {
  const file = configFile ?? env.SIXPACK_CONFIG;
  const fromEnv = file ? null : sixpackEnvConfig(env);
  if (file) applySixpackConfig(settings, readFileSync(file, 'utf8'));
  else if (fromEnv) applyConfig(settings, fromEnv);
  if (env.SIXPACK_PORT) settings.port = integer('SIXPACK_PORT', env.SIXPACK_PORT, 65535);
  if (env.SIXPACK_REDIS_URL) settings.redis = env.SIXPACK_REDIS_URL;
  if (env.SIXPACK_REDIS_PREFIX) settings.redisPrefix = env.SIXPACK_REDIS_PREFIX;
  if (env.SPLITFLAP_ADMIN_TOKEN) settings.adminToken = env.SPLITFLAP_ADMIN_TOKEN;
}

type FlagSetter = (settings: Settings, value: string, flag: string) => void;

/** Flags that take a value. */
const FLAGS: Record<string, FlagSetter> = {
  '--port': (s, v, f) => void (s.port = integer(f, v, 65535)),
  '--host': (s, v) => void (s.host = v),
  '--admin-port': (s, v, f) => void (s.adminPort = v === 'off' ? 'off' : integer(f, v, 65535)),
  '--admin-host': (s, v) => void (s.adminHost = v),
  '--admin-token': (s, v) => void (s.adminToken = v),
  '--redis': (s, v) => void (s.redis = v),
  '--redis-prefix': (s, v) => void (s.redisPrefix = v),
  '--redis-cluster': (s, v, f) => void (s.redisCluster = v.split(',').map((node) => hostPort(f, node))),
  '--ignore-ip': (s, v) => void s.ignoredIps.push(...v.split(',').filter(Boolean)),
  '--robot-regex': (s, v) => void (s.robotRegex = v),
  '--max-experiments': (s, v, f) => void (s.limits.maxExperiments = integer(f, v, 1e9)),
  '--max-kpis': (s, v, f) => void (s.limits.maxKpisPerExperiment = integer(f, v, 1e6)),
  '--backfill-days': (s, v, f) => void (s.backfillDays = integer(f, v, 100_000)),
  '--shutdown-grace-ms': (s, v, f) => void (s.shutdownGraceMs = integer(f, v, 600_000)),
  '--log-format': (s, v, f) => {
    if (v !== 'text' && v !== 'json') throw new Error(`${f} must be text or json`);
    s.logFormat = v;
  },
};

/** `--flag value` and `--flag=value` pairs, in order; `--config` is taken out (it is read first). */
function splitFlags(argv: string[]): { pairs: [string, string | null][]; configFile: string | undefined } {
  const pairs: [string, string | null][] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split(/=(.*)/s, 2) as [string, string?];
    if (flag === '--quiet' || flag === '--help' || flag === '-h') {
      pairs.push([flag, null]);
      continue;
    }
    if (!(flag in FLAGS) && flag !== '--config') throw new Error(`unknown option ${flag}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new Error(`${flag} needs a value`);
    if (flag === '--config') configFile = value;
    else pairs.push([flag, value]);
  }
  return { pairs, configFile };
}

/**
 * Settings from the command line and the environment; throws with a message for the user on a
 * bad flag, an unreadable config file, or an admin API on a public address without a token.
 * `help` is true for `--help`.
 */
export function readSettings(argv: string[], env: NodeJS.ProcessEnv): { settings: Settings; help: boolean } {
  const settings = defaultSettings();
  const { pairs, configFile } = splitFlags(argv);
  applyEnv(settings, env, configFile);
  let help = false;
  for (const [flag, value] of pairs) {
    if (value === null) {
      if (flag === '--quiet') settings.quiet = true;
      else help = true;
    } else {
      (FLAGS[flag] as FlagSetter)(settings, value, flag);
    }
  }
  if (settings.adminPort !== 'off' && !settings.adminToken && !LOOPBACK.test(settings.adminHost)) {
    throw new Error(`--admin-host ${settings.adminHost} is not a loopback address: set --admin-token (or SPLITFLAP_ADMIN_TOKEN)`);
  }
  return { settings, help };
}
