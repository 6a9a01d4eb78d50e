/**
 * The script-tag build (`dist/splitflap.global.js`): the global `Splitflap`, with what every page
 * without a build step needs: local evaluation, remote payloads and declarative markup (goal URLs
 * included). What only some pages use comes in files of its own, next to this one (files.ts):
 * Sixpack mode and consent, which a page asks for with `data-sixpack-url` and `data-consent`; and
 * bandits, the payload stream and DevTools, loaded only when a page turns out to need them.
 *
 * Configured by `data-*` attributes on its own <script> tag or by `window.splitflapConfig` set
 * before it (tag managers, where `document.currentScript` is missing), it starts a client as
 * `Splitflap.client` and binds declarative markup to it (src/plugins/dom). Callbacks queued in
 * `window.splitflapQueue` run once it has started, with `(Splitflap.client, Splitflap)`; later
 * pushes run at once. A second copy of the tag on the same page does nothing but warn.
 */
import type { Client, ClientOptions } from '../api';
import { createClient } from '../client';
import { resolveClientId } from '../identity';
import { defaultLog } from '../log';
import type { Plugin } from '../plugin';
import type { BanditConfig, ExposureCallback, FeatureDefinitions, Logger } from '../types';
import type { BanditMethods } from '../plugins/bandits';
import type { ConsentMethods } from '../plugins/consent';
import { devtoolsAllowed } from '../plugins/devtools/session';
import { bindMarkup } from '../plugins/dom/markup';
import { createRemote, type RemoteOptions } from '../plugins/remote/plugin';
import type { SixpackMethods } from '../plugins/sixpack';
import type { Consent } from '../types';
import { loaded, loadFile } from './files';

export { createClient } from '../client';
export { evalCondition } from '../conditions';
export { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace } from '../hash';
export { getQueryStringOverride } from '../url';
export { BOT_PATTERN, isBot } from '../bots';
export { generateClientId } from '../identity';
export { memoryStickyBucketStore } from '../sticky';
export { indexedDbStickyBucketStore, localStorageStickyBucketStore } from '../sticky-stores';
export { bindMarkup } from '../plugins/dom/markup';

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
  /** Split-URL tests, decided before the page shows (`data-experiments`, a payload's `experiments` as JSON); needs `splitflap.redirect.js`. */
  experiments?: unknown[] | string;
  /** Where a redirect's exposure is beaconed before the page leaves (`data-redirect-beacon`). */
  redirectBeacon?: string;
  /** `window.splitflapConfig` only: exposure callback (e.g. to push to a dataLayer). */
  onExposure?: ExposureCallback;
  /** `window.splitflapConfig` only: where recovered problems are reported; default `console.warn`. */
  log?: Logger;
}

/** The client the script tag drives: Sixpack methods when `sixpackUrl` is set, bandit methods once loaded. */
export type PageClient = Client & Partial<SixpackMethods> & Partial<BanditMethods> & Partial<ConsentMethods>;

const KEYS = ['featuresUrl', 'featuresStream', 'features', 'sixpackUrl', 'cookieName', 'attributes', 'antiFlicker', 'antiFlickerTimeout', 'goals', 'enabled', 'qaMode', 'allowUrlOverrides', 'consent', 'devtools', 'experiments', 'redirectBeacon'] as const;
/** A boolean option from JS or from an attribute: `""` and `"true"` are true, `"false"` is false. */
const flag = (value: unknown): boolean | undefined => (value == null ? undefined : value !== false && value !== 'false');
const fn = <T>(value: T) => (typeof value == 'function' ? value : undefined);
/** Set on `window` by the first copy of the tag. */
const LOADED = '__splitflapLoaded';
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
/** Where this tag came from: its other files are next to it. */
let base = '';
const baseUrl = () => base || location.href;

/** `remote()` of `splitflap/remote`; the stream follower comes from `splitflap.live.js`. */
export const remote = (options: RemoteOptions) => createRemote(options, () => loadFile('splitflap.live.js', baseUrl()));

/** The add-on files `config` needs before its client can start (see files.ts). */
export const addonsFor = (config: ScriptConfig) =>
  [config.sixpackUrl && ('splitflap.sixpack.js' as const), config.consent != null && ('splitflap.consent.js' as const), config.experiments != null && ('splitflap.redirect.js' as const)].filter(
    (file): file is 'splitflap.sixpack.js' | 'splitflap.consent.js' | 'splitflap.redirect.js' => !!file,
  );

/** An object from the config, parsed if it is JSON text; anything else is logged and ignored. */
function objectOf<T extends object>(config: ScriptConfig, name: 'features' | 'attributes' | 'goals', log: Logger): T | undefined {
  let value: unknown = config[name];
  if (value == null) return;
  try {
    if (typeof value == 'string') value = JSON.parse(value);
  } catch {}
  if (value && typeof value == 'object' && !Array.isArray(value)) return value as T;
  log(`Ignored ${name}: not a JSON object`, { value: config[name] });
}

