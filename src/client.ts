/**
 * The client ties identity, evaluation, sticky buckets and exposure together and tells
 * subscribers when anything that can change a result changes (`subscribe`/`getSnapshot`,
 * shaped for React's useSyncExternalStore). State lives in this closure, like a Zustand store.
 */
import { isBot } from './bots';
import { defaultLog } from './log';
import { forcedBucket, type ForcedBucket } from './edx';
import { evalFeature, featureResult, inSchedule, runExperiment, type EvalContext } from './evaluate';
import { resolveClientId, type CookieOptions } from './identity';
import { compileFeatures, type CompiledFeature } from './payload';
import { mergeStickyDocs, stickyAttributeKey, stickyExperimentKey, stickyValue } from './sticky';
import type { RemotePayload } from './remote';
import type { ArmStats } from './bandit';
import type { BanditState } from './bandit-runtime';
import type { ConvertResult, ParticipateOptions, ParticipateResult, SixpackClient, SixpackOptions } from './sixpack';
import { indexedDbStickyBucketStore } from './stores';
import type {
  Attributes,
  BanditConfig,
  ContextualBanditDefinition,
  Experiment,
  ExperimentResult,
  ExposureCallback,
  FeatureDefinitions,
  FeatureResult,
  Logger,
  SavedGroups,
  StickyAssignmentDocs,
  StickyBucketStore,
} from './types';

/** Map of feature keys to value types, declared once by an app for typed keys and values. */
export type FeatureMap = Record<string, unknown>;

/** Literal types widened (`'a'` → string), so a fallback's type is the value's type. */
export type WidenPrimitives<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;

/**
 * A named experiment for {@link Client.getBucket} and {@link Client.variant}: an {@link Experiment}
 * whose key is its name (variations are variant names for `variant()`; `getBucket()` makes its own).
 */
export interface ExperimentDefinition extends Partial<Experiment<string>> {
  /** Pin visitors matching a condition to a bucket (`getBucket`); when several match, the lowest bucket wins. */
  forcedBuckets?: ForcedBucket[];
  /**
   * Bring your own bucketing (baseplate's sha1 allocators, see `loadBaseplateConfig`): the variant
   * for these attributes, and the bucketing event to log for it, if any.
   */
  choose?(attributes: Attributes, nowSeconds: number): { variant: string | null; event?: [Experiment, ExperimentResult] };
}

/** Options of {@link createClient}. GrowthBook's context options are accepted with the same meaning. */
export interface ClientOptions {
  /** The visitor's id; default: read from the cookie, else generated and written to it. */
  clientId?: string;
  /** Cookie holding the client id; `false` never touches cookies. */
  cookie?: CookieOptions | false;
  /** Targeting and hashing attributes; default `{ id: clientId }`. Given attributes are used as they are. */
  attributes?: Attributes;
  /** Feature definitions in GrowthBook's payload format. */
  features?: FeatureDefinitions;
  /**
   * A URL serving a GrowthBook-format payload (`{ features, savedGroups?, encryptedFeatures? }`).
   * Cached (IndexedDB in browsers, shared memory on servers): a cached payload is used at once
   * while a stale one is revalidated (ETag). `ready()` waits for the first payload.
   */
  featuresUrl?: string;
  /** How long a cached payload counts as fresh; default 60 s. */
  cacheTtlMs?: number;
  /** Poll `featuresUrl` this often (long-lived pages and servers); default off. */
  refreshMs?: number;
  /** Sixpack mode: `participate`/`convert` against a Sixpack-compatible server. */
  sixpack?: Omit<SixpackOptions, 'stickyStore' | 'log'>;
  /** An encrypted `features` payload (`"iv.ciphertext"`), decrypted with `decryptionKey` before `ready()`. */
  encryptedFeatures?: string;
  decryptionKey?: string;
  savedGroups?: SavedGroups;
  /** Experiment key → forced variation index (QA, dev tools). */
  forcedVariations?: Record<string, number>;
  /** Feature key → forced value. */
  forcedFeatures?: Record<string, unknown> | Map<string, unknown>;
  /** Experiment key → fields overriding the experiment's definition. */
  overrides?: Record<string, Partial<Experiment>>;
  groups?: Record<string, boolean>;
  contextualBandits?: Record<string, ContextualBanditDefinition>;
  /** QA mode: nobody is bucketed except by forced variations. */
  qaMode?: boolean;
  /** `false` turns every experiment off (variation 0, no exposure). */
  enabled?: boolean;
  /** The page URL for URL targeting and `?experiment-key=N` overrides; default `location.href` in browsers. */
  url?: string;
  /** Honour `?experiment-key=N` in `url`; default true. Turn off where visitors must not pick variations. */
  allowUrlOverrides?: boolean;
  /** Treat bot user agents as not in any experiment; default true. A RegExp replaces the built-in pattern. */
  excludeBots?: boolean | RegExp;
  /** The visitor's user agent; default `navigator.userAgent` in browsers. Pass it on servers. */
  userAgent?: string;
  /** Named experiments for `getBucket()` and `variant()` (e.g. from `loadBaseplateConfig`). */
  experiments?: Record<string, ExperimentDefinition>;
  /**
   * Where sticky buckets are kept. Default: IndexedDB in browsers (falling back to localStorage,
   * then memory); on servers this client's memory only. `false` turns sticky bucketing off.
   */
  stickyBucketStore?: StickyBucketStore | false;
  /** Sticky docs known up front (e.g. from SSR), by `attributeName||attributeValue`. */
  stickyBucketAssignmentDocs?: StickyAssignmentDocs;
  /** Longest `ready()` waits for sticky docs and encrypted payloads; default 500 ms. */
  readyTimeoutMs?: number;
  /** Called once per visitor, experiment and variation when the visitor is put into an experiment. */
  onExposure?: ExposureCallback;
  /** Alias of `onExposure` (GrowthBook's name). */
  trackingCallback?: ExposureCallback;
  /** Receives problems Splitflap recovered from; default `console.warn`. */
  log?: Logger;
  // SSR hydration
  /**
   * Start from a server's {@link Client.getSnapshotForHydration}: its client id, attributes,
   * features (unless left out), forced values and sticky docs win over the options above, so the
   * first render matches the server's markup without waiting for anything.
   */
  hydrate?: HydrationSnapshot;
  /**
   * Bandit settings by experiment key, for experiments whose definitions do not carry `bandit`
   * themselves (e.g. Sixpack experiments, watched with `statsUrl` and {@link Client.getBandit}).
   */
  bandits?: Record<string, BanditConfig>;
  /** Per-arm stats known up front, by experiment key, in variation order (see {@link Client.setBanditStats}). */
  banditStats?: Record<string, ArmStats[]>;
}

