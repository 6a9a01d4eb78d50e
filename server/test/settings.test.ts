/**
 * The command line's settings: Sixpack's own config.yml (the sample file it ships), environment
 * variables and flags, in that order of precedence; the YAML subset it reads, and what it refuses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSettings } from '../src/settings';
import { parseSixpackYaml } from '../src/sixpack-yaml';

/** Sixpack 2.7.0's config.yml sample, as shipped (comments included). */
export const SIXPACK_SAMPLE = `redis_port: 6379                    # Redis port
redis_host: localhost               # Redis host
redis_prefix: sixpack               # all Redis keys will be prefixed with this
redis_db: 15                        # DB number in redis
redis_password:

# The regex to match for robots
robot_regex: $^|trivial|facebook|MetaURI|butterfly|google|amazon|goldfire|sleuth|xenu|msnbot|SiteUptime|Slurp|WordPress|ZIBB|ZyBorg|pingdom|bot|yahoo|slurp|java|fetch|spider|url|crawl|oneriot|abby|commentreader|twiceler
ignored_ip_addresses: []            # List of IP

asset_path: gen                     # Path for compressed assets to live.
secret_key: '<your secret key here>' # Random key (any string is valid, required for sixpack-web to run)
enable_whiplash: false
cors_origin: '*'
cors_headers: '...'
cors_credentials: true
cors_methods: 'GET'
cors_expose_headers: '...'
`;

const dir = mkdtempSync(path.join(tmpdir(), 'splitflap-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('settings', () => {
  it("reads Sixpack's sample config.yml: Redis URL, prefix, robot_regex, CORS; notes the keys it ignores", () => {
    const { settings } = readSettings([], { SIXPACK_CONFIG: file('sample.yml', SIXPACK_SAMPLE) });
    expect(settings.redis).toBe('redis://localhost:6379/15');
    expect(settings.redisPrefix).toBe('sixpack');
    expect(settings.robotRegex).toMatch(/^\$\^\|trivial\|facebook.*\|twiceler$/);
    expect(settings.ignoredIps).toEqual([]);
    expect(settings.enableWhiplash).toBe(false);
    expect(settings.cors).toEqual({ origin: '*', headers: '...', credentials: 'true', methods: 'GET', exposeHeaders: '...' });
    expect(settings.notes).toEqual(['config keys with no effect here: asset_path, secret_key']);
  });

  it('takes the environment over the file and flags over both', () => {
    const config = file('c.yml', 'redis_host: 10.0.0.7\nredis_port: 6380\nredis_db: 2\nredis_password: "p@ss"\nignored_ip_addresses:\n  - 192.0.2.1\n  - 2001:db8::1\nenable_whiplash: yes\n');
    const fromFile = readSettings([], { SIXPACK_CONFIG: config }).settings;
    expect(fromFile.redis).toBe('redis://:p%40ss@10.0.0.7:6380/2');
    expect(fromFile.ignoredIps).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(fromFile.enableWhiplash).toBe(true);
    const env = { SIXPACK_CONFIG: config, SIXPACK_REDIS_URL: 'redis://env:6379/1', SIXPACK_REDIS_PREFIX: 'envp' };
    expect(readSettings([], env).settings).toMatchObject({ redis: 'redis://env:6379/1', redisPrefix: 'envp' });
    const flags = readSettings(['--redis', 'redis://flag:1/0', '--redis-prefix=fp', '--port', '0', '--robot-regex', 'sixpack'], env).settings;
    expect(flags).toMatchObject({ redis: 'redis://flag:1/0', redisPrefix: 'fp', port: 0, robotRegex: 'sixpack' });
    expect(readSettings(['--config', config], {}).settings.redis).toBe('redis://:p%40ss@10.0.0.7:6380/2');
  });

  it("reads Sixpack's environment variables (its Docker images' configuration) when no config file is given, with Sixpack's defaults", () => {
    const env = {
      SIXPACK_CONFIG_REDIS_HOST: 'some-redis',
      SIXPACK_CONFIG_REDIS_PASSWORD: 'p@ss',
      SIXPACK_CONFIG_IGNORE_IPS: '192.0.2.1, 192.0.2.2',
      SIXPACK_CONFIG_WHIPLASH: 'True',
      SIXPACK_CONFIG_ROBOT_REGEX: 'okhttp|bot',
      SIXPACK_CONFIG_SECRET: 'for sixpack-web',
      SIXPACK_CORS_ORIGIN: 'https://shop.example',
      SIXPACK_PORT: '8000',
    };
    const { settings } = readSettings([], env);
    // Sixpack's own defaults for what is not set: port 6379, db 15, prefix "sxp".
    expect(settings).toMatchObject({ redis: 'redis://:p%40ss@some-redis:6379/15', redisPrefix: 'sxp', port: 8000, robotRegex: 'okhttp|bot', enableWhiplash: true });
    expect(settings.ignoredIps).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(settings.cors.origin).toBe('https://shop.example');
    expect(settings.notes.join(' ')).toContain('secret_key');
    // A config file wins over them, as in Sixpack; without either, the store is memory.
    const config = file('env.yml', 'redis_host: 10.0.0.9\n');
    expect(readSettings([], { ...env, SIXPACK_CONFIG: config }).settings).toMatchObject({ redis: 'redis://10.0.0.9:6379/15', redisPrefix: 'sixpack' });
    expect(readSettings([], {}).settings.redis).toBeNull();
  });

  it('refuses bad flags, and an admin API on a public address without a token', () => {
    expect(() => readSettings(['--port', '70000'], {})).toThrow('--port must be an integer from 0 to 65535');
    expect(() => readSettings(['--nope'], {})).toThrow('unknown option --nope');
    expect(() => readSettings(['--log-format', 'xml'], {})).toThrow('--log-format must be text or json');
    expect(() => readSettings(['--admin-host', '0.0.0.0'], {})).toThrow(/not a loopback address/);
    expect(readSettings(['--admin-host', '0.0.0.0'], { SPLITFLAP_ADMIN_TOKEN: 't' }).settings.adminToken).toBe('t');
    expect(readSettings(['--admin-host', '0.0.0.0', '--admin-port', 'off'], {}).settings.adminPort).toBe('off');
  });

  it("reads Sixpack's flat YAML and refuses, with the line, what it does not understand", () => {
    const parsed = parseSixpackYaml("a: 'it''s # not a comment'  # a comment\nb: [x, 'y, z', 3]\nc: ~\nd: 1.5\ne: on\n");
    expect(Object.fromEntries(parsed)).toEqual({ a: "it's # not a comment", b: ['x', 'y, z', 3], c: null, d: 1.5, e: true });
    expect(() => parseSixpackYaml('redis:\n  host: x\n')).toThrow('config line 2: nested mappings are not supported');
    expect(() => parseSixpackYaml('a: |\n  text\n')).toThrow('config line 1: unsupported YAML');
    expect(() => parseSixpackYaml('- x\n')).toThrow('config line 1: a list item outside a list');
    expect(() => parseSixpackYaml('just text\n')).toThrow(/config line 1: expected "key: value"/);
  });
});
