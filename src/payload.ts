/**
 * Payload intake: validates feature definitions once, when they arrive, so evaluation can trust
 * their shape and stay fast. A malformed feature or rule is dropped with a log line (the feature
 * then falls back to its default value, or `unknownFeature`); nothing here throws.
 */
import { getBucketRanges } from './hash';
import type { Experiment, FeatureDefinition, FeatureRule, Logger, VariationRange } from './types';

/** A rule plus, for experiment rules, its experiment and bucket ranges built once. */
export interface CompiledRule {
  rule: FeatureRule;
  exp?: Experiment;
  ranges?: VariationRange[];
}

/** A validated feature, ready for `evalFeature`. */
export interface CompiledFeature {
  defaultValue: unknown;
  rules: CompiledRule[];
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && v === v;
const isRange = (v: unknown): boolean => Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isNumber(v[1]);
const isRanges = (v: unknown): boolean => Array.isArray(v) && v.every(isRange);

/** Shape checks for the rule fields evaluation reads; a rule failing any of them is dropped. */
const RULE_FIELDS: Record<string, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string',
  key: (v) => typeof v === 'string',
  seed: (v) => typeof v === 'string',
  hashAttribute: (v) => typeof v === 'string',
  fallbackAttribute: (v) => typeof v === 'string',
  contextualBanditRef: (v) => typeof v === 'string',
  condition: isObject,
  coverage: isNumber,
  hashVersion: isNumber,
  bucketVersion: isNumber,
  minBucketVersion: isNumber,
  range: isRange,
  ranges: isRanges,
  variations: Array.isArray,
  contextualVariations: Array.isArray,
  weights: (v) => Array.isArray(v) && v.every(isNumber),
  meta: (v) => Array.isArray(v) && v.every(isObject),
  namespace: (v) => Array.isArray(v) && typeof v[0] === 'string' && isNumber(v[1]) && isNumber(v[2]),
  filters: (v) => Array.isArray(v) && v.every((f) => isObject(f) && typeof f.seed === 'string' && isRanges(f.ranges)),
  parentConditions: (v) => Array.isArray(v) && v.every((p) => isObject(p) && typeof p.id === 'string'),
};

/** The rule fields GrowthBook copies onto a rule's experiment (and so into results). */
const EXPERIMENT_FIELDS = [
  'coverage',
  'weights',
  'hashAttribute',
  'fallbackAttribute',
  'disableStickyBucketing',
  'bucketVersion',
  'minBucketVersion',
  'namespace',
  'meta',
  'ranges',
  'name',
  'phase',
  'seed',
  'hashVersion',
  'filters',
  'condition',
] as const;

function ruleProblem(rule: unknown): string | null {
  if (!isObject(rule)) return 'rule is not an object';
  for (const field in RULE_FIELDS) {
    if (rule[field] !== undefined && !RULE_FIELDS[field](rule[field])) return `invalid "${field}"`;
  }
  return null;
}

function ruleExperiment(featureKey: string, rule: FeatureRule): Experiment | undefined {
  const variations = rule.contextualVariations || rule.variations;
  if (!variations) return undefined;
  const exp: Experiment = { variations, key: rule.key || featureKey };
  const target = exp as unknown as Record<string, unknown>;
  const source = rule as unknown as Record<string, unknown>;
  // Copy fields the way GrowthBook does, so results deep-equal its own: coverage and bucket
  // versions when present (0 is meaningful), everything else only when truthy.
  for (const field of EXPERIMENT_FIELDS) {
    const v = source[field];
    const keepFalsy = field === 'coverage' || field === 'bucketVersion' || field === 'minBucketVersion';
    if (keepFalsy ? v !== undefined : v) target[field] = v;
  }
  return exp;
}

/**
 * Validate and pre-build feature definitions. Returns a Map (never a plain object) so a feature
 * key such as `constructor` or `__proto__` cannot resolve to something inherited.
 */
export function compileFeatures(features: unknown, log: Logger): Map<string, CompiledFeature> {
  const compiled = new Map<string, CompiledFeature>();
  if (features === undefined || features === null) return compiled;
  if (!isObject(features)) {
    log('Ignoring features: expected an object of feature definitions', { features });
    return compiled;
  }
  for (const key of Object.keys(features)) {
    const definition = features[key] as FeatureDefinition;
    if (!isObject(definition)) {
      log('Ignoring feature: definition is not an object', { feature: key });
      continue;
    }
    const rules: CompiledRule[] = [];
    if (definition.rules !== undefined && !Array.isArray(definition.rules)) {
      log('Ignoring rules of feature: "rules" is not an array', { feature: key });
    } else {
      for (const rule of definition.rules || []) {
        const problem = ruleProblem(rule);
        if (problem) {
          log(`Ignoring a rule of feature "${key}": ${problem}`, { feature: key, rule });
          continue;
        }
        const exp = 'force' in rule ? undefined : ruleExperiment(key, rule);
        if (exp && exp.weights && !weightsValid(exp.weights, exp.variations.length)) {
          log(`Weights of a rule of feature "${key}" do not fit its variations; using equal weights`, { feature: key });
        }
        const ranges = exp && !exp.ranges ? getBucketRanges(exp.variations.length, exp.coverage, exp.weights) : undefined;
        rules.push({ rule, exp, ranges });
      }
    }
    compiled.set(key, { defaultValue: definition.defaultValue, rules });
  }
  return compiled;
}

/** Whether `getBucketRanges` will use these weights rather than fall back to equal ones. */
function weightsValid(weights: number[], numVariations: number): boolean {
  let total = 0;
  for (const w of weights) total += w;
  return weights.length === numVariations && total >= 0.99 && total <= 1.01;
}
