/**
 * The Client ties identity, evaluation, sticky buckets and exposure together and tells
 * subscribers when anything that can change a result changes (`subscribe`/`getSnapshot`,
 * shaped for React's useSyncExternalStore).
 */
import { isBot } from './bots';
import { decrypt } from './decrypt';
import { evalFeature, runExperiment, type EvalContext } from './evaluate';
import { createExposureTracker, type ExposureTracker } from './exposure';
import { resolveClientId, type CookieOptions } from './identity';
import { compileFeatures } from './payload';
import { memoryStickyBucketStore, mergeStickyDocs, stickyAttributeKey, stickyExperimentKey } from './sticky';
import type {
  Attributes,
  ContextualBanditDefinition,
  Experiment,
  ExperimentResult,
  ExposureCallback,
  FeatureDefinitions,
  FeatureResult,
  Logger,
  SavedGroups,
  StickyAssignmentDocs,
  StickyAssignmentsDocument,
  StickyBucketStore,
} from './types';

/** Map of feature keys to value types, declared once by an app for typed keys and values. */
export type FeatureMap = Record<string, unknown>;

/** Literal types widened (`'a'` → string), so a fallback's type is the value's type. */
export type WidenPrimitives<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;

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
  /** Where sticky buckets are kept; default an in-memory store. `false` turns sticky bucketing off. */
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
}

/** What `getSnapshot()` returns: a new object whenever any result may have changed. */
export interface ClientSnapshot {
  readonly version: number;
  readonly ready: boolean;
}

const defaultLog: Logger = (message, context) => {
  if (typeof console !== 'undefined') console.warn('[splitflap] ' + message, context === undefined ? '' : context);
};

/** A null-prototype copy: attribute names from outside can never reach Object.prototype. */
function safeCopy<T>(source: Record<string, T> | undefined): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, source);
}

