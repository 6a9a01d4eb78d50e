/**
 * Exposure tracking: report each (identity, experiment, variation) once per client, and keep
 * exposures that happen before a callback is set so none is lost.
 */
import type { Experiment, ExperimentResult, ExposureCallback, Logger } from './types';

/** At most this many exposures wait for a callback; past it the oldest are dropped (and logged). */
const MAX_PENDING = 1000;

export interface ExposureTracker {
  track(experiment: Experiment, result: ExperimentResult): void;
  setCallback(callback: ExposureCallback | undefined): void;
}

export function createExposureTracker(log: Logger, callback?: ExposureCallback): ExposureTracker {
  const seen = new Set<string>();
  let pending: [Experiment, ExperimentResult][] = [];

  const deliver = (experiment: Experiment, result: ExperimentResult): void => {
    try {
      callback!(experiment, result);
    } catch (error) {
      log('onExposure callback threw', { experiment: experiment.key, error });
    }
  };

  return {
    track(experiment, result) {
      const key = `${result.hashAttribute}|${result.hashValue}|${experiment.key}|${result.variationId}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (callback) return deliver(experiment, result);
      if (pending.push([experiment, result]) > MAX_PENDING) {
        pending.shift();
        log(`More than ${MAX_PENDING} exposures without an onExposure callback; dropping the oldest`);
      }
    },
    setCallback(next) {
      callback = next;
      if (!callback) return;
      const queued = pending;
      pending = [];
      for (const [experiment, result] of queued) deliver(experiment, result);
    },
  };
}
