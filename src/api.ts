/**
 * The core client's public shape: its options and methods. Plugins add their own options (to
 * their factory) and methods (merged onto the client); see plugin.ts.
 */
import type { CookieOptions } from './identity';
import type { HydrationSnapshot } from './hydration';
import type { Plugin } from './plugin';
import type { PayloadOptions, VisitorOptions } from './state';
import type {
  Attributes,
  Consent,
  Experiment,
  ExperimentResult,
  ExposureCallback,
  FeatureDefinition,
  FeatureDefinitions,
  FeatureResult,
  Logger,
  SavedGroups,
  StickyAssignmentDocs,
  StickyBucketStore,
} from './types';

/** Map of feature keys to value types, declared once by an app for typed keys and values. */
export type FeatureMap = Record<string, unknown>;

/**
 * Declare your feature map once, and every client (`createClient()`, with or without plugins),
 * hook and component checks keys and values:
 *
 * ```ts
 * declare module 'splitflap' {
 *   interface Register { features: { headline: boolean; 'button-color': 'grey' | 'red' } }
 * }
 * ```
 *
 * (TypeScript infers no type argument once one is written, so `createClient<Flags>({ plugins })`
 * cannot also infer the plugins' methods: register the map instead, or write both,
 * `createClient<Flags, typeof plugins>({ plugins })` with `const plugins = [...] as const`.)
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-empty-object-type
export interface Register {}

/** The registered feature map ({@link Register}), else any key with unknown values. */
export type RegisteredFeatures = Register extends { features: infer F extends FeatureMap } ? F : FeatureMap;

/** The key of the phantom field that carries a payload's value types (never present at run time). */
declare const flagTypes: unique symbol;

/**
 * Feature definitions that carry their keys and value types (`defineFlags(…).features`, or a
 * payload cast to it): `createClient({ features })` infers its feature map from them. `F` lives in
 * a phantom field only; at run time this is a plain {@link FeatureDefinitions} object.
 */
export type TypedFeatureDefinitions<F extends FeatureMap> = { [K in keyof F]: FeatureDefinition<F[K]> } & FlagTypes<F>;

/**
 * The phantom field itself. A method's parameter, so that it is bivariant: options typed with one
 * map still pass where options of any map are expected (as before the field existed).
 */
export type FlagTypes<F extends FeatureMap> = { readonly [flagTypes]?: { carry(types: F): void }['carry'] };

/** Literal types widened (`'a'` → string), so a fallback's type is the value's type. */
export type WidenPrimitives<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;

/**
 * Options of `createClient`. GrowthBook's context options of the same names mean the same. The
 * payload's and the visitor's fields are declared once, in state.ts ({@link PayloadOptions},
 * {@link VisitorOptions}); these are the client's own.
 */
export interface ClientOptions<Plugins extends readonly Plugin[] = readonly Plugin[], F extends FeatureMap = FeatureMap> extends PayloadOptions, VisitorOptions {
  /**
   * Feature definitions in GrowthBook's payload format. Definitions from `defineFlags` (or typed
   * as {@link TypedFeatureDefinitions}) give the client their keys and value types.
   */
  features?: FeatureDefinitions & FlagTypes<F>;
  /** Capabilities beyond local evaluation: `remote()`, `sixpack()`, `bandits()`, `edx()`, … */
  plugins?: Plugins;
  /** The visitor's id; default: read from the cookie, else generated and written to it. */
  clientId?: string;
  /** Cookie holding the client id; `false` never touches cookies. */
  cookie?: CookieOptions | false;
  /** Treat bot user agents as not in any experiment; default true. A RegExp replaces the built-in pattern. */
  excludeBots?: boolean | RegExp;
  /** The visitor's user agent; default `navigator.userAgent` in browsers. Pass it on servers. */
  userAgent?: string;
  /**
   * Where sticky buckets are kept. Default: IndexedDB in browsers (falling back to localStorage,
   * then memory); none on servers (pass `memoryStickyBucketStore()` to keep them per client).
   * `false` turns sticky bucketing off.
   */
  stickyBucketStore?: StickyBucketStore | false;
  /** Longest `ready()` waits for stored sticky buckets and plugins' start-up tasks; default 500 ms. */
  readyTimeoutMs?: number;
  /** Called once per visitor, experiment and variation when the visitor is put into an experiment. */
  onExposure?: ExposureCallback;
  /** Alias of `onExposure` (GrowthBook's name). */
  trackingCallback?: ExposureCallback;
  /** Receives problems Splitflap recovered from; default `console.warn`. */
  log?: Logger;
  /**
   * Asked whenever a plugin would store on the device or report: the visitor's consent. Set by
   * `withConsent` (`splitflap/consent`); absent, consent is managed elsewhere or not needed, and
   * the answer is `granted`.
   */
  consent?: () => Consent;
  /**
   * Start from a server's {@link Client.getSnapshotForHydration}: everything that decides a result
   * (id, attributes, features, forced values, sticky docs, url, the bot decision) wins over the
   * options above, so the first render matches the server's markup without waiting.
   */
  hydrate?: HydrationSnapshot;
}

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

/** What `getSnapshot()` returns: a new object whenever any result may have changed. */
export interface ClientSnapshot {
  readonly version: number;
  /** Whether `ready()` has resolved (stored sticky buckets and start-up tasks are in, or timed out). */
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
   * Resolves when stored sticky buckets and plugins' start-up tasks (a remote payload, …) are in,
   * or after `readyTimeoutMs`, whichever is first. Never rejects.
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
  /** Replace the feature definitions (and saved groups, when given). Malformed parts are dropped and logged. */
  setFeatures(features: FeatureDefinitions, savedGroups?: SavedGroups): void;
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
   * Report an assignment handed to an `EvalOptions.track` function: the exposure (deduplicated
   * as usual: once per identity, experiment and variation) and the sticky bucket.
   */
  trackExposure(experiment: Experiment, result: ExperimentResult): void;
  /** A small JSON-safe snapshot for `createClient({ hydrate })` in the browser (SSR). */
  getSnapshotForHydration(options?: { features?: boolean }): HydrationSnapshot;
  /** Listen for changes that may change results. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** A value that changes (by identity) exactly when results may have changed. */
  getSnapshot(): ClientSnapshot;
  /**
   * Add a plugin after creation (a script tag loading one on demand): the same as giving it in
   * `plugins`, its methods merged onto this client. A plugin that throws is logged, not thrown.
   */
  use<Extension extends object>(plugin: Plugin<Extension>): this & Extension;
  /** Drop listeners and the exposure callback; plugins stop their timers and requests. */
  destroy(): void;
}
