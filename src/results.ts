/**
 * The result objects evaluation returns, in GrowthBook's shapes (field names and which fields are
 * present are part of the compatibility promise: code written against GrowthBook's results works).
 */
import { identityOf, NO_META, variationKey } from './bucketing';
import type { EvalState } from './state';
import type { Experiment, ExperimentResult, FeatureResult, FeatureResultSource } from './types';

/** A feature's value and why it has it (`source`). */
export function featureResult(
  value: unknown,
  source: FeatureResultSource,
  ruleId?: string,
  experiment?: Experiment,
  experimentResult?: ExperimentResult,
): FeatureResult {
  const result: FeatureResult = { value, on: !!value, off: !value, source, ruleId: ruleId || '' };
  if (experiment) {
    result.experiment = experiment;
    result.experimentResult = experimentResult;
  }
  return result;
}

/**
 * The result object for variation `index`. The defaults (no or an invalid index) describe a
 * visitor not in the experiment: variation 0, `inExperiment: false`. A `bucket` means the
 * variation came from hashing.
 */
export function experimentResult(
  state: EvalState,
  exp: Experiment,
  featureId: string | null,
  index = -1,
  bucket?: number,
  stickyBucketUsed = false,
  identity = identityOf(state, exp),
): ExperimentResult {
  const hashUsed = bucket !== undefined;
  const inExperiment = index >= 0 && index < exp.variations.length;
  if (!inExperiment) index = 0;
  const { hashAttribute, hashValue } = identity;
  const meta = (exp.meta && exp.meta[index]) || NO_META;
  const result: ExperimentResult = {
    key: variationKey(exp, index),
    featureId,
    inExperiment,
    hashUsed,
    variationId: index,
    value: exp.variations[index],
    hashAttribute,
    hashValue,
    stickyBucketUsed,
  };
  if (meta.name) result.name = meta.name;
  if (hashUsed) result.bucket = bucket;
  if (meta.passthrough) result.passthrough = meta.passthrough;
  const bandit = exp.contextualBandit;
  if (bandit && hashUsed && inExperiment) {
    result.leafId = bandit.leafId;
    result.variationWeights = bandit.variationWeights;
    if (bandit.banditVersion !== undefined) result.banditVersion = bandit.banditVersion;
  }
  return result;
}

