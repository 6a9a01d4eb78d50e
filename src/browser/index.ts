/**
 * The script-tag build (`dist/splitflap.global.js`): the global `Splitflap`, with what a page
 * without a build step needs: local evaluation, remote payloads, Sixpack mode and declarative
 * markup (goal URLs included), and consent (`data-consent`). Bandit code is a second file,
 * `splitflap.bandits.js`, loaded from this tag's own base URL only on a page that has a bandit
 * experiment; the payload stream follower is `splitflap.live.js`, loaded only for a payload with
 * a stream; the DevTools panel is `splitflap.devtools.js`, loaded only when `data-devtools`
 * allows it and it is asked for.
 *
 * Configured by `data-*` attributes on its own <script> tag or by `window.splitflapConfig` set
 * before it (tag managers, where `document.currentScript` is missing), it starts a client as
 * `Splitflap.client` and applies declarative markup (src/plugins/dom). Callbacks queued in
 * `window.splitflapQueue` run once it has loaded, with `(Splitflap.client, Splitflap)`; later
 * pushes run at once. A second copy of the tag on the same page does nothing but warn.
 */
import type { Client, ClientOptions } from '../api';
import { createClient } from '../client';
import { resolveClientId } from '../identity';
import { defaultLog } from '../log';
import type { Plugin } from '../plugin';
import type { BanditConfig, ExposureCallback, FeatureDefinitions, Logger } from '../types';
import type { BanditMethods, BanditsOptions } from '../plugins/bandits';
import { withConsent, type Consent, type ConsentMethods } from '../plugins/consent';
import type { DevtoolsOptions } from '../plugins/devtools';
import { devtoolsAllowed } from '../plugins/devtools/session';
import { markup } from '../plugins/dom/markup';
import { createRemote, type RemoteOptions } from '../plugins/remote/plugin';
import type { followPayloadStream } from '../plugins/remote/live';
import { sixpack, type SixpackMethods } from '../plugins/sixpack';

export { createClient } from '../client';
export { evalCondition } from '../conditions';
export { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace } from '../hash';
export { getQueryStringOverride } from '../url';
export { BOT_PATTERN, isBot } from '../bots';
export { generateClientId } from '../identity';
export { memoryStickyBucketStore } from '../sticky';
export { indexedDbStickyBucketStore, localStorageStickyBucketStore } from '../sticky-stores';
export { markup } from '../plugins/dom/markup';
export { sixpack } from '../plugins/sixpack';

/** Options of the script tag (`data-*` attributes) and of `window.splitflapConfig` (camelCased). */
export interface ScriptConfig {
  /** A GrowthBook-format payload URL (`data-features-url`). */
  featuresUrl?: string;
  /**
   * Follow the payload's live stream (`data-features-stream`): a URL, or `""`/`true` for the one
   * a GrowthBook proxy serves next to `featuresUrl` (`remote({ stream })`).
   */
  featuresStream?: boolean | string;
  /** An inline payload's `features`, as an object or JSON text (`data-features`). */
  features?: Record<string, unknown> | string;
  /** A Sixpack-compatible server; experiments not in the payload go there (`data-sixpack-url`). */
  sixpackUrl?: string;
  /** The client id cookie; default `sixpack_client_id` (`data-cookie-name`). */
  cookieName?: string;
  /** Targeting attributes, an object or JSON text, merged over `{ id: clientId }` (`data-attributes`). */
  attributes?: Record<string, unknown> | string;
  /** `true`/`""`: hide the page until decided; `"elements"`: only the marked elements; `false`: off. */
  antiFlicker?: boolean | string;
  /** The longest the page stays hidden, in ms; default 500. */
  antiFlickerTimeout?: number | string;
  /** Experiment → goal URL (or `{ url, kpi }`), an object or JSON text (`data-goals`). */
  goals?: Record<string, string | { url: string; kpi?: string }> | string;
  /** `false` (or `data-enabled="false"`): every experiment shows its control and nothing goes to Sixpack (e.g. before consent). */
  enabled?: boolean | string;
  /** `true` (or `data-qa-mode`): nobody is bucketed except through forced variations; nothing goes to Sixpack. */
  qaMode?: boolean | string;
  /**
   * `false` (or `data-allow-url-overrides="false"`): the page URL cannot pick a variation
   * (`?experiment=1`) or a Sixpack alternative (`?sixpack-force-experiment=alt`). Default true.
   */
  allowUrlOverrides?: boolean | string;
  /**
   * `pending`, `granted` or `denied` (`data-consent`): wait for the visitor's consent
   * (`withConsent`); answer with `Splitflap.client.setConsent()`. Absent: no consent management.
   */
  consent?: Consent;
  /**
   * The DevTools panel (`data-devtools`): `""` allows it with `?splitflap-devtools`; any other
   * text is a token the link must carry, `?splitflap-devtools=<token>` (a link without it opens
   * nothing); `"true"` shows it on every load. Absent: never.
   */
  devtools?: boolean | string;
  /** `window.splitflapConfig` only: exposure callback (e.g. to push to a dataLayer). */
  onExposure?: ExposureCallback;
  /** `window.splitflapConfig` only: where recovered problems are reported; default `console.warn`. */
  log?: Logger;
}

