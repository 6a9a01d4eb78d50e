/**
 * Splitflap results as OpenFeature resolution details: value, variant, reason, error code and
 * flag metadata. Shared by the web and the server provider; see the table in docs/openfeature.md.
 */
import type { ErrorCode, FlagMetadata, JsonValue, ResolutionDetails, ResolutionReason } from '@openfeature/core';
import type { Client } from '../../api';
import type { FeatureDefinitions, FeatureResult, FeatureRule } from '../../types';

/** The four flag types OpenFeature resolves. */
export type FlagType = 'boolean' | 'string' | 'number' | 'object';

/** The flag value type of each {@link FlagType}. */
export type FlagValue = boolean | string | number | JsonValue;

/** What the mapping needs besides the result: the payload (for the why) and whether experiments run. */
export interface ResolveInputs {
  definitions: FeatureDefinitions | undefined;
  /** Asked only when the answer matters (a default value of a feature with experiment rules). */
  experimentsOn(): boolean;
}

const hasValueOfType = (value: unknown, type: FlagType): boolean =>
  type === 'object' ? typeof value === 'object' && value !== null : typeof value === type;

/** The definition of `key` in `definitions`, own keys only; undefined when absent or unreadable. */
function definitionOf(definitions: FeatureDefinitions | undefined, key: string): unknown {
  try {
    return definitions && Object.prototype.hasOwnProperty.call(definitions, key) ? definitions[key] : undefined;
  } catch {
    return undefined; // a hostile payload (throwing getter): evaluation logged it already
  }
}

/** The rules of a definition, well-formed ones only. */
function rulesOf(definition: unknown): FeatureRule[] {
  const rules = definition && (definition as { rules?: unknown }).rules;
  return Array.isArray(rules) ? rules.filter((rule): rule is FeatureRule => typeof rule === 'object' && rule !== null) : [];
}

const isExperimentRule = (rule: FeatureRule) => !('force' in rule) && Array.isArray(rule.variations || rule.contextualVariations);

/** Why a force rule gave its value: targeting (a condition), a rollout (pseudorandom), or for everyone. */
function forceReason(rule: FeatureRule | undefined): ResolutionReason {
  if (!rule || rule.condition || rule.parentConditions) return 'TARGETING_MATCH';
  if (rule.range || (typeof rule.coverage === 'number' && rule.coverage < 1) || rule.filters) return 'SPLIT';
  return 'STATIC';
}

const failure = <T>(value: T, errorCode: string, errorMessage: string, flagMetadata: FlagMetadata): ResolutionDetails<T> => ({
  value,
  reason: 'ERROR',
  errorCode: errorCode as ErrorCode,
  errorMessage,
  flagMetadata,
});

/** Map Splitflap's `result` for flag `key`, requested as `type` with `defaultValue`, to resolution details. */
export function resolution<T extends FlagValue>(
  key: string,
  result: FeatureResult,
  type: FlagType,
  defaultValue: T,
  inputs: ResolveInputs,
): ResolutionDetails<T> {
  const { source, ruleId, experimentResult } = result;
  const flagMetadata: FlagMetadata = { source };
  if (ruleId) flagMetadata.ruleId = ruleId;
  if (result.experiment && experimentResult) {
    flagMetadata.experimentKey = result.experiment.key;
    flagMetadata.variationId = experimentResult.variationId;
    flagMetadata.inExperiment = experimentResult.inExperiment;
  }
  const definition = definitionOf(inputs.definitions, key);
  if (source === 'unknownFeature') {
    return definition === undefined
      ? failure(defaultValue, 'FLAG_NOT_FOUND', `No feature "${key}" in the payload`, flagMetadata)
      : failure(defaultValue, 'PARSE_ERROR', `Feature "${key}" is malformed`, flagMetadata);
  }
  if (source === 'cyclicPrerequisite') return failure(defaultValue, 'PARSE_ERROR', `Feature "${key}" has cyclic prerequisites`, flagMetadata);
  // A failed prerequisite gate switches the feature off for this visitor: the app's default.
  if (source === 'prerequisite') return { value: defaultValue, reason: 'TARGETING_MATCH', flagMetadata };
  // null is GrowthBook's "no value" (a feature without a default, a forced null): the app's default.
  if (result.value == null) return { value: defaultValue, reason: 'DEFAULT', flagMetadata };
  if (!hasValueOfType(result.value, type)) {
    const actual = Array.isArray(result.value) ? 'array' : typeof result.value;
    return failure(defaultValue, 'TYPE_MISMATCH', `Feature "${key}" is a ${actual}, not a ${type}`, flagMetadata);
  }
  const value = result.value as T;
  const rules = rulesOf(definition);
  switch (source) {
    case 'experiment':
      // Hashing put the visitor in a variation (SPLIT); a forced variation is targeting.
      return { value, variant: experimentResult && experimentResult.key, reason: experimentResult && experimentResult.hashUsed ? 'SPLIT' : 'TARGETING_MATCH', flagMetadata };
    case 'force':
      return { value, reason: forceReason(rules.find((rule) => 'force' in rule && (rule.id || '') === ruleId)), flagMetadata };
    case 'override':
      return { value, reason: 'TARGETING_MATCH', flagMetadata };
    default: {
      const experiments = rules.filter(isExperimentRule);
      // The value would have come from an experiment, but experiments are off (client or kill switch).
      const disabled = experiments.length > 0 && (!inputs.experimentsOn() || experiments.every((rule) => rule.enabled === false));
      return { value, reason: disabled ? 'DISABLED' : rules.length ? 'DEFAULT' : 'STATIC', flagMetadata };
    }
  }
}

/** Evaluate flag `key` on `client` (the exposure is reported as for any evaluation) and map the result. */
export const resolveFlag = <T extends FlagValue>(client: Client, key: string, type: FlagType, defaultValue: T, inputs: ResolveInputs): ResolutionDetails<T> =>
  resolution(key, client.evalFeature(key), type, defaultValue, inputs);

/** Whether `client` runs experiments (not `enabled: false`, not QA mode, not a bot), as its hydration snapshot says. */
export function runsExperiments(client: Client): boolean {
  const snapshot = client.getSnapshotForHydration({ features: false });
  return snapshot.enabled !== false && !snapshot.qaMode;
}
