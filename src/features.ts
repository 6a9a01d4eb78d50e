/**
 * Payload intake. A feature is validated and compiled on its first evaluation, not when the
 * payload arrives: a server that parses a 2,000-feature payload per request and reads five flags
 * compiles five. Compiled features are cached per payload object (payloads are treated as
 * immutable: pass a new object, as a fetch does, to change definitions). A malformed feature or
 * rule is dropped with a log line (the feature then falls back to its default value, or
 * `unknownFeature`); nothing here throws.
 */
import { isObject, typeOf } from './conditions';
import { weightsFit } from './hash';
import type { Experiment, FeatureDefinition, FeatureDefinitions, FeatureRule, Logger } from './types';

/** A rule plus, for experiment rules, its experiment built once. */
export interface CompiledRule {
  rule: FeatureRule;
  exp?: Experiment;
}

/** A validated feature, ready for `evalFeature`. */
export interface CompiledFeature {
  defaultValue: unknown;
  rules: CompiledRule[];
}

const isNumber = (value: unknown): boolean => typeof value === 'number';
const isRange = (value: unknown): boolean => Array.isArray(value) && value.length === 2 && value.every(isNumber);

/**
 * Each rule field evaluation relies on: the type it must have when present and, for lists whose
 * items evaluation dereferences, a check of each item (a malformed item would otherwise throw or
 * pass silently). Keyed by field, so a rule is checked by walking its own few keys.
 */
const RULE_FIELDS: Record<string, [type: string, item?: (item: unknown) => boolean]> = Object.create(null);
const fields = (type: string, names: string, item?: (item: unknown) => boolean) => {
  for (const field of names.split(' ')) RULE_FIELDS[field] = [type, item];
};
fields('string', 'id key seed hashAttribute fallbackAttribute contextualBanditRef');
fields('number', 'coverage hashVersion bucketVersion minBucketVersion startTs stopTs globalOverride');
fields('boolean', 'enabled');
fields('object', 'condition bandit');
fields('array', 'variations contextualVariations meta');
fields('array', 'weights', isNumber);
fields('array', 'ranges', isRange);
fields('array', 'filters', (f) => isObject(f) && typeof f.seed === 'string' && Array.isArray(f.ranges) && f.ranges.every(isRange));
fields('array', 'parentConditions', (p) => isObject(p) && typeof p.id === 'string');
RULE_FIELDS.namespace = ['array', undefined];
RULE_FIELDS.range = ['array', undefined];

/** Why `rule` cannot be used (the bad field), or '' when every field has the type evaluation relies on. */
function ruleProblem(rule: Record<string, unknown>): string {
  for (const field in rule) {
    const expected = RULE_FIELDS[field];
    const value = rule[field];
    if (!expected || value === undefined) continue;
    if (typeOf(value) !== expected[0] || (expected[1] && !(value as unknown[]).every(expected[1]))) return field;
  }
  const namespace = rule.namespace as unknown[] | undefined;
  if (namespace && !(typeof namespace[0] === 'string' && isNumber(namespace[1]) && isNumber(namespace[2]))) return 'namespace';
  if (rule.range && !isRange(rule.range)) return 'range';
  return '';
}

/**
 * The rule fields GrowthBook copies onto a rule's experiment (and so into results): 2 when even
 * a falsy value is copied (0 and false mean something there), 1 when only a truthy one is.
 */
const EXPERIMENT_FIELDS: Record<string, number> = Object.create(null);
for (const field of (
  'weights hashAttribute fallbackAttribute disableStickyBucketing namespace meta ranges name phase seed hashVersion filters condition' +
  // Splitflap's experiment controls (schedule, descriptions, bandits).
  ' startTs stopTs owner version bandit'
).split(' ')) EXPERIMENT_FIELDS[field] = 1;
for (const field of 'coverage bucketVersion minBucketVersion enabled globalOverride'.split(' ')) EXPERIMENT_FIELDS[field] = 2;

function ruleExperiment(featureKey: string, rule: FeatureRule): Experiment | undefined {
  const variations = rule.contextualVariations || rule.variations;
  if (!variations) return undefined;
  const exp: Experiment = { variations, key: rule.key || featureKey };
  const target = exp as unknown as Record<string, unknown>;
  const source = rule as unknown as Record<string, unknown>;
  // Copy fields the way GrowthBook does, so results deep-equal its own.
  for (const field in source) {
    const copied = EXPERIMENT_FIELDS[field];
    const value = source[field];
    if (copied === 2 ? value !== undefined : copied && value) target[field] = value;
  }
  return exp;
}

function compileFeature(key: string, definition: unknown, log: Logger): CompiledFeature | null {
  if (!isObject(definition)) {
    log('Ignored bad feature', { feature: key });
    return null;
  }
  const { rules: given, defaultValue } = definition as FeatureDefinition;
  const rules: CompiledRule[] = [];
  if (given !== undefined && !Array.isArray(given)) log('Ignored bad rules', { feature: key });
  else {
    for (const rule of given || []) {
      const problem = isObject(rule) ? ruleProblem(rule) : 'rule';
      if (problem) {
        log('Ignored bad rule', { feature: key, field: problem });
        continue;
      }
      const exp = 'force' in rule ? undefined : ruleExperiment(key, rule);
      if (exp && exp.weights && !weightsFit(exp.weights, exp.variations.length)) {
        log('Bad weights; using equal weights', { feature: key });
      }
      rules.push({ rule, exp });
    }
  }
  return { defaultValue, rules };
}

/** Feature definitions as evaluation reads them: compiled on first use. */
export interface FeatureSet {
  /** The definitions as given (for the hydration snapshot and plugins). */
  readonly definitions: FeatureDefinitions | undefined;
  /** The compiled feature `key`, or undefined when there is none (or it is malformed). */
  get(key: string): CompiledFeature | undefined;
}

/** Compiled features per payload object: servers share one payload across per-request clients. */
const compiledByPayload = new WeakMap<object, Map<string, CompiledFeature | null>>();
const EMPTY: FeatureSet = { definitions: undefined, get: () => undefined };

/** A {@link FeatureSet} over `features` (anything: a bad payload is logged and counts as empty). */
export function featureSet(features: unknown, log: Logger): FeatureSet {
  if (features == null) return EMPTY;
  if (!isObject(features)) {
    log('Ignored bad features', { features });
    return EMPTY;
  }
  let compiled = compiledByPayload.get(features);
  if (!compiled) compiledByPayload.set(features, (compiled = new Map()));
  const cache = compiled;
  return {
    definitions: features as FeatureDefinitions,
    get(key) {
      let feature = cache.get(key);
      if (feature === undefined) {
        // Own keys only: `constructor` or `__proto__` never resolve to something inherited.
        let definition: unknown;
        try {
          definition = Object.prototype.hasOwnProperty.call(features, key) ? features[key] : undefined;
          feature = definition === undefined ? null : compileFeature(key, definition, log);
        } catch (error) {
          log('Ignored bad feature', { feature: key, error });
          feature = null;
        }
        cache.set(key, feature);
      }
      return feature || undefined;
    },
  };
}
