/**
 * Development-only checks: a mistake in how the client is set up gets one warning that says what
 * to write instead. Every call site reads `DEV && process.env.NODE_ENV !== 'production'`, which
 * bundlers fold to `false` in production builds, dropping the call and this module with it.
 * `DEV` itself is read once: `process.env` costs about 2 µs a read in Node, too much per request.
 */
import type { ClientOptions } from './api';
import type { Logger } from './types';
import type { VisitorOptions } from './state';

/** Whether development checks run (Node or a bundler not saying production). */
export const DEV = typeof process != 'undefined' && process.env.NODE_ENV !== 'production';

/** Every `createClient` option (the compiler checks the list is complete). */
const OPTIONS: Record<keyof ClientOptions, true> = {
  plugins: true, clientId: true, cookie: true, excludeBots: true, userAgent: true, stickyBucketStore: true,
  readyTimeoutMs: true, onExposure: true, trackingCallback: true, log: true, consent: true, hydrate: true, features: true, savedGroups: true,
  attributes: true, forcedVariations: true, forcedFeatures: true, overrides: true, groups: true, contextualBandits: true,
  url: true, allowUrlOverrides: true, qaMode: true, enabled: true, stickyBucketAssignmentDocs: true,
} satisfies Record<Exclude<keyof ClientOptions, keyof VisitorOptions>, true> & Record<keyof VisitorOptions, true>;

/** Which plugin adds a client method, and how to add it. Built on first use: nothing runs at import. */
let pluginMethods: Record<string, [plugin: string, setup: string]> | undefined;
function pluginOf(method: string): [plugin: string, setup: string] | undefined {
  if (!pluginMethods) {
    const table: Record<string, [string, string]> = (pluginMethods = Object.create(null));
    const add = (names: string, plugin: string, setup: string) => names.split(' ').forEach((name) => (table[name] = [plugin, setup]));
    add('participate convert getParticipation', 'sixpack', "import { sixpack } from 'splitflap/sixpack'; createClient({ plugins: [sixpack({ baseUrl })] })");
    add('setBanditStats getBandit refreshBandits', 'bandits', "import { bandits } from 'splitflap/bandits'; createClient({ plugins: [bandits()] })");
    add('getConsent setConsent', 'consent', "import { withConsent } from 'splitflap/consent'; createClient(withConsent({ consent: 'pending' }, options))");
    add('variant', 'baseplate', "import { baseplate } from 'splitflap/baseplate'; createClient({ plugins: [baseplate({ experiments })] })");
    add('getBucket', 'edx', "import { edx } from 'splitflap/edx'; createClient({ plugins: [edx({ experiments })] })");
    add('setEncryptedFeatures', 'decrypt', "import { encryptedFeatures } from 'splitflap/decrypt'; createClient({ plugins: [encryptedFeatures({ encrypted, decryptionKey })] })");
    add('refreshFeatures', 'remote', "import { remote } from 'splitflap/remote'; createClient({ plugins: [remote({ url })] })");
    add('flushAnalytics', 'analytics', "import { ga4 } from 'splitflap/analytics'; createClient({ plugins: [ga4()] })");
  }
  return pluginMethods![method];
}

/** Edit distance, for "did you mean". Option names are short: the plain table is fine. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The known option nearest to `name`, if it is near enough to be a misspelling. */
function nearest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, name.length / 3);
  for (const known of Object.keys(OPTIONS)) {
    const d = distance(name.toLowerCase(), known.toLowerCase());
    if (d <= bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

const warned = new Set<string>();
/** Each distinct warning once per page or process: a per-request client must not flood the log. */
function warnOnce(log: Logger, message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  log(message);
}

/** Warn of option names `createClient` does not know, with the nearest known one. */
export function checkOptions(options: object, log: Logger): void {
  for (const name of safeKeys(options)) {
    if (name in OPTIONS) continue;
    const guess = nearest(name);
    warnOnce(log, `createClient(): unknown option "${name}"${guess ? `; did you mean "${guess}"?` : ` (known: ${Object.keys(OPTIONS).join(', ')})`}`);
  }
}

/** Own keys, or none when the object cannot be read (a hostile Proxy: intake logs it). */
function safeKeys(value: object): string[] {
  try {
    return Object.keys(value);
  } catch {
    return [];
  }
}

/** Warn when a plugin returned a function: the plugin's factory was passed without being called. */
export function checkPluginResult(plugin: unknown, result: unknown, log: Logger): void {
  if (typeof result != 'function') return;
  const name = (plugin as { name?: string }).name || 'plugin';
  warnOnce(log, `plugins: [${name}] passes the plugin's factory: call it, plugins: [${name}(options)]. It was ignored.`);
}

/**
 * The client an app gets in development: a method a plugin would add, called without that
 * plugin, throws an error naming the plugin and its entry (instead of "… is not a function").
 * Plugins keep the plain client; `in` and everything else behave as on it.
 */
export function guardPluginMethods<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      const plugin = value === undefined && typeof property == 'string' ? pluginOf(property) : undefined;
      if (!plugin) return value;
      return () => {
        throw new TypeError(`splitflap: client.${String(property)}() needs the ${plugin[0]} plugin: ${plugin[1]}`);
      };
    },
  });
}

/** Warn when `features` is a GrowthBook API response (`{ features, dateUpdated, … }`) instead of its `features`. */
export function checkFeatures(features: unknown, log: Logger): void {
  try {
    if (isEnvelope(features)) warnOnce(log, ENVELOPE);
  } catch {
    // Unreadable features (a throwing getter or Proxy): intake logs them.
  }
}

const ENVELOPE = 'features: this is a GrowthBook API response, not its feature definitions: write { features: payload.features, savedGroups: payload.savedGroups }';

function isEnvelope(features: unknown): boolean {
  if (!features || typeof features != 'object') return false;
  const inner = (features as { features?: unknown }).features;
  if (!inner || typeof inner != 'object' || 'defaultValue' in inner || 'rules' in inner) return false;
  return ['dateUpdated', 'status', 'savedGroups', 'experiments', 'encryptedFeatures'].some((key) => key in features);
}