export type { BanditState } from './bandit-runtime';

// Deferred exposure and SSR hydration
/** Options of {@link Client.evalFeature} and {@link Client.run}. */
export interface EvalOptions {
  /**
   * `true` (default): report the exposure and record the sticky bucket now. `false`: neither.
   * A function: neither, but each assignment that would have been reported is passed to it, so
   * a UI can report it later with {@link Client.trackExposure} (when the result is really shown).
   */
  track?: boolean | ExposureCallback;
  /**
   * Evaluate against the state the client was created with from `options.hydrate`, ignoring
   * sticky buckets or payloads that arrived since, so a hydrating render matches the server's.
   * Without `hydrate` this is the current state.
   */
  hydrating?: boolean;
}

/**
 * What a server hands the browser so its client renders the same markup at once: plain JSON
 * (escape `<` when inlining it in a `<script>`). See {@link ClientOptions.hydrate}.
 */
export interface HydrationSnapshot {
  clientId: string;
  attributes: Attributes;
  /** The feature definitions in use; absent with `getSnapshotForHydration({ features: false })`. */
  features?: FeatureDefinitions;
  savedGroups?: SavedGroups;
  forcedVariations?: Record<string, number>;
  forcedFeatures?: Record<string, unknown>;
  /** The sticky docs the server knew, Sixpack answers included. */
  stickyBucketAssignmentDocs?: StickyAssignmentDocs;
  /** Whether the server's client was ready (`<SplitflapReady>` renders the same on both sides). */
  ready?: boolean;
}

/** Sixpack answers live in sixpack.ts's own sticky doc: `sixpack_client_id||<id>`, key `sixpack:<experiment>__0`. */
const SIXPACK_ATTRIBUTE = 'sixpack_client_id';
const sixpackKey = (experiment: string) => stickyExperimentKey('sixpack:' + experiment);

/** What `getSnapshot()` returns: a new object whenever any result may have changed. */
export interface ClientSnapshot {
  readonly version: number;
  readonly ready: boolean;
}

/**
 * A Splitflap client: one per visitor (per request on servers). Every method is safe to call at
 * any time; evaluation never throws into the app.
 */
