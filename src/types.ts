/**
 * Public data shapes. Field names follow GrowthBook's SDK on purpose: payloads
 * written for GrowthBook evaluate unchanged, and code written against its
 * result objects reads ours.
 */

import type { BanditOptions, BanditPolicy, WinnerOptions } from './plugins/bandits/bandit';

/** Attributes describing the visitor: `id`, `country`, `plan`, … */
export type Attributes = Record<string, unknown>;

/** A Mongo-style targeting condition, e.g. `{ country: { $in: ["US", "CA"] } }`. */
export type ConditionInterface = Record<string, unknown>;

/** Saved groups referenced by `$inGroup` / `$notInGroup`: group id → member values. */
export type SavedGroups = Record<string, unknown[]>;

/** A half-open bucket range `[start, end)` within [0, 1). */
export type VariationRange = [number, number];

/** `[namespaceId, start, end)`: experiments sharing a namespace get disjoint visitors. */
export type Namespace = [string, number, number];

/** Per-variation metadata; `key` is what sticky buckets store. */
export interface VariationMeta {
  key?: string;
  name?: string;
  /** A passthrough variation leaves the visitor to the feature's next rule (holdouts). */
  passthrough?: boolean;
}

/** An extra hash gate: the visitor must land in one of `ranges` for `seed`. */
export interface Filter {
  attribute?: string;
  seed: string;
  hashVersion?: number;
  ranges: VariationRange[];
}

/** A prerequisite: feature `id` must evaluate to a value matching `condition`. */
export interface ParentCondition {
  id: string;
  condition: ConditionInterface;
  /** When true a failing prerequisite blocks the whole feature, not just this rule. */
  gate?: boolean;
}

/**
 * Fields experiments and experiment rules share: how visitors are hashed and bucketed, and the
 * experiment controls.
 */
export interface BucketingOptions {
  weights?: number[];
  coverage?: number;
  ranges?: VariationRange[];
  namespace?: Namespace;
  filters?: Filter[];
  condition?: ConditionInterface;
  parentConditions?: ParentCondition[];
  /** The attribute hashed into a bucket; default `id`. */
  hashAttribute?: string;
  /** Hashed while `hashAttribute` is empty (with sticky bucketing only, so visitors keep their bucket). */
  fallbackAttribute?: string;
  hashVersion?: number;
  seed?: string;
  disableStickyBucketing?: boolean;
  /** Bumping it re-randomises visitors. */
  bucketVersion?: number;
  /** Visitors bucketed under an older version are excluded. */
  minBucketVersion?: number;
  meta?: VariationMeta[];
  name?: string;
  phase?: string;
  /** Kill switch: `false` gives everyone variation 0 and no exposure, even over QA forces. */
  enabled?: boolean;
  /** Schedule, epoch seconds: outside `[startTs, stopTs)` the experiment is off (variation 0, no exposure). */
  startTs?: number;
  stopTs?: number;
  /** Everyone gets this variation index; nobody is exposed (a decision, not a test). */
  globalOverride?: number;
  /** Descriptive, passed through to exposure events. */
  owner?: string;
  /**
   * Run as a bandit: the client turns per-arm stats into this experiment's `weights`
   * (and, once a winner is declared, pins new visitors to it). Sticky buckets keep visitors in place.
   */
  bandit?: BanditConfig;
  version?: string | number;
}

/** One rule of a feature: a forced value (optionally a rollout) or an experiment. */
export interface FeatureRule<T = unknown> extends BucketingOptions {
  id?: string;
  force?: T;
  variations?: T[];
  key?: string;
  /** A force rule's rollout: visitors whose hash falls in this range get the value. */
  range?: VariationRange;
  /** Contextual-bandit rules carry their variations here so older SDKs skip them. */
  contextualVariations?: T[];
  contextualBanditRef?: string;
}

/** Bandit settings of an experiment; see docs/bandits.md. */
export interface BanditConfig {
  /** `epsilon-greedy`, `epsilon-decay`, `ucb1`, `thompson` or `whiplash`. */
  policy: BanditPolicy;
  /** Policy tuning (`epsilon`, `decayK`, `c`, `prior`, `samples`); the RNG is seeded by the client. */
  params?: Omit<BanditOptions, 'random' | 'hashChoice'>;
  /** A Sixpack-compatible `/experiments/NAME` URL (or any URL serving `{ alternatives | stats }`). */
  statsUrl?: string;
  /** Poll `statsUrl` this often; default: fetch once. */
  refreshMs?: number;
  /**
   * Declare a winner with `detectWinner` on the stats (absent: never). New visitors then all get
   * the winner; visitors already assigned keep their arm unless `reassign` is true.
   */
  winner?: WinnerOptions & { reassign?: boolean };
}