/** The client the script tag drives: Sixpack methods when `sixpackUrl` is set, bandit methods once loaded. */
export type PageClient = Client & Partial<SixpackMethods> & Partial<BanditMethods> & Partial<ConsentMethods>;

const KEYS = ['featuresUrl', 'featuresStream', 'features', 'sixpackUrl', 'cookieName', 'attributes', 'antiFlicker', 'antiFlickerTimeout', 'goals', 'enabled', 'qaMode', 'allowUrlOverrides', 'consent', 'devtools'] as const;
/** A boolean option from JS or from an attribute: `""` and `"true"` are true, `"false"` is false. */
const flag = (value: unknown): boolean | undefined => (value == null ? undefined : value !== false && value !== 'false');
const fn = <T>(value: T) => (typeof value == 'function' ? value : undefined);
/** Set on `window` by the first copy of the tag. */
const LOADED = '__splitflapLoaded';
/** Set on `window` by `splitflap.bandits.js`, `splitflap.devtools.js` and `splitflap.live.js`. */
const BANDITS = 'SplitflapBandits';
const DEVTOOLS = 'SplitflapDevtools';
const LIVE = 'SplitflapLive';
/** A boolean attribute: present (`""`) or `"true"`. */
const on = (value: unknown) => value === true || value === '' || value === 'true';

/**
 * The configuration: `window.splitflapConfig` overridden by known `data-*` attributes of the
 * script tag; `undefined` when neither says anything (the page then only uses the API).
 */
export function readConfig(script: Element | null, fromWindow: unknown): ScriptConfig | undefined {
  let config: Record<string, unknown> | undefined = fromWindow && typeof fromWindow == 'object' ? { ...fromWindow } : undefined;
  const data = script && (script as HTMLElement).dataset;
  for (const key of KEYS) if (data && data[key] != null) (config ||= {})[key] = data[key];
  return config;
}

/**
 * Run the callbacks queued in `window.splitflapQueue` with `args()`, and replace the queue with an
 * object whose `push` runs callbacks at once. A callback that throws is logged and skipped.
 */
export function runQueue(win: Record<string, unknown>, args: () => unknown[]): void {
  const run = (callback: unknown) => {
    try {
      if (typeof callback == 'function') callback(...args());
    } catch (error) {
      console.warn('[splitflap] A splitflapQueue callback threw', error);
    }
  };
  const queued = win.splitflapQueue;
  win.splitflapQueue = { push: (...callbacks: unknown[]) => void callbacks.forEach(run) };
  if (Array.isArray(queued)) queued.forEach(run);
}

/** Whether a payload has an experiment rule with `bandit` settings. */
const hasBanditRule = (features: FeatureDefinitions | undefined) =>
  !!features && Object.keys(features).some((key) => {
    const rules = features[key] && features[key].rules;
    return Array.isArray(rules) && rules.some((rule) => rule && rule.bandit);
  });

/** The page's client, once started from the script tag, `window.splitflapConfig` or {@link start}. */
export let client: PageClient | undefined;
let script: HTMLScriptElement | null = null;

const loaded = new Map<string, Promise<unknown>>();
/** Load `file` from where this tag came from (once), resolving with the global it sets. */
const loadFile = <T>(file: string, global: string): Promise<T> => {
  if (!loaded.has(file)) {
    loaded.set(
      file,
      new Promise<void>((resolve, reject) => {
        const tag = document.createElement('script');
        tag.src = new URL(file, (script && script.src) || location.href).href;
        tag.onload = () => resolve();
        tag.onerror = () => reject(new Error('could not load ' + tag.src));
        document.head.appendChild(tag);
      }).then(() => (window as unknown as Record<string, unknown>)[global]),
    );
  }
  return loaded.get(file) as Promise<T>;
};

/** `remote()` of `splitflap/remote`; the stream follower comes from `splitflap.live.js`. */
export const remote = (options: RemoteOptions) =>
  createRemote(options, () => loadFile<{ followPayloadStream: typeof followPayloadStream }>('splitflap.live.js', LIVE));

