/**
 * The plugin contract. A plugin is a plain function, called once by `createClient` with a narrow
 * host (never the client's internals). What it returns is merged onto the client, and TypeScript
 * sees the merged type: `createClient({ plugins: [sixpack({ baseUrl })] }).participate` exists,
 * `createClient().participate` does not.
 *
 * Evaluation never calls a plugin. Plugins act on notifications (features changed, a visitor was
 * assigned, the client was destroyed) and contribute data that the next evaluation reads: feature
 * definitions, an override layer under the app's own overrides, sticky docs, start-up tasks.
 */
import type {
  Attributes,
  Consent,
  Experiment,
  ExperimentResult,
  ExposureCallback,
  FeatureDefinitions,
  Logger,
  SavedGroups,
  StickyAssignmentDocs,
  StickyAssignmentsDocument,
  StickyBucketStore,
} from './types';

/** What a plugin may read and do. One host per client, with no way to the client's internals. */
export interface PluginHost {
  /** Facts fixed when the client was created. */
  readonly settings: HostSettings;
  /** Where plugins report problems they recovered from (the client's `log`). */
  readonly log: Logger;
  /** The state the next evaluation reads; `hydrating`: the one the client was hydrated with. */
  read(hydrating?: boolean): HostView;
  /** Listen to one of the client's events (see {@link ClientEvents}). Returns the unsubscribe function. */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): () => void;
  /** Tell the other plugins (and bindings such as DevTools and analytics) what this plugin did. */
  emit<E extends keyof PluginEvents>(event: E, ...args: Parameters<PluginEvents[E]>): void;
  /** Replace the feature definitions (and saved groups, when given), then tell subscribers. */
  setFeatures(features: FeatureDefinitions, savedGroups?: SavedGroups): void;
  /**
   * Experiment key → fields merged over definitions, in a named layer that sits under the
   * app's own `overrides` (bandit weights live here). `undefined` removes the layer.
   */
  setOverrideLayer(name: string, overrides: Record<string, Partial<Experiment>> | undefined): void;
  /** `ready()` waits for `task` (within `readyTimeoutMs`). A rejection is logged, never thrown. */
  addStartupTask(task: Promise<unknown>): void;
  /**
   * Run `experiment` as `client.run` does (exposure and sticky bucket included), with
   * `attributes` merged over the visitor's for this call.
   */
  run<T>(experiment: Experiment<T>, attributes?: Attributes): ExperimentResult<T>;
  /** Report an exposure through the client's exposure callback, once per `dedupeKey` if given. */
  expose(experiment: Experiment, result: ExperimentResult, dedupeKey?: string): void;
  /**
   * Merge `doc` into the client's sticky docs in memory (persisting is the plugin's concern),
   * and from now on load this identity's stored doc whenever the client loads its own. A doc with
   * no assignments only asks for that.
   */
  keepStickyDoc(doc: StickyAssignmentsDocument): void;
  /**
   * Something evaluation depends on changed outside the client (consent was answered, forced
   * values were applied): stored sticky docs are read again and subscribers told.
   */
  refresh(): void;
}

/** What {@link PluginHost.settings} holds. */
export interface HostSettings {
  readonly clientId: string;
  /** The visitor's user agent, if known (forwarded by Sixpack mode). */
  readonly userAgent: string | undefined;
  /** The client's sticky store, if it has one (absent on servers unless one is given). */
  readonly stickyStore: StickyBucketStore | undefined;
  /** `false` when the client runs no experiments (`enabled: false`, QA mode, or a bot). */
  readonly experimentsEnabled: boolean;
  /** Whether the page URL may pick a variation (`allowUrlOverrides`: by default only where there is a window). */
  readonly urlOverridesAllowed: boolean;
}

/** What {@link PluginHost.read} returns. */
export interface HostView {
  /** The page URL evaluation uses (`setURL` changes it). */
  readonly url: string | undefined;
  /** The visitor's attributes (a copy). */
  readonly attributes: Attributes;
  /** The feature definitions in use, as given. */
  readonly features: FeatureDefinitions | undefined;
  /** The sticky docs the client knows (they go into the hydration snapshot). */
  readonly stickyDocs: StickyAssignmentDocs;
  /**
   * May this client store on the device and report exposures and conversions? `granted`
   * unless the app manages consent through the client (`withConsent` of `splitflap/consent`):
   * then `pending` until the visitor answers (hold what you would store or send) or `denied`
   * (drop it). A change of answer is a `change` event.
   */
  readonly consent: Consent;
}

/** What plugins tell each other ({@link PluginHost.emit}): Sixpack mode's calls, for analytics and DevTools. */
export type PluginEvents = {
  /** A Sixpack-style participation was answered. */
  participation: (answer: Participation) => void;
  /** A conversion was counted (`client.convert`), before it is sent. */
  conversion: (experiment: string, kpi: string | undefined) => void;
  /** A payload arrived (`remote`), whole: its `experiments` (redirect tests) are for `splitflap/redirect`. */
  payload: (payload: { experiments?: unknown[] }) => void;
};

/** A participation's answer, as {@link PluginEvents} carry it. */
export interface Participation {
  experiment: string;
  alternatives: readonly string[];
  alternative: string;
  /** Where the answer came from: `server`, `sticky`, `forced`, `fallback` or `disabled`. */
  source: string;
}

/** What plugins hear of, by name ({@link PluginHost.on}): the core's events and the plugins' own. */
export type ClientEvents = PluginEvents & {
  /** Results may have changed (the client's `subscribe`). */
  change: () => void;
  /** The feature definitions changed, to these. */
  features: (features: FeatureDefinitions | undefined) => void;
  /** A new assignment: a visitor hashed into an experiment, as reported. */
  assignment: (experiment: Experiment, result: ExperimentResult) => void;
  /**
   * Every exposure the client reports (the app's `onExposure` gets the same ones): after the
   * core's dedupe, and for exposures held while stored sticky docs load, once they are settled.
   */
  exposure: ExposureCallback;
  /** `client.destroy()` was called. */
  destroy: () => void;
};

/** A plugin: called once per client; the object it returns is merged onto the client. */
export type Plugin<Extension extends object = object> = (host: PluginHost) => Extension | void;

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void ? I : never;

/** The methods a list of plugins adds to the client. */
export type PluginExtensions<Plugins extends readonly Plugin[]> = UnionToIntersection<
  Exclude<ReturnType<Plugins[number]>, void | undefined>
>;