/** A feature flag: a default value and ordered rules. */
export interface FeatureDefinition<T = unknown> {
  defaultValue?: T;
  rules?: FeatureRule<T>[];
}

/** Feature definitions by key, as in GrowthBook's payload `features`. */
export type FeatureDefinitions = Record<string, FeatureDefinition>;

/** A contextual bandit's per-context weights (GrowthBook payload `contextualBandits`). */
export interface ContextualBanditDefinition {
  banditVersion?: number;
  contexts?: { leafId: number; condition?: ConditionInterface; weights: number[] }[];
}

/** Bandit context copied onto an experiment and its result. */
export interface ContextualBanditContext {
  leafId: number;
  variationWeights: number[];
  banditVersion?: number;
}

/** An experiment, inline (`client.run`) or built from a feature's experiment rule. */
export interface Experiment<T = unknown> extends BucketingOptions {
  key: string;
  variations: T[];
  /** `false` switches the experiment off: everyone gets variation 0, nobody is exposed. */
  active?: boolean;
  status?: 'draft' | 'running' | 'stopped';
  /** Extra inclusion test; a throw counts as "not included". */
  include?: () => boolean;
  /** Forces this variation index for everyone included. */
  force?: number;
  /** Only run on matching URLs (tested against the full URL and its path). */
  url?: RegExp | string;
  /** Only run for visitors in one of these groups (`options.groups`). */
  groups?: string[];
  contextualBandit?: ContextualBanditContext;
  /** Descriptive, passed through to exposure events. */
  id?: string | number;
}

/** What an experiment gave the visitor. */
export interface ExperimentResult<T = unknown> {
  value: T;
  variationId: number;
  /** `meta[variationId].key`, else the index as a string; stored in sticky buckets. */
  key: string;
  name?: string;
  /** True only when the visitor was really bucketed into the experiment. */
  inExperiment: boolean;
  /** True when the variation came from hashing (not from a forced override). */
  hashUsed: boolean;
  hashAttribute: string;
  hashValue: string | number;
  featureId: string | null;
  bucket?: number;
  passthrough?: boolean;
  stickyBucketUsed: boolean;
  leafId?: number;
  variationWeights?: number[];
  banditVersion?: number;
}

/** Alias with GrowthBook's name. */
export type Result<T = unknown> = ExperimentResult<T>;

/** Why a feature has its value. */
export type FeatureResultSource =
  | 'unknownFeature'
  | 'defaultValue'
  | 'force'
  | 'override'
  | 'experiment'
  | 'prerequisite'
  | 'cyclicPrerequisite';

/** The outcome of evaluating one feature. */
export interface FeatureResult<T = unknown> {
  value: T;
  on: boolean;
  off: boolean;
  source: FeatureResultSource;
  ruleId: string;
  experiment?: Experiment<T>;
  experimentResult?: ExperimentResult<T>;
}

/** Sticky-bucket assignments of one visitor identity (GrowthBook's document shape). */
export interface StickyAssignmentsDocument {
  attributeName: string;
  attributeValue: string;
  /** `"<experimentKey>__<bucketVersion>"` → variation key. */
  assignments: Record<string, string>;
}

/** Sticky docs by `"<attributeName>||<attributeValue>"`. */
export type StickyAssignmentDocs = Record<string, StickyAssignmentsDocument>;

/** Where sticky buckets live. Implementations must never throw into the app; reject instead. */
export interface StickyBucketStore {
  getAssignments(attributeName: string, attributeValue: string): Promise<StickyAssignmentsDocument | null>;
  saveAssignments(doc: StickyAssignmentsDocument): Promise<void>;
  /** Optional bulk read: every doc for the given attribute name → value pairs. */
  getAllAssignments?(attributes: Record<string, string>): Promise<StickyAssignmentDocs>;
  /**
   * Optional synchronous read of the docs the store can give at once (the IndexedDB store's copy
   * in localStorage), so a returning visitor's first evaluation already has them. The
   * asynchronous read still follows, its docs win, and exposures wait for it.
   */
  peekAssignments?(attributes: Record<string, string>): StickyAssignmentDocs;
}

/** A log sink for problems Splitflap recovered from (bad payloads, throwing callbacks, …). */
/** Where the visitor stands on consent: nothing is stored or reported until `granted`. */
export type Consent = 'pending' | 'granted' | 'denied';

export type Logger = (message: string, context?: Record<string, unknown>) => void;

/** Called when a visitor is really put into an experiment. */
export type ExposureCallback = (experiment: Experiment, result: ExperimentResult) => void;
