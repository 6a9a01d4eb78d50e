/**
 * The state evaluation reads, declared once and split by lifetime (as GrowthBook's core splits
 * `global`, `user` and `stack`):
 * - the payload: feature definitions and saved groups, compiled per feature and shared by every
 *   client given the same payload object;
 * - the visitor: attributes, forced values, overrides, URL, sticky docs, …, one per client;
 * - one evaluation: its prerequisite walk and what it assigned (evaluate.ts `Evaluation`).
 *
 * Each visitor field is declared here once, in {@link VisitorOptions}: `ClientOptions`, the
 * hydration snapshot, `getSnapshotForHydration` and the state evaluation reads all derive from it.
 * A new field is one line there, one in {@link visitorState} (how it is taken in) and one row in
 * {@link VISITOR_OUT} (how it is handed out); the compiler asks for both.
 */
import { featureSet, type FeatureSet } from './features';
import { readOnlyCopy, stickyDocsCopy, toMap, visitorAttributes } from './intake';
import type { Attributes, ContextualBanditDefinition, Experiment, FeatureDefinitions, Logger, SavedGroups, StickyAssignmentDocs } from './types';

/** The payload options: what a GrowthBook payload holds. */
export interface PayloadOptions {
  /** Feature definitions in GrowthBook's payload format (compiled per feature on first use). */
  features?: FeatureDefinitions;
  savedGroups?: SavedGroups;
}

/** The visitor's options: every input of evaluation that belongs to one visitor. */
export interface VisitorOptions {
  /**
   * Targeting and hashing attributes. Without an `id`, the id is the client id (so experiments
   * hashing on `id` bucket the visitor); an explicit `id` wins. Default `{ id: clientId }`.
   */
  attributes?: Attributes;
  /** Experiment key → forced variation index (QA, dev tools). */
  forcedVariations?: Record<string, number>;
  /** Feature key → forced value. */
  forcedFeatures?: Record<string, unknown> | Map<string, unknown>;
  /** Experiment key → fields overriding the experiment's definition. */
  overrides?: Record<string, Partial<Experiment>>;
  /** Group memberships for experiments' `groups`. */
  groups?: Record<string, boolean>;
  contextualBandits?: Record<string, ContextualBanditDefinition>;
  /** The page URL for URL targeting and `?experiment-key=N` overrides; default `location.href` in browsers. */
  url?: string;
  /**
   * Honour `?experiment-key=N` in `url`. Default: true in browsers, false where there is no
   * `window` (on a server any request could otherwise pick its own variation).
   */
  allowUrlOverrides?: boolean;
  /** QA mode: nobody is bucketed except by forced variations. */
  qaMode?: boolean;
  /** `false` turns every experiment off (variation 0, no exposure). */
  enabled?: boolean;
  /** Sticky docs known up front (e.g. from SSR), by `attributeName||attributeValue`. */
  stickyBucketAssignmentDocs?: StickyAssignmentDocs;
}

/** Fields that may stay unset in the state; the others always hold a value (an empty record at least). */
type Optional = 'forcedFeatures' | 'url' | 'allowUrlOverrides' | 'qaMode' | 'enabled' | 'stickyBucketAssignmentDocs';

/** The visitor as evaluation reads it: forced features as a Map, records always present. */
export type VisitorState = {
  // Over the names alone (not `keyof`, which would carry `?` over and strip `undefined`).
  [K in Exclude<keyof VisitorOptions, never>]: K extends 'forcedFeatures' ? Map<string, unknown> | undefined : K extends Optional ? VisitorOptions[K] | undefined : NonNullable<VisitorOptions[K]>;
};

/** The visitor's fields in JSON form, as `getSnapshotForHydration` hands them out. */
export type VisitorSnapshot = Omit<VisitorOptions, 'forcedFeatures'> & { forcedFeatures?: Record<string, unknown> };

const asIs = <T>(value: T) => value;
const spread = <T extends object>(value: T | undefined) => (value ? { ...value } : value);

/**
 * How each held visitor field goes out in a hydration snapshot: plain JSON. The held objects are
 * replaced by setters, never mutated, but handing out copies keeps a caller from reaching in.
 */
const VISITOR_OUT: { [K in keyof VisitorState]: (held: VisitorState[K]) => VisitorSnapshot[K] } = {
  attributes: spread,
  forcedVariations: spread,
  forcedFeatures: (held) => held && Object.fromEntries(held),
  overrides: spread,
  groups: spread,
  contextualBandits: spread,
  url: asIs,
  allowUrlOverrides: asIs,
  qaMode: asIs,
  enabled: asIs,
  stickyBucketAssignmentDocs: spread,
};

type Name = keyof VisitorState;
const NAMES = Object.keys(VISITOR_OUT) as Name[];

/** The payload as evaluation reads it. */
export interface PayloadState {
  features: FeatureSet;
  savedGroups?: SavedGroups;
}

/** Everything evaluation reads: the payload, the visitor, and where it reports targeting problems it recovered from. */
export interface EvalState {
  payload: PayloadState;
  visitor: VisitorState;
  log: Logger;
}

/**
 * The visitor state from `options`, each field through its intake (a safe copy: see intake.ts).
 * One object literal, not a loop over a table: a server makes a client per request, and this
 * shape is a third faster to build.
 */
export function visitorState(options: VisitorOptions, clientId: string, log: Logger): VisitorState {
  const given = options.attributes;
  return {
    attributes: (given !== undefined && visitorAttributes(given, clientId, log)) || { id: clientId },
    forcedVariations: readOnlyCopy(options.forcedVariations, log),
    forcedFeatures: toMap(options.forcedFeatures, log),
    overrides: readOnlyCopy(options.overrides, log),
    groups: readOnlyCopy(options.groups, log),
    contextualBandits: readOnlyCopy(options.contextualBandits, log),
    url: options.url,
    allowUrlOverrides: options.allowUrlOverrides,
    qaMode: options.qaMode,
    enabled: options.enabled,
    // `undefined` in the state: sticky bucketing is off (createClient decides).
    stickyBucketAssignmentDocs: stickyDocsCopy(options.stickyBucketAssignmentDocs, log),
  };
}

/** The visitor state in JSON form, for a hydration snapshot. */
export function visitorSnapshot(visitor: VisitorState): VisitorSnapshot {
  const snapshot = {} as Record<Name, unknown>;
  for (const name of NAMES) snapshot[name] = (VISITOR_OUT[name] as (held: unknown) => unknown)(visitor[name]);
  return snapshot as VisitorSnapshot;
}

/** The payload state from `options`. */
export const payloadState = (options: PayloadOptions, log: Logger): PayloadState => ({
  features: featureSet(options.features, log),
  savedGroups: options.savedGroups,
});
