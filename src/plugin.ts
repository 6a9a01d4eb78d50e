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
import type { Client } from './api';
import type {
  Attributes,
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

/** What a plugin may read and do. One host per client. */
export interface PluginHost {
  /** The client being built (plugin methods are merged onto this very object). */
  readonly client: Client;
  readonly clientId: string;
  /** Where plugins report problems they recovered from (the client's `log`). */
  readonly log: Logger;
  /** The visitor's user agent, if known (forwarded by Sixpack mode). */
  readonly userAgent: string | undefined;
  /** The client's sticky store, if it has one (absent on servers unless one is given). */
  readonly stickyStore: StickyBucketStore | undefined;
  /** `false` when the client runs no experiments (`enabled: false`, QA mode, or a bot). */
  readonly experimentsEnabled: boolean;
  /** Whether the page URL may pick a variation (`allowUrlOverrides`: by default only where there is a window). */
  readonly urlOverridesAllowed: boolean;
  /** The page URL evaluation uses (`setURL` changes it). */
  getURL(): string | undefined;
  getAttributes(): Attributes;
  /** The feature definitions in use, as given. */
  getFeatures(): FeatureDefinitions | undefined;
  /** Replace the feature definitions (and saved groups, when given), then tell subscribers. */
  setFeatures(features: FeatureDefinitions, savedGroups?: SavedGroups): void;
  /** Called after the feature definitions change, with the new ones. Returns the unsubscribe function. */
  onFeaturesChange(listener: (features: FeatureDefinitions | undefined) => void): () => void;
  /** Called once per new assignment (a visitor hashed into an experiment, as reported). */
  onAssignment(listener: (experiment: Experiment, result: ExperimentResult) => void): () => void;
  /**
   * Called with every exposure the client reports (the app's `onExposure` gets the same ones):
   * after the core's dedupe, and for exposures held while stored sticky docs load, once they are
   * settled. Returns the unsubscribe function.
   */
  onExposure(listener: ExposureCallback): () => void;
  /** Called by `client.destroy()`. */
  onDestroy(listener: () => void): void;
  /** `ready()` waits for `task` (within `readyTimeoutMs`). A rejection is logged, never thrown. */
  addStartupTask(task: Promise<unknown>): void;
  /**
   * Experiment key → fields merged over definitions, in a named layer that sits under the
   * app's own `overrides` (bandit weights live here). `undefined` removes the layer.
   */
  setOverrideLayer(name: string, overrides: Record<string, Partial<Experiment>> | undefined): void;
  /**
   * Run `experiment` as `client.run` does (exposure and sticky bucket included), with
   * `attributes` merged over the visitor's for this call.
   */
  run<T>(experiment: Experiment<T>, attributes?: Attributes): ExperimentResult<T>;
  /** Report an exposure through the client's exposure callback, once per `dedupeKey` if given. */
  expose(experiment: Experiment, result: ExperimentResult, dedupeKey?: string): void;
  /** The sticky docs the client knows (they go into the hydration snapshot); `hydrating`: as hydrated. */
  getStickyDocs(hydrating?: boolean): StickyAssignmentDocs;
  /** Merge `doc` into the client's sticky docs in memory (persisting is the plugin's concern). */
  rememberStickyDoc(doc: StickyAssignmentsDocument): void;
  /** Also load this identity's stored sticky doc whenever the client loads its own. */
  watchStickyIdentity(attributeName: string, attributeValue: string): void;
  /** Tell subscribers that results may have changed. */
  notify(): void;
}

/** A plugin: called once per client; the object it returns is merged onto the client. */
export type Plugin<Extension extends object = object> = (host: PluginHost) => Extension | void;

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void ? I : never;

/** The methods a list of plugins adds to the client. */
export type PluginExtensions<Plugins extends readonly Plugin[]> = UnionToIntersection<
  Exclude<ReturnType<Plugins[number]>, void | undefined>
>;