export interface Client<F extends FeatureMap = FeatureMap> {
  /** The visitor's stable id (cookie `sixpack_client_id` in browsers). */
  readonly clientId: string;
  /**
   * Resolves when stored sticky buckets (and an encrypted payload) are in, or after
   * `readyTimeoutMs`, whichever is first. Never rejects. Render after it and returning visitors
   * never see a variation flip.
   */
  ready(): Promise<void>;
  /** Evaluate feature `key`: its value and why (`source`). */
  evalFeature<K extends keyof F & string>(key: K, options?: EvalOptions): FeatureResult<F[K] | null>;
  /** Whether feature `key` evaluates to a truthy value. */
  isOn<K extends keyof F & string>(key: K): boolean;
  /** Whether feature `key` evaluates to a falsy value (or is unknown). */
  isOff<K extends keyof F & string>(key: K): boolean;
  /**
   * The value of feature `key`, or `fallback` when it is unknown, null, or of another type than
   * `fallback` (a string flag read as a number would otherwise leak into the app).
   */
  getFeatureValue<K extends keyof F & string, V extends F[K]>(key: K, fallback: V): WidenPrimitives<V>;
  /** Run an inline experiment. Visitors not in it get variation 0 with `inExperiment: false`. */
  run<T>(experiment: Experiment<T>, options?: EvalOptions): ExperimentResult<T>;
  /** The current attributes (a copy). */
  getAttributes(): Attributes;
  /** Replace the visitor's attributes; sticky buckets of new identities are loaded. */
  setAttributes(attributes: Attributes): void;
  /** Replace the feature definitions (GrowthBook payload `features`). Malformed parts are dropped and logged. */
  setFeatures(features: FeatureDefinitions): void;
  /** Decrypt and use an encrypted `features` payload. Rejects with a `DecryptionError` on a bad key or text. */
  setEncryptedFeatures(encrypted: string, decryptionKey: string): Promise<void>;
  /** Replace the forced variations (experiment key → variation index). */
  setForcedVariations(forced: Record<string, number>): void;
  /** Replace the forced feature values (feature key → value). */
  setForcedFeatures(forced: Record<string, unknown> | Map<string, unknown>): void;
  /** Set the URL used for URL targeting and overrides (e.g. after a client-side navigation). */
  setURL(url: string): void;
  /** Set (or clear) the exposure callback; exposures recorded before it are delivered now. */
  setOnExposure(callback: ExposureCallback | undefined): void;
  /** The sticky docs this client knows, by `attributeName||attributeValue`. */
  getStickyBucketAssignmentDocs(): StickyAssignmentDocs;
  /**
   * The visitor's numbered bucket in `experimentKey` (Open edX style): 0 is control, and also
   * what a visitor outside the experiment gets. `scope` (e.g. a course id) hashes a visitor
   * independently per scope. Forced buckets from `experiments[key].forcedBuckets` win. The
   * exposure fires once per visitor, experiment and scope per browser session, bucket 0 included.
   */
  getBucket(experimentKey: string, options?: { numBuckets?: number; scope?: string }): number;
  /**
   * The variant of experiment `name` (from `options.experiments`) for this visitor, or `null`
   * when they are not in it. The bucketing event is logged at most once per (experiment,
   * visitor, variant). `attributes` are merged over the client's for this call.
   */
  variant(name: string, attributes?: Attributes): string | null;
  /** Log an exposure of `variant` of experiment `name` explicitly (never deduplicated). */
  expose(name: string, variant: string): void;
  /** Fetch `featuresUrl` now; resolves `true` when the payload changed. Never rejects. */
  refreshFeatures(): Promise<boolean>;
  /**
   * Sixpack mode: the visitor's alternative of `experiment` from the server (`options.sixpack`).
   * The first alternative is the control, returned on any failure (`source: 'fallback'`, with
   * `error`). Rejects only on programmer errors: invalid names, fewer than 2 alternatives, or no
   * `sixpack.baseUrl` configured.
   */
  participate(experiment: string, alternatives: string[], options?: ParticipateOptions): Promise<ParticipateResult>;
  /** Sixpack mode: count a conversion (optionally for a KPI); queued and retried until the server has it. */
  convert(experiment: string, options?: { kpi?: string }): Promise<ConvertResult>;
  /** Listen for changes that may change results. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** A value that changes (by identity) exactly when results may have changed. */
  getSnapshot(): ClientSnapshot;
  /** Drop listeners and the exposure callback. */
  destroy(): void;
  /**
   * Report an assignment handed to an `EvalOptions.track` function: the exposure (deduplicated
   * as usual: once per identity, experiment and variation) and the sticky bucket.
   */
  trackExposure(experiment: Experiment, result: ExperimentResult): void;
  /** A small JSON-safe snapshot for `createClient({ hydrate })` in the browser (SSR). */
  getSnapshotForHydration(options?: { features?: boolean }): HydrationSnapshot;
  /**
   * Sixpack mode: the alternative of `experiment` this client already knows (remembered in the
   * sticky store, answered earlier, or from `hydrate`), synchronously; `undefined` if none yet.
   */
  getParticipation(experiment: string, options?: Pick<EvalOptions, 'hydrating'>): string | undefined;
  /**
   * Give bandit experiment `experimentKey` new per-arm stats (variation order). Its weights are
   * recomputed (resolves once they apply; never rejects) and subscribers are told. New visitors
   * follow the weights; visitors with a sticky bucket keep their arm. Stats for an experiment not
   * seen yet are kept until it is.
   */
  setBanditStats(experimentKey: string, stats: ArmStats[]): Promise<void>;
  /** The current weights, winner and stats of bandit experiment `experimentKey`, once it has stats. */
  getBandit(experimentKey: string): BanditState | undefined;
  /** Fetch every bandit's `statsUrl` now. Never rejects. */
  refreshBandits(): Promise<void>;
}


/** At most this many exposures wait for a callback; past it the oldest are dropped (and logged). */
const MAX_PENDING = 1000;

/** A null-prototype copy: attribute names from outside can never reach Object.prototype. */
const safeCopy = <T>(source?: Record<string, T>): Record<string, T> => Object.assign(Object.create(null), source);

/**
 * Sticky docs by `attr||value`. A plain object, not a null-prototype one: V8 writes those several
 * times slower, and every key contains `||`, so no key can name anything inherited.
 */
function stickyDocsCopy(docs?: StickyAssignmentDocs): StickyAssignmentDocs {
  const copy: StickyAssignmentDocs = {};
  for (const key in docs) if (key.indexOf('||') > 0 && Object.prototype.hasOwnProperty.call(docs, key)) copy[key] = docs[key];
  return copy;
}

/** The experiment rules of compiled features that carry a bandit, found once per payload. */
const banditRulesCache = new WeakMap<Map<string, CompiledFeature>, Experiment[]>();
function banditRules(features: Map<string, CompiledFeature>): Experiment[] {
  let found = banditRulesCache.get(features);
  if (!found) {
    found = [];
    for (const feature of features.values()) for (const { exp } of feature.rules) if (exp && exp.bandit) found.push(exp);
    banditRulesCache.set(features, found);
  }
  return found;
}

