/**
 * What happens to an assignment once evaluation has returned it: the sticky bucket is recorded,
 * the exposure reported once (held while stored sticky docs load, since the variation may still
 * be a returning visitor's provisional one), and plugins told. Repeated evaluations of the same
 * assignment stop at the first check, before any string is built.
 */
import type { Assignment } from './evaluate';
import { exposureKey, type Exposures } from './exposure';
import type { StickySync } from './sticky-sync';
import type { Experiment, ExperimentResult, ExposureCallback } from './types';

export interface Tracking {
  /** Record and report one assignment (what `trackExposure` and `track: true` do). */
  assign(experiment: Experiment, result: ExperimentResult): void;
  /** Hand an evaluation's assignments to `track`: `true`/absent records and reports them, a function receives them, `false` drops them. */
  handle(assigned: Assignment[] | undefined, track: boolean | ExposureCallback | undefined): void;
  /** Forget what was handled: stored docs arrived and results may move, so the next evaluation books afresh. */
  reset(): void;
}

export function createTracking(
  exposures: Exposures,
  sync: StickySync | undefined,
  /** Told of each new assignment (plugins' `onAssignment`). */
  onAssignment: (experiment: Experiment, result: ExperimentResult) => void,
): Tracking {
  /** The last assignment handled per experiment. */
  const lastAssigned = new Map<string, ExperimentResult>();

  function assign(experiment: Experiment, result: ExperimentResult): void {
    const last = lastAssigned.get(experiment.key);
    if (last && last.variationId === result.variationId && last.hashValue === result.hashValue && last.hashAttribute === result.hashAttribute) return;
    lastAssigned.set(experiment.key, result);
    const key = exposureKey(experiment, result);
    const report = () => exposures.report(experiment, result, key);
    if (sync && sync.loading) sync.hold(experiment, result, report);
    else report();
    if (sync) sync.remember(experiment, result);
    onAssignment(experiment, result);
  }

  return {
    assign,
    handle(assigned, track) {
      if (!assigned) return;
      const handler = track === undefined || track === true ? assign : track || undefined;
      if (handler) for (const [experiment, result] of assigned) handler(experiment, result);
    },
    reset: () => lastAssigned.clear(),
  };
}
