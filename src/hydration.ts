/**
 * SSR hydration: the server hands the browser every input that decides a result, so the
 * browser's first render is the server's, for every visitor, bots included. The snapshot's fields
 * are the visitor's and the payload's, declared once in state.ts.
 */
import type { PayloadOptions, VisitorSnapshot } from './state';
import type { StickyAssignmentDocs } from './types';

/**
 * What a server hands the browser so its client renders the same markup at once: plain JSON
 * (escape `<` when inlining it in a `<script>`). See `ClientOptions.hydrate`. `features` is absent
 * with `getSnapshotForHydration({ features: false })`; `enabled` is `false` for bots too, so the
 * browser agrees; `overrides` include plugins' layers (a bandit's weights) and serve the
 * hydrating render only: afterwards the browser's own options and plugins decide, so give it the
 * same `overrides` and `plugins`.
 */
export interface HydrationSnapshot extends VisitorSnapshot, PayloadOptions {
  clientId: string;
  /** Whether the server's client was ready (`<SplitflapReady>` renders the same on both sides). */
  ready?: boolean;
}

/**
 * `options` with the snapshot's values winning: the browser must decide exactly as the server
 * did. Sticky docs are merged (the browser may know more), features default to the given ones.
 * `overrides` are left out: the hydrating render reads them from the snapshot, and the live state
 * keeps the browser's own (its plugins' layers would otherwise be frozen at the server's values).
 */
export function withHydration<O extends { features?: PayloadOptions['features']; stickyBucketAssignmentDocs?: StickyAssignmentDocs }>(options: O, snapshot: HydrationSnapshot): O {
  const { ready, overrides, ...state } = snapshot;
  return {
    ...options,
    ...state,
    features: snapshot.features || options.features,
    stickyBucketAssignmentDocs: { ...options.stickyBucketAssignmentDocs, ...snapshot.stickyBucketAssignmentDocs },
  };
}
