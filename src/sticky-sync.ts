/**
 * The client's sticky-bucket bookkeeping, only for clients with a store (browsers by default):
 * record each assignment in the visitor's docs, write changed docs once per tick, load stored docs
 * for the visitor's identities (stored assignments win over provisional ones), and hold back the
 * exposures made while a load is in flight until the stored docs confirm them. A client without a
 * store (a server's per-request client) creates none of this.
 */
import { mergeStickyDocs, stickyAttributeKey, stickyExperimentKey, stickyValue } from './sticky';
import type { Experiment, ExperimentResult, Logger, StickyAssignmentDocs, StickyAssignmentsDocument, StickyBucketStore } from './types';

export interface StickySync {
  /** Whether stored docs are loading: new exposures wait for them (see {@link StickySync.hold}). */
  readonly loading: boolean;
  /** Record the assignment in the docs; written at the end of the tick. */
  remember(experiment: Experiment, result: ExperimentResult): void;
  /** Report this exposure once the load in flight confirms the assignment (else drop it). */
  hold(experiment: Experiment, result: ExperimentResult, report: () => void): void;
  /** Load the stored docs of `identities` (attribute name → value) into the docs. */
  load(identities: Record<string, string>): Promise<void>;
}

/**
 * The identities whose stored docs a client loads: each string or number attribute (any of them
 * may be an experiment's hash attribute), plus the `watched` ones plugins asked for.
 */
export function identitiesOf(attributes: Record<string, unknown>, watched: Record<string, string>): Record<string, string> {
  const identities: Record<string, string> = { ...watched };
  for (const [name, value] of Object.entries(attributes)) {
    if (value && (typeof value == 'string' || typeof value == 'number')) identities[name] = '' + value;
  }
  return identities;
}

/** The stored docs of `identities`, in one read where the store can. */
function readStoredDocs(store: StickyBucketStore, identities: Record<string, string>): Promise<StickyAssignmentDocs | (StickyAssignmentsDocument | null)[]> {
  return Promise.resolve().then((): Promise<StickyAssignmentDocs | (StickyAssignmentsDocument | null)[]> =>
    store.getAllAssignments
      ? store.getAllAssignments(identities)
      : Promise.all(Object.keys(identities).map((name) => store.getAssignments(name, identities[name]!))),
  );
}

/** Merge the docs `found` into `docs` (stored assignments win); whether an assignment changed. */
function mergeInto(docs: StickyAssignmentDocs, found: StickyAssignmentDocs | (StickyAssignmentsDocument | null)[] | undefined): boolean {
  let changed = false;
  for (const doc of Object.values(found || {})) {
    if (!doc) continue;
    const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
    const known = docs[key] ? docs[key].assignments : {};
    // Docs the copy gave at creation usually match: then results cannot move, and nothing re-renders.
    changed ||= Object.keys(doc.assignments).some((experiment) => known[experiment] !== doc.assignments[experiment]);
    docs[key] = mergeStickyDocs(docs[key], doc);
  }
  return changed;
}



/** Whether `docs` hold `result` as the visitor's assignment in `experiment` (stored docs confirmed a provisional one). */
function confirmed(docs: StickyAssignmentDocs, experiment: Experiment, result: ExperimentResult): boolean {
  const doc = docs[stickyAttributeKey(result.hashAttribute, result.hashValue)];
  return !!doc && doc.assignments[stickyExperimentKey(experiment.key, experiment.bucketVersion)] === result.key;
}

/** What `store` gives at once (StickyBucketStore.peekAssignments), merged into `docs`; the full read still wins. */
function peekInto(docs: StickyAssignmentDocs, store: StickyBucketStore, identities: Record<string, string>, log: Logger): void {
  try {
    if (store.peekAssignments) mergeInto(docs, store.peekAssignments(identities));
  } catch (error) {
    log('Loading sticky buckets failed', { error });
  }
}

export function createStickySync(
  store: StickyBucketStore,
  docs: StickyAssignmentDocs,
  log: Logger,
  /** Called when stored docs changed what the client knows: results may move. */
  onChange: () => void,
): StickySync {
  /** Keys of docs changed since the last write. */
  const unsaved = new Set<string>();
  let loads = 0;
  let held: [Experiment, ExperimentResult, () => void][] = [];

  /**
   * Write the changed docs, each once however often it changed this tick. Not while stored docs
   * are loading (the load's end calls this): they could hold assignments that must win.
   */
  function save(): void {
    if (loads) return;
    unsaved.forEach((key) => {
      store.saveAssignments(docs[key]).catch((error: unknown) => log('Saving sticky buckets failed', { error }));
    });
    unsaved.clear();
  }

  return {
    get loading() {
      return loads > 0;
    },
    remember(experiment, result) {
      if (experiment.disableStickyBucketing) return;
      const attributeValue = stickyValue(result.hashValue);
      const key = stickyAttributeKey(result.hashAttribute, attributeValue);
      const experimentKey = stickyExperimentKey(experiment.key, experiment.bucketVersion);
      if (docs[key] && docs[key].assignments[experimentKey] === result.key) return;
      docs[key] = mergeStickyDocs(docs[key], { attributeName: result.hashAttribute, attributeValue, assignments: { [experimentKey]: result.key } });
      if (!unsaved.size) queueMicrotask(save);
      unsaved.add(key);
    },
    hold(experiment, result, report) {
      if (experiment.disableStickyBucketing) report();
      else held.push([experiment, result, report]);
    },
    load(identities) {
      peekInto(docs, store, identities, log);
      loads++;
      return readStoredDocs(store, identities)
        .then((found) => mergeInto(docs, found) && onChange())
        .catch((error: unknown) => log('Loading sticky buckets failed', { error }))
        .then(() => {
          if (--loads) return;
          save();
          const waiting = held;
          held = [];
          for (const [experiment, result, report] of waiting) if (confirmed(docs, experiment, result)) report();
        });
    },
  };
}