/** The plugins the config asks for; bandit code is loaded (and plugged in) once a bandit experiment shows up. */
function pluginsFor(config: ScriptConfig, loadBandits: () => Promise<void>, log: Logger): Plugin[] {
  const plugins: Plugin[] = [
    (host) => {
      const check = (features: FeatureDefinitions | undefined) => hasBanditRule(features) && host.addStartupTask(loadBandits());
      check(host.read().features);
      host.on('features', check);
    },
  ];
  const stream = config.featuresStream;
  if (config.featuresUrl) plugins.push(remote({ url: config.featuresUrl, stream: on(stream) || (stream !== 'false' && stream) || undefined }));
  const sixpackFile = config.sixpackUrl && loaded('splitflap.sixpack.js');
  if (sixpackFile) plugins.push(sixpackFile.sixpack({ baseUrl: config.sixpackUrl! }));
  else if (config.sixpackUrl) log('data-sixpack-url needs splitflap.sixpack.js: add <script src=".../splitflap.sixpack.js"></script> before splitflap.global.js. Sixpack experiments show their control.');
  return plugins;
}

/** The options `config` makes: consent through `splitflap.consent.js` when asked for. */
function optionsFor(config: ScriptConfig, plugins: Plugin[], log: Logger): ClientOptions<readonly Plugin[]> {
  const options: ClientOptions<readonly Plugin[]> = {
    cookie: config.cookieName ? { name: config.cookieName } : undefined,
    features: objectOf(config, 'features', log),
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
  if (config.consent == null) return options;
  const consentFile = loaded('splitflap.consent.js');
  // Without consent code nothing may be stored or reported: experiments show their control.
  if (!consentFile) {
    log('data-consent needs splitflap.consent.js: add <script src=".../splitflap.consent.js"></script> before splitflap.global.js. Experiments are off until it is there.');
    return { ...options, cookie: false, stickyBucketStore: false, enabled: false };
  }
  // With consent, the id comes from withConsent (no cookie is written before a grant).
  return consentFile.withConsent({ consent: config.consent }, options) as ClientOptions<readonly Plugin[]>;
}

/**
 * Start the page's client and apply declarative markup. Once per page: later calls return the
 * same client. A config with `sixpackUrl` or `consent` needs its add-on file's tag to have run
 * (see files.ts); the script tag itself waits for them.
 */
export function start(config: ScriptConfig = {}): PageClient {
  if (client) return client;
  const log: Logger = fn(config.log) || defaultLog;
  const inlineBandits: Record<string, BanditConfig> = {};
  let bandits: Promise<void> | undefined;
  // The file arrives after the client exists: plugged in with `client.use`.
  const loadBandits = () =>
    (bandits ||= loadFile('splitflap.bandits.js', baseUrl()).then(
      (file) => void client!.use(file.bandits({ experiments: inlineBandits })),
      (error: unknown) => log('Bandit experiments run with their own weights', { error }),
    ));
  const options = optionsFor(config, pluginsFor(config, loadBandits, log), log);
  const clientId = options.clientId || resolveClientId(undefined, options.cookie);
  client = createClient({
    ...options,
    clientId,
    // Spread, not assign: a `__proto__` key from JSON stays a plain property.
    attributes: { id: clientId, ...objectOf(config, 'attributes', log) },
  }) as PageClient;
  // Split-URL tests first: a page that is leaving binds no markup (see redirect.ts).
  const redirectFile = loaded('splitflap.redirect.js');
  if (redirectFile && redirectFile.redirectPage(client, config, log)) return client;
  bindMarkup(client, {
    antiFlicker: config.antiFlicker,
    antiFlickerTimeout: config.antiFlickerTimeout,
    goals: objectOf(config, 'goals', log),
    onBandit(name, bandit) {
      inlineBandits[name] = bandit;
      void loadBandits();
    },
  });
  if (devtoolsAllowed(config.devtools, location.href)) {
    loadFile('splitflap.devtools.js', baseUrl()).then(
      (file) => file.attachDevtools(client!, { enabled: true }),
      (error: unknown) => log('DevTools did not load', { error }),
    );
  }
  return client;
}

/** Start from the page's configuration once the add-on files it needs are in, then run the queue. */
function boot(win: Record<string, unknown>, config: ScriptConfig | undefined): void {
  const go = () => {
    try {
      if (config) start(config);
    } catch (error) {
      console.warn('[splitflap] Could not start', error);
    }
    // After this script has run, so the global `Splitflap` exists when the callbacks do.
    Promise.resolve().then(() => runQueue(win, () => [client, win.Splitflap]));
  };
  const missing = config ? addonsFor(config).filter((file) => !loaded(file)) : [];
  if (!missing.length) return go();
  console.warn(`[splitflap] This page needs ${missing.join(' and ')}: put ${missing.length > 1 ? 'their tags' : 'its tag'} before splitflap.global.js to start sooner. Loading now.`);
  Promise.all(missing.map((file) => loadFile(file, baseUrl()).catch((error: unknown) => console.warn('[splitflap]', error)))).then(go);
}

if (typeof document != 'undefined') {
  const win = window as unknown as Record<string, unknown>;
  if (win[LOADED]) {
    console.warn('[splitflap] The script tag is on this page twice; the second copy does nothing.');
  } else {
    win[LOADED] = true;
    const script = document.currentScript as HTMLScriptElement | null;
    base = (script && script.src) || '';
    boot(win, readConfig(script, win.splitflapConfig));
  }
}