const toMap = (forced?: Record<string, unknown> | Map<string, unknown>) =>
  forced && new Map(forced instanceof Map ? forced : Object.entries(forced));

/** The identities sticky buckets are keyed by: every hash and fallback attribute the features use. */
function stickyIdentities(ctx: EvalContext): Record<string, string> {
  const names = new Set(['id']);
  for (const feature of ctx.features.values()) {
    for (const { exp } of feature.rules) {
      if (exp) names.add(exp.hashAttribute || 'id').add(exp.fallbackAttribute || 'id');
    }
  }
  const identities: Record<string, string> = {};
  for (const name of names) {
    const value = ctx.attributes[name];
    if (value) identities[name] = stickyValue(value);
  }
  return identities;
}

/** A definition as the experiment of evaluation and events: keyed by name, without client-only fields. */
function eventExperiment(name: string, definition: ExperimentDefinition, variations: string[]): Experiment {
  const { choose, forcedBuckets, ...experiment } = definition;
  return { variations, ...experiment, key: name };
}

/** Whether `key` is new in this browser session (sessionStorage), else in `fallback` (this client). */
function firstInSession(key: string, fallback: Set<string>): boolean {
  const storageKey = 'splitflap:exposed:' + key;
  try {
    if (sessionStorage.getItem(storageKey)) return false;
    sessionStorage.setItem(storageKey, '1');
    return true;
  } catch {
    if (fallback.has(key)) return false;
    fallback.add(key);
    return true;
  }
}

