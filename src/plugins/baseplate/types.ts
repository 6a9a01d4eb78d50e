/**
 * The shapes of baseplate's experiment config and of the chooser's answers.
 */
/** Baseplate's experiment types (`type` is matched case-insensitively); `unknown` always gives null. */
export type VariantExperimentType =
  | 'single_variant'
  | 'multi_variant'
  | 'feature_rollout'
  | 'range_variant'
  | 'r2'
  | 'feature_flag'
  | 'unknown';

/** A compiled targeting tree. Field names are lowercased at load time; attribute names are not. */
export type TargetingNode =
  | { op: 'all' | 'any'; nodes: TargetingNode[] }
  | { op: 'not'; node: TargetingNode }
  | { op: 'override'; value: boolean }
  /** Python's `attribute in values`: a list (membership), a string (substring) or an object (key). */
  | { op: 'eq'; field: string; values: unknown }
  | { op: 'gt' | 'ge' | 'lt' | 'le' | 'ne'; field: string; value: unknown };

/**
 * Which variant a bucket gets. Bounds are integer buckets, already ⌊s·N⌋:
 * - `ranges`: the first `[start, end)` containing the bucket (multi, range and rollout types);
 * - `twoEnded`: `low` below `lowEnd`, `high` from `highStart` up (single_variant);
 * - `interleaved`: r2's scheme, `names` in code-point order and `percents` alongside.
 */
export type VariantAllocator =
  | { kind: 'ranges'; ranges: Array<{ variant: string; start: number; end: number }> }
  | { kind: 'twoEnded'; low: string; lowEnd: number; high: string; highStart: number }
  | { kind: 'interleaved'; names: string[]; percents: number[] };

/** r2/feature_flag settings that have no tree-targeting equivalent. */
export interface R2Settings {
  /** Lowercased param → allowed values (strings lowercased unless the param is case-sensitive). */
  targeting: Array<[param: string, allowed: unknown[]]>;
  /** Lowercased param → (value → variant), in config order: the first param that yields a variant wins. */
  overrides: Array<[param: string, values: Record<string, unknown>]>;
  caseSensitiveTargeting: string[];
  caseSensitiveOverrides: string[];
  /** With `logged_in` targeting, only users whose `user_created` is later than this are targeted. */
  newerThan: number | null;
}

/** A Splitflap variant experiment: the unified model's shape for baseplate-style experiments. */
export interface VariantExperiment {
  /** The config's `name` (used in the seed and the bucketing id), else its key in the file. */
  name: string;
  id: number;
  owner: string | null;
  /** `experiment_version` for simple types, the top-level `version` for r2/feature_flag. */
  version: string | number | null;
  type: VariantExperimentType;
  /** Epoch seconds; the experiment runs in `[startTs, stopTs)`. */
  startTs: number;
  stopTs: number;
  enabled: boolean;
  /**
   * When present (even null), everyone gets this value and no event is logged. For simple
   * types it wins even over `enabled` and the schedule; r2/feature_flag check those first.
   */
  globalOverride?: string | null;
  hash: { kind: 'sha1_mod'; seed: string; bucketVal: string; numBuckets: number };
  allocator: VariantAllocator;
  logBucketing: boolean;
  /** Simple types: who may be bucketed (a missing tree compiles to "everyone"). */
  targeting: TargetingNode;
  /** Simple types: `[{variant: tree}]`, first match wins, even for a variant not in the set. */
  overrides: Array<{ variant: string; targeting: TargetingNode }>;
  r2?: R2Settings;
}

/** Why `chooseVariant` returned what it did. */
export type VariantReason =
  | 'disabled'
  | 'schedule'
  | 'globalOverride'
  | 'unknownType'
  | 'missingBucketValue'
  | 'invalidBucketValue'
  | 'override'
  | 'notTargeted'
  | 'bucketed'
  | 'notAllocated';

/** The outcome of `chooseVariant`. */
export interface VariantChoice {
  variant: string | null;
  /**
   * Whether baseplate would log a `choose` event, before the per-request checks the caller owns:
   * `bucketing_event_override=False` and dedupe on `bucketingId()` within the request.
   */
  log: boolean;
  bucket?: number;
  reason: VariantReason;
}