/** The attributes sticky buckets are keyed by: every hash and fallback attribute the features use. */
function stickyIdentities(ctx: EvalContext): Record<string, string> {
  const names = new Set(['id']);
  for (const feature of ctx.features.values()) {
    for (const { exp } of feature.rules) {
      if (!exp) continue;
      names.add(exp.hashAttribute || 'id');
      if (exp.fallbackAttribute) names.add(exp.fallbackAttribute);
    }
  }
  const identities: Record<string, string> = {};
  for (const name of names) {
    const value = ctx.attributes[name];
    if (value) identities[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return identities;
}

/**
 * A Splitflap client. Create one per visitor (per request on servers) with {@link createClient}.
 * Every method is safe to call at any time: evaluation never throws into the app.
 */
export class Client<F extends FeatureMap = FeatureMap> {
  /** The visitor's stable id (cookie `sixpack_client_id` in browsers). */
  readonly clientId: string;
  private readonly ctx: EvalContext;
  private readonly log: Logger;
  private readonly exposures: ExposureTracker;
  private readonly store: StickyBucketStore | null;
  private readonly listeners = new Set<() => void>();
  private snapshot: ClientSnapshot = { version: 0, ready: false };
  private readonly readyTimeoutMs: number;
  private loading = new Set<Promise<unknown>>();
  /** Sticky keys assigned while stored docs were loading: stored assignments win over them. */
  private provisional = new Set<string>();
  private loadsInFlight = 0;
  private dirty = new Set<string>();

  constructor(options: ClientOptions = {}) {
    const log = options.log || defaultLog;
    this.log = log;
    this.clientId = resolveClientId(options.clientId, options.cookie);
    this.readyTimeoutMs = options.readyTimeoutMs ?? 500;
    const browser = typeof window !== 'undefined';
    const userAgent = options.userAgent ?? (typeof navigator !== 'undefined' ? navigator.userAgent : undefined);
    const bots = options.excludeBots ?? true;
    const bot = bots !== false && isBot(userAgent, bots === true ? undefined : bots);
    this.store = options.stickyBucketStore === false ? null : options.stickyBucketStore || memoryStickyBucketStore();
    this.exposures = createExposureTracker(log, options.onExposure || options.trackingCallback);

    const forcedFeatures = options.forcedFeatures;
    this.ctx = {
      attributes: safeCopy(options.attributes || { id: this.clientId }),
      features: compileFeatures(options.features, log),
      savedGroups: options.savedGroups,
      forcedVariations: options.forcedVariations && safeCopy(options.forcedVariations),
      forcedFeatures: forcedFeatures instanceof Map ? forcedFeatures : forcedFeatures && new Map(Object.entries(forcedFeatures)),
      overrides: options.overrides && safeCopy(options.overrides),
      contextualBandits: options.contextualBandits && safeCopy(options.contextualBandits),
      groups: options.groups,
      url: options.url ?? (browser && typeof location !== 'undefined' ? location.href : undefined),
      allowUrlOverrides: options.allowUrlOverrides !== false,
      qaMode: options.qaMode,
      enabled: options.enabled !== false && !bot,
      stickyDocs: this.store ? safeCopy(options.stickyBucketAssignmentDocs) : undefined,
      onAssignment: (experiment, result) => this.assigned(experiment, result),
    };
    if (options.encryptedFeatures) {
      this.waitFor(this.setEncryptedFeatures(options.encryptedFeatures, options.decryptionKey || ''));
    }
    this.loadStickyDocs();
  }

  /**
   * Resolves when stored sticky buckets (and an encrypted payload) are in, or after
   * `readyTimeoutMs`, whichever is first. Never rejects. Render after it to avoid any flicker
   * for returning visitors.
   */
  ready(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.readyTimeoutMs);
    });
    const settled = Promise.all(Array.from(this.loading, (p) => p.catch(() => undefined)));
    return Promise.race([settled, timeout]).then(() => {
      clearTimeout(timer);
      if (!this.snapshot.ready) this.notify(true);
    });
  }

  /** The current attributes (a copy). */
  getAttributes(): Attributes {
    return { ...this.ctx.attributes };
  }

  /** Replace the visitor's attributes; sticky buckets of new identities are loaded. */
  setAttributes(attributes: Attributes): void {
    this.ctx.attributes = safeCopy(attributes);
    this.loadStickyDocs();
    this.notify();
  }

  /** Replace the feature definitions (GrowthBook payload `features`). Malformed parts are dropped and logged. */
  setFeatures(features: FeatureDefinitions): void {
    this.ctx.features = compileFeatures(features, this.log);
    this.loadStickyDocs();
    this.notify();
  }

  /** Decrypt and use an encrypted `features` payload. Rejects with a `DecryptionError` on a bad key or text. */
  async setEncryptedFeatures(encrypted: string, decryptionKey: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await decrypt(encrypted, decryptionKey));
    } catch (error) {
      this.log('Could not use encrypted features', { error });
      throw error;
    }
    this.setFeatures(parsed as FeatureDefinitions);
  }

  /** Replace the forced variations (experiment key → variation index). */
  setForcedVariations(forced: Record<string, number>): void {
    this.ctx.forcedVariations = safeCopy(forced);
    this.notify();
  }

  /** Replace the forced feature values (feature key → value). */
  setForcedFeatures(forced: Record<string, unknown> | Map<string, unknown>): void {
    this.ctx.forcedFeatures = forced instanceof Map ? forced : new Map(Object.entries(forced));
    this.notify();
  }

  /** Set the URL used for URL targeting and overrides (e.g. after a client-side navigation). */
  setURL(url: string): void {
    this.ctx.url = url;
    this.notify();
  }

  /** Set (or clear) the exposure callback; exposures recorded before it are delivered now. */
  setOnExposure(callback: ExposureCallback | undefined): void {
    this.exposures.setCallback(callback);
  }

  /** Evaluate feature `key`: its value and why (`source`). Never throws. */
  evalFeature<K extends keyof F & string>(key: K): FeatureResult<F[K] | null> {
    try {
      return evalFeature(this.ctx, key) as FeatureResult<F[K] | null>;
    } catch (error) {
      this.log('Feature evaluation failed; using null', { feature: key, error });
      return { value: null, on: false, off: true, source: 'unknownFeature', ruleId: '' };
    }
  }

  /** Whether feature `key` evaluates to a truthy value. */
  isOn<K extends keyof F & string>(key: K): boolean {
    return this.evalFeature(key).on;
  }

  /** Whether feature `key` evaluates to a falsy value (or is unknown). */
  isOff<K extends keyof F & string>(key: K): boolean {
    return this.evalFeature(key).off;
  }

  /**
   * The value of feature `key`, or `fallback` when it is unknown, null, or of another type than
   * `fallback` (a string flag read as a number would otherwise leak into the app).
   */
  getFeatureValue<K extends keyof F & string, V extends F[K]>(key: K, fallback: V): WidenPrimitives<V> {
    const value = this.evalFeature(key).value;
    if (value === null || value === undefined) return fallback as WidenPrimitives<V>;
    if (fallback !== null && fallback !== undefined && typeof value !== typeof fallback) {
      this.log('Feature value has another type than the fallback; using the fallback', { feature: key, value });
      return fallback as WidenPrimitives<V>;
    }
    return value as WidenPrimitives<V>;
  }

  /** Run an inline experiment. Visitors not in it get variation 0 with `inExperiment: false`. Never throws. */
  run<T>(experiment: Experiment<T>): ExperimentResult<T> {
    try {
      return runExperiment(this.ctx, experiment as Experiment, null) as ExperimentResult<T>;
    } catch (error) {
      this.log('Experiment failed; using variation 0', { experiment: experiment && experiment.key, error });
      const variations = (experiment && experiment.variations) || [];
      return {
        value: variations[0] as T,
        variationId: 0,
        key: '0',
        inExperiment: false,
        hashUsed: false,
        hashAttribute: 'id',
        hashValue: '',
        featureId: null,
        stickyBucketUsed: false,
      };
    }
  }

  /** The sticky docs this client knows, by `attributeName||attributeValue`. */
  getStickyBucketAssignmentDocs(): StickyAssignmentDocs {
    return { ...this.ctx.stickyDocs };
  }

  /** Listen for changes that may change results. Returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** A value that changes (by identity) exactly when results may have changed. */
  getSnapshot = (): ClientSnapshot => this.snapshot;

  /** Stop timers and drop listeners. */
  destroy(): void {
    this.listeners.clear();
    this.exposures.setCallback(undefined);
  }

  private notify(ready = this.snapshot.ready): void {
    this.snapshot = { version: this.snapshot.version + 1, ready };
    for (const listener of Array.from(this.listeners)) {
      try {
        listener();
      } catch (error) {
        this.log('A subscriber threw', { error });
      }
    }
  }

  /** Called by evaluation for every hashed in-experiment result. */
  private assigned(experiment: Experiment, result: ExperimentResult): void {
    this.exposures.track(experiment, result);
    const docs = this.ctx.stickyDocs;
    if (!docs || experiment.disableStickyBucketing) return;
    const key = stickyAttributeKey(result.hashAttribute, result.hashValue);
    const expKey = stickyExperimentKey(experiment.key, experiment.bucketVersion);
    const doc = docs[key];
    if (doc && doc.assignments[expKey] === result.key) return;
    docs[key] = mergeStickyDocs(doc, {
      attributeName: result.hashAttribute,
      attributeValue: typeof result.hashValue === 'string' ? result.hashValue : JSON.stringify(result.hashValue),
      assignments: { [expKey]: result.key },
    });
    if (this.loadsInFlight) this.provisional.add(key);
    else this.scheduleSave(key);
  }

  private scheduleSave(key: string): void {
    if (!this.store) return;
    if (this.dirty.size === 0) queueMicrotask(() => this.flushSaves());
    this.dirty.add(key);
  }

  /** Write each changed doc once per tick. */
  private flushSaves(): void {
    const store = this.store as StickyBucketStore;
    for (const key of this.dirty) {
      const doc = this.ctx.stickyDocs && this.ctx.stickyDocs[key];
      if (!doc) continue;
      store.saveAssignments(doc).catch((error: unknown) => this.log('Saving sticky buckets failed', { error }));
    }
    this.dirty.clear();
  }

  /** Load stored docs for the current identities. Stored assignments win over provisional ones. */
  private loadStickyDocs(): void {
    const store = this.store;
    if (!store) return;
    const identities = stickyIdentities(this.ctx);
    const load = store.getAllAssignments
      ? store.getAllAssignments(identities)
      : Promise.all(Object.keys(identities).map((name) => store.getAssignments(name, identities[name]))).then((list) => {
          const found: StickyAssignmentDocs = {};
          for (const doc of list) if (doc) found[stickyAttributeKey(doc.attributeName, doc.attributeValue)] = doc;
          return found;
        });
    this.loadsInFlight++;
    this.waitFor(
      load
        .then((found) => this.adoptStoredDocs(found))
        .catch((error: unknown) => this.log('Loading sticky buckets failed; hashing instead', { error }))
        .then(() => {
          // Whatever was assigned meanwhile is now safe to persist.
          if (--this.loadsInFlight) return;
          for (const key of this.provisional) this.scheduleSave(key);
          this.provisional.clear();
        }),
    );
  }

  /** Remember a start-up task for `ready()` until it settles. */
  private waitFor(task: Promise<unknown>): void {
    this.loading.add(task);
    const done = () => this.loading.delete(task);
    task.then(done, done);
  }

  private adoptStoredDocs(found: StickyAssignmentDocs): void {
    const docs = this.ctx.stickyDocs as StickyAssignmentDocs;
    let changed = false;
    for (const key of Object.keys(found)) {
      const stored: StickyAssignmentsDocument = found[key];
      const current = docs[key];
      docs[key] = current ? { ...stored, assignments: { ...current.assignments, ...stored.assignments } } : stored;
      changed = true;
    }
    if (changed) this.notify();
  }
}

/** Create a client. Cheap: nothing is read or written until it is called (beyond the id cookie in browsers). */
export function createClient<F extends FeatureMap = FeatureMap>(options?: ClientOptions): Client<F> {
  return new Client<F>(options);
}
