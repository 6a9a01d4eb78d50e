/**
 * SSR hydration: the server hands the browser every input that decides a result, so the
 * browser's first render is the server's, for every visitor, bots included.
 */
import type { Attributes, ContextualBanditDefinition, Experiment, FeatureDefinitions, SavedGroups, StickyAssignmentDocs } from './types';

/**
 * What a server hands the browser so its client renders the same markup at once: plain JSON
 * (escape `<` when inlining it in a `<script>`). See `ClientOptions.hydrate`.
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
  /** Whether experiments run at all: `false` for bots and `enabled: false`, so the browser agrees. */
  enabled?: boolean;
  qaMode?: boolean;
  /** The URL the server evaluated with (URL targeting). */
  url?: string;
  /** Whether `?experiment-key=N` overrides were honoured. */
  allowUrlOverrides?: boolean;
  groups?: Record<string, boolean>;
  /**
   * The experiment overrides the server evaluated with, plugins' layers included (a bandit's
   * weights). The hydrating render uses them; afterwards the browser's own options and plugins
   * decide, so give it the same `overrides` and `plugins`.
   */
  overrides?: Record<string, Partial<Experiment>>;
  contextualBandits?: Record<string, ContextualBanditDefinition>;
  /** Whether the server's client was ready (`<SplitflapReady>` renders the same on both sides). */
  ready?: boolean;
}

/**
 * `options` with the snapshot's values winning: the browser must decide exactly as the server
 * did. Sticky docs are merged (the browser may know more), features default to the given ones.
 * `overrides` are left out: the hydrating render reads them from the snapshot, and the live state
 * keeps the browser's own (its plugins' layers would otherwise be frozen at the server's values).
 */
export function withHydration<O extends { features?: FeatureDefinitions; stickyBucketAssignmentDocs?: StickyAssignmentDocs }>(options: O, snapshot: HydrationSnapshot): O {
  const { ready, overrides, ...state } = snapshot;
  return {
    ...options,
    ...state,
    features: snapshot.features || options.features,
    stickyBucketAssignmentDocs: { ...options.stickyBucketAssignmentDocs, ...snapshot.stickyBucketAssignmentDocs },
  };
}
