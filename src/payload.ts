/**
 * Payload intake: validates feature definitions once, when they arrive, so evaluation can trust
 * their shape and stay fast. A malformed feature or rule is dropped with a log line (the feature
 * then falls back to its default value, or `unknownFeature`); nothing here throws.
 */
import { isObject } from './conditions';
import { getBucketRanges, weightsFit } from './hash';
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

/**
 * The type each rule field must have when present (arrays are "array", not "object"). Only
 * top-level types are checked; the items of lists evaluation dereferences are checked below.
 */
const RULE_FIELD_TYPES: Record<string, string> = {
  string: 'id key seed hashAttribute fallbackAttribute contextualBanditRef',
  number: 'coverage hashVersion bucketVersion minBucketVersion startTs stopTs globalOverride',
  boolean: 'enabled',
  object: 'condition bandit',
  array: 'range ranges variations contextualVariations weights meta namespace filters parentConditions',
};

/** `typeof`, with arrays and null told apart, as RULE_FIELD_TYPES names them. */
const typeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Lists whose items evaluation dereferences: a malformed item would otherwise pass silently. */
const ITEM_CHECKS: Record<string, (item: Record<string, unknown>) => boolean> = {
  filters: (f) => typeof f.seed === 'string' && Array.isArray(f.ranges),
  parentConditions: (p) => typeof p.id === 'string',
};

/** The rule fields GrowthBook copies onto a rule's experiment (and so into results). */
const EXPERIMENT_FIELDS = (
  'coverage weights hashAttribute fallbackAttribute disableStickyBucketing bucketVersion minBucketVersion ' +
  'namespace meta ranges name phase seed hashVersion filters condition' +
  // Splitflap's experiment controls (kill switch, schedule, global override, descriptions).
  ' enabled startTs stopTs globalOverride owner version bandit'
).split(' ');

/** Whether every field of `rule` has the type evaluation relies on. */
function ruleFits(rule: Record<string, unknown>): boolean {
  for (const type in RULE_FIELD_TYPES) {
    for (const field of RULE_FIELD_TYPES[type].split(' ')) {
      const value = rule[field];
      const check = ITEM_CHECKS[field];
      if (value === undefined) continue;
      if (typeOf(value) !== type || (check && !(value as unknown[]).every((item) => isObject(item) && check(item)))) {
        return false;
      }
    }
  }
  return true;
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
    const keepFalsy = /^(coverage|bucketVersion|minBucketVersion|enabled|globalOverride)$/.test(field);
    if (keepFalsy ? v !== undefined : v) target[field] = v;
  }
  return exp;
}

const cache = new WeakMap<object, Map<string, CompiledFeature>>();

/**
 * Validate and pre-build feature definitions. Payloads are treated as immutable: the result is
 * cached per payload object, so pass a new object (as a fetch does) to change definitions. Returns a Map (never a plain object) so a feature
 * key such as `constructor` or `__proto__` cannot resolve to something inherited.
 */
export function compileFeatures(features: unknown, log: Logger): Map<string, CompiledFeature> {
  if (features === undefined || features === null) return new Map();
  if (!isObject(features)) {
    log('Ignored bad features', { features });
    return new Map();
  }
  // Servers create a client per request from one shared payload: compile it once.
  let compiled = cache.get(features);
  if (compiled) return compiled;
  compiled = new Map();
  cache.set(features, compiled);
  for (const key of Object.keys(features)) {
    const definition = features[key] as FeatureDefinition;
    if (!isObject(definition)) {
      log('Ignored bad feature', { feature: key });
      continue;
    }
    const rules: CompiledRule[] = [];
    if (definition.rules !== undefined && !Array.isArray(definition.rules)) {
      log('Ignored bad rules', { feature: key });
    } else {
      for (const rule of definition.rules || []) {
        if (!isObject(rule) || !ruleFits(rule)) {
          log('Ignored bad rule', { feature: key, rule });
          continue;
        }
        const exp = 'force' in rule ? undefined : ruleExperiment(key, rule);
        if (exp && exp.weights && !weightsFit(exp.weights, exp.variations.length)) {
          log('Bad weights; using equal weights', { feature: key });
        }
        const ranges = exp && !exp.ranges ? getBucketRanges(exp.variations.length, exp.coverage, exp.weights) : undefined;
        rules.push({ rule, exp, ranges });
      }
    }
    compiled.set(key, { defaultValue: definition.defaultValue, rules });
  }
  return compiled;
}