/** Create a client. Cheap: nothing is read or written until it is used (beyond the id cookie in browsers). */
export function createClient<F extends FeatureMap = FeatureMap>(options: ClientOptions = {}): Client<F> {
  const log = options.log || defaultLog;
  // A hydrating client starts from the server's state
  const hydrate = options.hydrate;
  if (hydrate) {
    options = {
      ...options,
      ...hydrate,
      features: hydrate.features || options.features,
      stickyBucketAssignmentDocs: { ...options.stickyBucketAssignmentDocs, ...hydrate.stickyBucketAssignmentDocs },
    };
  }
  /** The definitions as given, for getSnapshotForHydration (the context holds compiled ones). */
  let rawFeatures = options.features;
  const clientId = resolveClientId(options.clientId, options.cookie);
  const {
    userAgent = typeof navigator != 'undefined' ? navigator.userAgent : undefined,
    url = typeof location != 'undefined' ? location.href : undefined,
    excludeBots: bots,
    readyTimeoutMs = 500,
  } = options;
  // Without a store, sticky docs live in this client only: on a server (a client per request)
  // that is all a memory store could give, without its start-up cost.
  const store =
    options.stickyBucketStore ||
    (options.stickyBucketStore !== false && typeof indexedDB != 'undefined' ? indexedDbStickyBucketStore({ log }) : null);
  const experiments = safeCopy(options.experiments);
  let onExposure = options.onExposure || options.trackingCallback;
  /** Exposures already reported, by identity, experiment and variation. */
  const exposed = new Set<string>();
  const exposedInSession = new Set<string>();
  /** Exposures made while there is no callback, delivered when one is set. */
  let pending: [Experiment, ExperimentResult][] = [];
  const listeners = new Set<() => void>();
  /** Settles once every start-up task so far (sticky loads, decryption) has settled. */
  let startup: Promise<unknown> = Promise.resolve();
  /** Sticky keys whose docs changed since the last write. */
  const unsaved = new Set<string>();
  /** The last result handled per experiment: repeated evaluations skip all bookkeeping. */
  const lastAssigned = new Map<string, ExperimentResult>();
  let loadsInFlight = 0;
  /** Exposures made while stored assignments were loading, reported once those confirm them. */
  let held: [Experiment, ExperimentResult, string][] = [];
  let snapshot: ClientSnapshot = { version: 0, ready: !!(hydrate && hydrate.ready) };

  const ctx: EvalContext = {
    savedGroups: options.savedGroups,
    groups: options.groups,
    qaMode: options.qaMode,
    allowUrlOverrides: options.allowUrlOverrides,
    attributes: safeCopy(options.attributes || { id: clientId }),
    features: compileFeatures(options.features, log),
    forcedVariations: safeCopy(options.forcedVariations),
    forcedFeatures: toMap(options.forcedFeatures),
    overrides: safeCopy(options.overrides),
    onBandit: (exp) => registerBandit(exp.key, exp.bandit!, exp),
    contextualBandits: safeCopy(options.contextualBandits),
    url,
    enabled: options.enabled !== false && !(bots !== false && isBot(userAgent, bots === true ? null : bots)),
    stickyDocs: options.stickyBucketStore === false ? undefined : stickyDocsCopy(options.stickyBucketAssignmentDocs),
    onAssignment: assigned,
  };

  /** The state `hydrate` gave, frozen (setters replace the fields, sticky docs are copied). */
  const hydrationCtx: EvalContext | undefined = hydrate && { ...ctx, stickyDocs: ctx.stickyDocs && { ...ctx.stickyDocs } };

  /** The context one evaluation uses: `track` defers (or drops) exposure and sticky writes. */
  function evalContext(o?: EvalOptions): EvalContext {
    const base = (o && o.hydrating && hydrationCtx) || ctx;
    const track = o && o.track;
    return !o || track === undefined || track === true ? base : { ...base, onAssignment: track || undefined };
  }

  /** Keep a Sixpack answer in memory (sixpack.ts persists it), so it renders at once next time. */
  function rememberParticipation(experiment: string, alternative: string): void {
    const docs = ctx.stickyDocs;
    if (!docs || client.getParticipation(experiment) === alternative) return;
    const key = stickyAttributeKey(SIXPACK_ATTRIBUTE, clientId);
    docs[key] = mergeStickyDocs(docs[key], { attributeName: SIXPACK_ATTRIBUTE, attributeValue: clientId, assignments: { [sixpackKey(experiment)]: alternative } });
    notify();
  }

  // Stats → weights in `ctx.overrides`, under the app's own overrides
  interface BanditEntry {
    config: BanditConfig;
    /** Variation names (meta keys, else the values) to match a Sixpack server's alternatives. */
    names?: string[];
    state?: BanditState;
    timer?: ReturnType<typeof setInterval>;
    failed?: boolean;
  }
  const userOverrides = safeCopy(options.overrides);
  /** Settles when the bandits of the latest definitions have their first stats (or failed to). */
  let banditsRegistered: Promise<void> = Promise.resolve();
  const bandits = new Map<string, BanditEntry>();
  const banditStats = new Map<string, ArmStats[]>(Object.entries(options.banditStats || {}));
  type BanditRuntime = typeof import('./bandit-runtime');
  let banditRuntime: Promise<BanditRuntime> | undefined;
  /** The runtime once loaded: stats known before an experiment is first seen then apply to that very evaluation. */
  let loadedRuntime: BanditRuntime | undefined;
  const runtime = () => (banditRuntime ||= import('./bandit-runtime').then((rt) => (loadedRuntime = rt)));

  /** Start tracking a bandit experiment (again, if its settings changed). Cheap when nothing changed. */
  function registerBandit(key: string, config: BanditConfig, exp?: Pick<Experiment, 'variations' | 'meta'>): Promise<void> {
    const old = bandits.get(key);
    if (old && (old.config === config || JSON.stringify(old.config) === JSON.stringify(config))) return Promise.resolve();
    if (old && old.timer) clearInterval(old.timer);
    const names = exp && exp.variations && exp.variations.length ? exp.variations.map((v, i) => (exp.meta && exp.meta[i] && exp.meta[i].key) || String(v)) : undefined;
    const entry: BanditEntry = { config, names, state: undefined };
    bandits.set(key, entry);
    const tasks: Promise<void>[] = [];
    const stats = banditStats.get(key);
    // Synchronously when possible (registration runs inside evaluation; subscribers hear of it after).
    if (stats && loadedRuntime) {
      if (computeBanditState(loadedRuntime, key, stats)) queueMicrotask(() => notify());
    } else if (stats) tasks.push(applyBanditStats(key, stats));
    if (config.statsUrl) {
      tasks.push(fetchBanditStats(key, entry));
      if (config.refreshMs && config.refreshMs > 0) {
        entry.timer = setInterval(() => void fetchBanditStats(key, entry), config.refreshMs);
        const t = entry.timer as { unref?: () => void };
        if (t.unref) t.unref();
      }
    }
    return Promise.all(tasks).then(() => undefined);
  }

  function fetchBanditStats(key: string, entry: BanditEntry): Promise<void> {
    const url = entry.config.statsUrl!;
    return runtime()
      .then((rt) => rt.fetchBanditStats(url, entry.names))
      .then(
        (stats) => {
          entry.failed = false;
          if (bandits.get(key) !== entry) return;
          banditStats.set(key, stats);
          return applyBanditStats(key, stats);
        },
        (error: unknown) => {
          // Logged once per run of failures; the last good weights stay in use.
          if (!entry.failed) log('Fetching bandit stats failed', { experiment: key, url, error });
          entry.failed = true;
        },
      );
  }

  /** Recompute a bandit's weights and winner from `stats`; bad stats are logged and ignored. */
  function applyBanditStats(key: string, stats: ArmStats[]): Promise<void> {
    return runtime().then(
      (rt) => void (computeBanditState(rt, key, stats) && notify()),
      (error: unknown) => log('Could not load bandit code', { error }),
    );
  }

  /** Weights and winner of bandit `key` from `stats` into `ctx.overrides`; false (logged) for bad stats. */
  function computeBanditState(rt: BanditRuntime, key: string, stats: ArmStats[]): boolean {
    const entry = bandits.get(key);
    if (!entry) return false;
    try {
      if (entry.names && stats.length !== entry.names.length) throw new RangeError(`expected ${entry.names.length} arms, got ${stats.length}`);
      entry.state = rt.computeBandit(key, entry.config, stats);
    } catch (error) {
      log('Ignored bad bandit stats', { experiment: key, error });
      return false;
    }
    rebuildOverrides();
    return true;
  }

  /** The app's overrides, with each bandit's weights (or, on `reassign`, its winner) beneath them. */
  function rebuildOverrides(): void {
    const merged = safeCopy(userOverrides);
    bandits.forEach((entry, key) => {
      const state = entry.state;
      if (!state) return;
      const pinned = state.winner !== null && entry.config.winner && entry.config.winner.reassign;
      merged[key] = { ...(pinned ? { globalOverride: state.winner! } : { weights: state.weights }), ...userOverrides[key] };
    });
    ctx.overrides = merged;
  }

  /**
   * Register the bandits definitions carry (features, named experiments, `options.bandits`).
   * Without any (the common case, and every per-request server client) nothing is allocated.
   */
  function registerDefinedBandits(): Promise<void> | undefined {
    const tasks: Promise<void>[] = [];
    for (const exp of banditRules(ctx.features)) tasks.push(registerBandit(exp.key, exp.bandit!, exp));
    for (const name of Object.keys(experiments)) {
      const definition = experiments[name];
      if (definition.bandit) tasks.push(registerBandit(name, definition.bandit, definition as Experiment));
    }
    for (const name of Object.keys(options.bandits || {})) tasks.push(registerBandit(name, options.bandits![name]));
    if (tasks.length) return (banditsRegistered = Promise.all(tasks).then(() => undefined));
  }

  function notify(ready = snapshot.ready): void {
    snapshot = { version: snapshot.version + 1, ready };
    listeners.forEach((listener) => {
      try {
        listener();
      } catch (error) {
        log('Subscriber threw', { error });
      }
    });
  }

  /** Make `ready()` wait for a start-up task too (whether it succeeds or not). */
  function waitFor(task: Promise<unknown> | undefined): void {
    if (task) startup = Promise.all([startup, task.catch(() => undefined)]);
  }

  /** Report an exposure, or keep it until a callback is set. */
  function expose(experiment: Experiment, result: ExperimentResult): void {
    if (!onExposure) {
      if (pending.push([experiment, result]) > MAX_PENDING) {
        pending.shift();
        log('No onExposure callback: dropped the oldest exposure');
      }
      return;
    }
    try {
      onExposure(experiment, result);
    } catch (error) {
      log('onExposure callback threw', { experiment: experiment.key, error });
    }
  }

  /** Called by evaluation for every hashed in-experiment result: exposure, then sticky bucket. */
  function assigned(experiment: Experiment, result: ExperimentResult): void {
    const { hashAttribute, hashValue } = result;
    const last = lastAssigned.get(experiment.key);
    if (last && last.variationId === result.variationId && last.hashValue === hashValue && last.hashAttribute === hashAttribute) {
      return;
    }
    lastAssigned.set(experiment.key, result);
    const id = hashAttribute + '|' + hashValue + '|' + experiment.key + '|' + result.variationId;
    // While stored assignments load, this may be a returning visitor's provisional variation:
    // report it only once the stored docs confirm it (see loadStickyDocs).
    if (loadsInFlight && ctx.stickyDocs && !experiment.disableStickyBucketing) held.push([experiment, result, id]);
    else exposeOnce(experiment, result, id);
    remember(experiment, result);
  }

  /** Whether the sticky docs hold `result`'s variation for `experiment` (stored ones won on load). */
  function confirmed(experiment: Experiment, result: ExperimentResult): boolean {
    const doc = ctx.stickyDocs![stickyAttributeKey(result.hashAttribute, stickyValue(result.hashValue))];
    return !!doc && doc.assignments[stickyExperimentKey(experiment.key, experiment.bucketVersion)] === result.key;
  }

  /** Report an exposure unless `id` was already reported by this client. */
  function exposeOnce(experiment: Experiment, result: ExperimentResult, id: string): void {
    if (exposed.has(id)) return;
    exposed.add(id);
    expose(experiment, result);
  }

  /** Record the assignment as a sticky bucket (saved at the end of the tick). */
  function remember(experiment: Experiment, result: ExperimentResult): void {
    const docs = ctx.stickyDocs;
    if (!docs || experiment.disableStickyBucketing) return;
    const attributeValue = stickyValue(result.hashValue);
    const key = stickyAttributeKey(result.hashAttribute, attributeValue);
    const expKey = stickyExperimentKey(experiment.key, experiment.bucketVersion);
    if (docs[key] && docs[key].assignments[expKey] === result.key) return;
    docs[key] = mergeStickyDocs(docs[key], { attributeName: result.hashAttribute, attributeValue, assignments: { [expKey]: result.key } });
    if (!store) return;
    if (!unsaved.size) queueMicrotask(save);
    unsaved.add(key);
  }

  /**
   * Write the changed docs, each once however often it changed this tick. Not while stored docs
   * are loading (the load's end calls this): they could hold assignments that must win.
   */
  function save(): void {
    if (loadsInFlight) return;
    unsaved.forEach((key) => {
      store!.saveAssignments(ctx.stickyDocs![key]).catch((error: unknown) => log('Saving sticky buckets failed', { error }));
    });
    unsaved.clear();
  }

  /** Load stored docs for the current identities. Stored assignments win over provisional ones. */
  function loadStickyDocs(): void {
    if (!store) return;
    const identities = stickyIdentities(ctx);
    if (options.sixpack) identities[SIXPACK_ATTRIBUTE] = clientId; // remembered Sixpack answers render at once
    loadsInFlight++;
    waitFor(
      (store.getAllAssignments
        ? store.getAllAssignments(identities)
        : Promise.all(Object.keys(identities).map((name) => store.getAssignments(name, identities[name])))
      )
        .then((found) => {
          const docs = ctx.stickyDocs!;
          let changed = false;
          for (const doc of Object.values(found)) {
            if (!doc) continue;
            const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
            docs[key] = mergeStickyDocs(docs[key], doc);
            changed = true;
          }
          // Results may move: evaluate afresh, bookkeeping included, and tell subscribers.
          if (changed) {
            lastAssigned.clear();
            notify();
          }
        })
        .catch((error: unknown) => log('Loading sticky buckets failed', { error }))
        .then(() => {
          if (--loadsInFlight) return;
          save();
          const confirmedNow = held.filter(([experiment, result]) => confirmed(experiment, result));
          held = [];
          for (const [experiment, result, id] of confirmedNow) exposeOnce(experiment, result, id);
        }),
    );
  }

  /** Use a payload from `featuresUrl`; encrypted features need `decryptionKey`. */
  function applyPayload(payload: RemotePayload): Promise<void> | void {
    if (payload.savedGroups) ctx.savedGroups = payload.savedGroups as SavedGroups;
    // `ready()` also waits for the first stats of the payload's bandits (within its timeout).
    if (payload.encryptedFeatures) {
      return client
        .setEncryptedFeatures(payload.encryptedFeatures, options.decryptionKey || '')
        .then(() => banditsRegistered, () => undefined);
    }
    client.setFeatures(payload.features as FeatureDefinitions);
    return banditsRegistered;
  }

  /** The last payload's application: decryption is async, and `ready()`/`refreshFeatures()` wait for it. */
  let applying: Promise<void> | void;
  // Network code loads only when used (separate chunks in ESM builds): local evaluation never pays for it.
  const payloadSource =
    options.featuresUrl &&
    import('./remote').then(({ createPayloadSource }) =>
      createPayloadSource({
        url: options.featuresUrl!,
        cacheTtlMs: options.cacheTtlMs,
        refreshMs: options.refreshMs,
        log,
        onPayload: (payload) => void (applying = applyPayload(payload)),
      }),
    );
  let sixpackClient: Promise<SixpackClient> | undefined;
  function sixpack(): Promise<SixpackClient> {
    const config = options.sixpack;
    if (!config || !config.baseUrl) return Promise.reject(new TypeError('participate/convert need options.sixpack.baseUrl'));
    return (sixpackClient ||= import('./sixpack').then(({ createSixpackClient }) =>
      createSixpackClient(clientId, { userAgent, url, ...config, log, stickyStore: store || undefined }),
    ));
  }

  const client: Client<F> = {
    clientId,
    ready() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((resolve) => (timer = setTimeout(resolve, readyTimeoutMs)));
      return Promise.race([startup, timeout]).then(() => {
        clearTimeout(timer);
        if (!snapshot.ready) notify(true);
      });
    },
    evalFeature(key, evalOptions) {
      try {
        return evalFeature(evalContext(evalOptions), key) as FeatureResult<never>;
      } catch (error) {
        log('Feature evaluation failed', { feature: key, error });
        return featureResult(null, 'unknownFeature') as FeatureResult<never>;
      }
    },
    isOn: (key) => client.evalFeature(key).on,
    isOff: (key) => client.evalFeature(key).off,
    getFeatureValue(key, fallback) {
      const value = client.evalFeature(key).value as unknown;
      if (value == null) return fallback as never;
      if (fallback != null && typeof value !== typeof fallback) {
        log('Value type differs from fallback', { feature: key, value });
        return fallback as never;
      }
      return value as never;
    },
    run<T>(experiment: Experiment<T>, evalOptions?: EvalOptions) {
      try {
        return runExperiment(evalContext(evalOptions), experiment as Experiment, null) as ExperimentResult<T>;
      } catch (error) {
        log('Experiment failed', { experiment: experiment && experiment.key, error });
        const value = ((experiment && experiment.variations) || [])[0];
        return { key: '0', featureId: null, inExperiment: false, hashUsed: false, variationId: 0, value, hashAttribute: 'id', hashValue: '', stickyBucketUsed: false };
      }
    },
    getAttributes: () => ({ ...ctx.attributes }),
    setAttributes(attributes) {
      ctx.attributes = safeCopy(attributes);
      loadStickyDocs();
      notify();
    },
    setFeatures(features) {
      rawFeatures = features; // for the hydration snapshot
      ctx.features = compileFeatures(features, log);
      registerDefinedBandits();
      loadStickyDocs();
      notify();
    },
    async setEncryptedFeatures(encrypted, decryptionKey) {
      try {
        const { decrypt } = await import('./decrypt');
        client.setFeatures(JSON.parse(await decrypt(encrypted, decryptionKey)));
      } catch (error) {
        log('Could not use encrypted features', { error });
        throw error;
      }
    },
    setForcedVariations(forced) {
      ctx.forcedVariations = safeCopy(forced);
      notify();
    },
    setForcedFeatures(forced) {
      ctx.forcedFeatures = toMap(forced);
      notify();
    },
    setURL(url) {
      ctx.url = url;
      notify();
    },
    setOnExposure(callback) {
      onExposure = callback;
      const queued = pending;
      pending = [];
      // Without a callback they simply queue up again.
      for (const [experiment, result] of queued) expose(experiment, result);
    },
    getStickyBucketAssignmentDocs: () => ({ ...ctx.stickyDocs }),
    refreshFeatures: () =>
      payloadSource
        ? payloadSource.then((source) => source.refresh()).then((changed) => Promise.resolve(applying).then(() => changed))
        : Promise.resolve(false),
    participate: (experiment, alternatives, participateOptions) =>
      sixpack()
        .then((s) => s.participate(experiment, alternatives, participateOptions))
        // Answers the visitor really has (not forced ones, not the failure fallback) are kept in memory too.
        .then((result) => {
          if ((result.source == 'server' || result.source == 'sticky') && !(participateOptions && participateOptions.force != null)) {
            rememberParticipation(experiment, result.alternative);
          }
          return result;
        }),
    convert: (experiment, convertOptions) => sixpack().then((s) => s.convert(experiment, convertOptions)),
    getBucket(experimentKey, { numBuckets = 2, scope } = {}) {
      const definition = experiments[experimentKey] || {};
      const exp = eventExperiment(scope ? experimentKey + '.' + scope : experimentKey, definition, []) as Experiment<number>;
      exp.hashVersion = definition.hashVersion || 2;
      for (let i = 0; i < numBuckets; i++) exp.variations.push(i);
      // Forced buckets apply while the experiment is on (as edX checks them after its window).
      const forced =
        definition.forcedBuckets && definition.enabled !== false && inSchedule(exp)
          ? forcedBucket(definition.forcedBuckets, ctx.attributes, ctx.savedGroups)
          : null;
      // Exposure follows edX (once per session, below), so evaluation only remembers the bucket.
      const live: EvalContext = { ...ctx, onAssignment: remember };
      if (forced !== null && forced < numBuckets) live.forcedVariations = { ...ctx.forcedVariations, [exp.key]: forced };
      const result = runExperiment(live, exp, null);
      if (result.inExperiment && (result.hashUsed || live.forcedVariations !== ctx.forcedVariations) && firstInSession(exp.key + '|' + result.hashValue, exposedInSession)) {
        expose(exp, result);
      }
      return result.inExperiment ? result.variationId : 0;
    },
    variant(name, attributes) {
      const definition = experiments[name];
      if (!definition) return null;
      const merged = attributes ? safeCopy({ ...ctx.attributes, ...attributes }) : ctx.attributes;
      if (definition.choose) {
        const { variant, event } = definition.choose(merged, Date.now() / 1000);
        if (event) exposeOnce(event[0], event[1], name + '|' + event[1].hashValue + '|' + variant);
        return variant;
      }
      const result = runExperiment(attributes ? { ...ctx, attributes: merged } : ctx, eventExperiment(name, definition, []), null);
      return result.inExperiment ? String(result.value) : null;
    },
    expose(name, variant) {
      const definition = experiments[name] || {};
      const experiment = eventExperiment(name, definition, [variant]);
      const index = Math.max(0, experiment.variations.indexOf(variant));
      expose(experiment, {
        key: variant,
        value: variant,
        variationId: index,
        inExperiment: true,
        hashUsed: false,
        hashAttribute: definition.hashAttribute || 'id',
        hashValue: stickyValue(ctx.attributes[definition.hashAttribute || 'id'] ?? ''),
        featureId: null,
        stickyBucketUsed: false,
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    trackExposure(experiment, result) {
      // Only what evaluation hands to `track`: hashed, in-experiment results.
      if (result && result.inExperiment && result.hashUsed) assigned(experiment, result);
    },
    // Setters replace these objects, never mutate them: no copies needed. JSON drops what is undefined.
    getSnapshotForHydration: ({ features = true } = {}) => ({
      clientId,
      attributes: { ...ctx.attributes },
      features: features ? rawFeatures : undefined,
      savedGroups: ctx.savedGroups,
      forcedVariations: { ...ctx.forcedVariations },
      forcedFeatures: ctx.forcedFeatures && Object.fromEntries(ctx.forcedFeatures),
      stickyBucketAssignmentDocs: { ...ctx.stickyDocs },
      ready: snapshot.ready,
    }),
    getParticipation(experiment, o) {
      const docs = ((o && o.hydrating && hydrationCtx) || ctx).stickyDocs;
      const doc = docs && docs[stickyAttributeKey(SIXPACK_ATTRIBUTE, clientId)];
      return doc ? doc.assignments[sixpackKey(experiment)] : undefined;
    },
    setBanditStats(experimentKey, stats) {
      banditStats.set(experimentKey, stats);
      // Unknown yet: kept (and the code loaded) so the experiment's first evaluation already uses them.
      return bandits.has(experimentKey) ? applyBanditStats(experimentKey, stats) : runtime().then(() => undefined, () => undefined);
    },
    getBandit: (experimentKey) => {
      const entry = bandits.get(experimentKey);
      return entry && entry.state;
    },
    refreshBandits() {
      const tasks: Promise<void>[] = [];
      bandits.forEach((entry, key) => {
        if (entry.config.statsUrl) tasks.push(fetchBanditStats(key, entry));
      });
      return Promise.all(tasks).then(() => undefined);
    },
    destroy() {
      bandits.forEach((entry) => entry.timer && clearInterval(entry.timer));
      if (payloadSource) payloadSource.then((source) => source.destroy());
      if (sixpackClient) sixpackClient.then((s) => s.destroy());
      listeners.clear();
      onExposure = undefined;
    },
  };

  if (options.encryptedFeatures) waitFor(client.setEncryptedFeatures(options.encryptedFeatures, options.decryptionKey || ''));
  if (payloadSource) waitFor(payloadSource.then((source) => source.start()).then(() => applying));
  // Deliver what an earlier page left in the Sixpack queue (a conversion made while offline).
  if (options.sixpack && typeof window != 'undefined') sixpack().then((s) => s.flush(), () => undefined);
  loadStickyDocs();
  waitFor(registerDefinedBandits());
  return client;
}
