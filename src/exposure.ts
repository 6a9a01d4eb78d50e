/**
 * Exposures: each visitor is reported once per experiment and variation, through the app's
 * callback. Exposures made before there is a callback wait for one (bounded), and a callback
 * that throws is logged, never thrown into evaluation.
 */
import type { Experiment, ExperimentResult, ExposureCallback, Logger } from './types';

/** At most this many exposures wait for a callback; past it the oldest are dropped (and logged). */
const MAX_PENDING = 1000;

export interface Exposures {
  /** Report an exposure; with `dedupeKey`, only the first report of that key goes out. */
  report(experiment: Experiment, result: ExperimentResult, dedupeKey?: string): void;
  /** Set (or clear) the callback; exposures waiting for one are delivered now. */
  setCallback(callback: ExposureCallback | undefined): void;
}

/** The dedupe key of an assignment: identity, experiment and variation. */
export const exposureKey = (experiment: Experiment, result: ExperimentResult): string =>
  result.hashAttribute + '|' + result.hashValue + '|' + experiment.key + '|' + result.variationId;

/** `announce` tells plugins of each exposure reported (the client's `exposure` event). */
export function createExposures(log: Logger, callback: ExposureCallback | undefined, announce: ExposureCallback): Exposures {
  const reported = new Set<string>();
  let pending: [Experiment, ExperimentResult][] = [];

  function deliver(experiment: Experiment, result: ExperimentResult): void {
    if (!callback) {
      if (pending.push([experiment, result]) > MAX_PENDING) {
        pending.shift();
        log('Too many exposures without an onExposure callback; dropped the oldest');
      }
      return;
    }
    try {
      callback(experiment, result);
    } catch (error) {
      log('onExposure threw', { experiment: experiment.key, error });
    }
  }

  return {
    report(experiment, result, dedupeKey) {
      if (dedupeKey !== undefined) {
        if (reported.has(dedupeKey)) return;
        reported.add(dedupeKey);
      }
      announce(experiment, result);
      deliver(experiment, result);
    },
    setCallback(next) {
      callback = next;
      const waiting = pending;
      pending = [];
      // Without a callback they simply queue up again.
      for (const [experiment, result] of waiting) deliver(experiment, result);
    },
  };
}