/** Start the page's client and apply declarative markup. Once per page: later calls return the same client. */
export function start(config: ScriptConfig = {}): PageClient {
  if (client) return client;
  const log: Logger = fn(config.log) || defaultLog;
  /** An object from the config, parsed if it is JSON text; anything else is logged and ignored. */
  const object = <T extends object>(name: 'features' | 'attributes' | 'goals'): T | undefined => {
    let value: unknown = config[name];
    if (value == null) return;
    try {
      if (typeof value == 'string') value = JSON.parse(value);
    } catch {}
    if (value && typeof value == 'object' && !Array.isArray(value)) return value as T;
    log(`Ignored ${name}: not a JSON object`, { value: config[name] });
  };
  const cookie = config.cookieName ? { name: config.cookieName } : undefined;

  // Bandit and DevTools code are files of their own, next to this one: loaded when needed, then
  // plugged into this client with `client.use` (the file arrives after the client exists).
  const inlineBandits: Record<string, BanditConfig> = {};
  const plugIn = <O>(file: string, global: string, name: string, pluginOptions: O) =>
    loadFile<Record<string, (o: O) => Plugin>>(file, global).then((exports) => void client!.use(exports[name]!(pluginOptions)));
  let loading: Promise<void> | undefined;
  const loadBandits = () =>
    (loading ||= plugIn<BanditsOptions>('splitflap.bandits.js', BANDITS, 'bandits', { experiments: inlineBandits }).catch((error: unknown) =>
      log('Bandit experiments run with their own weights', { error }),
    ));
  const devtoolsWanted = devtoolsAllowed(config.devtools, location.href);
  const plugins: Plugin[] = [
    (captured) => {
      const check = (features: FeatureDefinitions | undefined) => hasBanditRule(features) && captured.addStartupTask(loadBandits());
      check(captured.getFeatures());
      captured.onFeaturesChange(check);
    },
  ];
  const stream = config.featuresStream;
  if (config.featuresUrl) plugins.push(remote({ url: config.featuresUrl, stream: on(stream) || (stream !== 'false' && stream) || undefined }));
  if (config.sixpackUrl) plugins.push(sixpack({ baseUrl: config.sixpackUrl }));
  plugins.push(
    markup({
      antiFlicker: config.antiFlicker,
      antiFlickerTimeout: config.antiFlickerTimeout,
      goals: object('goals'),
      onBandit(name, bandit) {
        inlineBandits[name] = bandit;
        void loadBandits();
      },
    }),
  );
  let options: ClientOptions<readonly Plugin[]> = {
    cookie,
    features: object('features'),
    // Decide only once the payload is in (or failed): an experiment missing from a payload that is
    // merely late must not go to Sixpack. Anti-flicker still reveals the page at its own timeout.
    readyTimeoutMs: config.featuresUrl ? 5000 : undefined,
    allowUrlOverrides: flag(config.allowUrlOverrides),
    enabled: flag(config.enabled),
    qaMode: flag(config.qaMode),
    onExposure: fn(config.onExposure),
    log: fn(config.log),
    plugins,
  };
  // With consent, the id comes from withConsent (no cookie is written before a grant).
  if (config.consent != null) options = withConsent({ consent: config.consent }, options) as ClientOptions<readonly Plugin[]>;
  const clientId = options.clientId || resolveClientId(undefined, cookie);
  client = createClient({
    ...options,
    clientId,
    // Spread, not assign: a `__proto__` key from JSON stays a plain property.
    attributes: { id: clientId, ...object('attributes') },
  });
  if (devtoolsWanted) {
    plugIn<DevtoolsOptions>('splitflap.devtools.js', DEVTOOLS, 'devtools', { enabled: true }).catch((error: unknown) => log('DevTools did not load', { error }));
  }
  return client;
}

if (typeof document != 'undefined') {
  const win = window as unknown as Record<string, unknown>;
  if (win[LOADED]) {
    console.warn('[splitflap] The script tag is on this page twice; the second copy does nothing.');
  } else {
    win[LOADED] = true;
    script = document.currentScript as HTMLScriptElement | null;
    const config = readConfig(script, win.splitflapConfig);
    try {
      if (config) start(config);
    } catch (error) {
      console.warn('[splitflap] Could not start', error);
    }
    // After this script has run, so the global `Splitflap` exists when the callbacks do.
    Promise.resolve().then(() => runQueue(win, () => [client, win.Splitflap]));
  }
}
