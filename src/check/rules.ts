/**
 * One feature's rules: value types against the default's, weights, coverage, namespaces, ranges,
 * conditions, and rules that an earlier rule for everyone makes unreachable.
 */
import { checkCondition, type ConditionScope } from './conditions';
import { at, isRecord, kindOf } from './report';

/** A rule's variations (experiment or contextual bandit), when it has some. */
const variationsOf = (rule: Record<string, unknown>): unknown[] | undefined =>
  Array.isArray(rule.variations) ? rule.variations : Array.isArray(rule.contextualVariations) ? rule.contextualVariations : undefined;

/** Checks `features[key]`: its rules, in order. */
export function checkFeature(scope: ConditionScope, definition: unknown, path: string): void {
  if (!isRecord(definition)) return scope.problems.add('invalid-feature', path, 'a feature definition must be an object');
  const rules = definition.rules;
  if (rules === undefined) return;
  if (!Array.isArray(rules)) return scope.problems.add('invalid-feature', at(path, 'rules'), 'rules must be an array');
  let coveredBy: number | undefined;
  rules.forEach((rule, i) => {
    const here = at(at(path, 'rules'), i);
    if (!isRecord(rule)) return scope.problems.add('invalid-feature', here, 'a rule must be an object');
    if (coveredBy !== undefined) {
      scope.problems.add('unreachable-rule', here, `never reached: rules[${coveredBy}] forces a value for everyone`);
    } else if (forcesForEveryone(rule)) coveredBy = i;
    checkRule(scope, definition.defaultValue, rule, here);
  });
}

/** Whether a force rule applies to every visitor (so no later rule is ever reached). */
function forcesForEveryone(rule: Record<string, unknown>): boolean {
  if (!('force' in rule)) return false;
  const has = (field: string) => rule[field] !== undefined && rule[field] !== null;
  const nonEmpty = (field: string) => (Array.isArray(rule[field]) ? (rule[field] as unknown[]).length > 0 : isRecord(rule[field]) ? Object.keys(rule[field]).length > 0 : has(field));
  if (nonEmpty('condition') || nonEmpty('parentConditions') || nonEmpty('filters')) return false;
  if (has('range') || has('namespace') || has('startTs') || has('stopTs') || rule.enabled === false) return false;
  return rule.coverage === undefined || (typeof rule.coverage === 'number' && rule.coverage >= 1);
}

function checkRule(scope: ConditionScope, defaultValue: unknown, rule: Record<string, unknown>, path: string): void {
  if (rule.condition !== undefined) checkCondition(scope, rule.condition, at(path, 'condition'));
  if (rule.parentConditions !== undefined) {
    if (!Array.isArray(rule.parentConditions)) scope.problems.add('invalid-feature', at(path, 'parentConditions'), 'parentConditions must be an array');
    else rule.parentConditions.forEach((parent, i) => isRecord(parent) && checkCondition(scope, parent.condition, at(at(at(path, 'parentConditions'), i), 'condition')));
  }
  checkValueTypes(scope, defaultValue, rule, path);
  checkBucketing(scope, rule, path);
}

/** Forced values and variations of another type than the default value's. */
function checkValueTypes(scope: ConditionScope, defaultValue: unknown, rule: Record<string, unknown>, path: string): void {
  if (defaultValue === undefined || defaultValue === null) return;
  const expected = kindOf(defaultValue);
  const test = (value: unknown, where: string) => {
    if (value !== null && kindOf(value) !== expected) scope.problems.add('value-type', where, `a ${kindOf(value)} where the default value is a ${expected}`);
  };
  if ('force' in rule) test(rule.force, at(path, 'force'));
  const field = Array.isArray(rule.variations) ? 'variations' : 'contextualVariations';
  variationsOf(rule)?.forEach((value, i) => test(value, at(at(path, field), i)));
}

/** A number in [0, 1]. */
const isFraction = (value: unknown): value is number => typeof value === 'number' && value >= 0 && value <= 1;

function checkBucketing(scope: ConditionScope, rule: Record<string, unknown>, path: string): void {
  const { problems } = scope;
  if (rule.coverage !== undefined && !isFraction(rule.coverage)) problems.add('coverage-range', at(path, 'coverage'), `coverage must be a number from 0 to 1, not ${JSON.stringify(rule.coverage)}`);
  const range = rule.range;
  if (range !== undefined && !(Array.isArray(range) && range.length === 2 && isFraction(range[0]) && isFraction(range[1]) && range[0] <= range[1])) {
    problems.add('coverage-range', at(path, 'range'), 'range must be [start, end] with 0 ≤ start ≤ end ≤ 1');
  }
  const ns = rule.namespace;
  if (ns !== undefined && !(Array.isArray(ns) && ns.length === 3 && typeof ns[0] === 'string' && isFraction(ns[1]) && isFraction(ns[2]) && ns[1] < ns[2])) {
    problems.add('namespace-range', at(path, 'namespace'), 'namespace must be [id, start, end] with 0 ≤ start < end ≤ 1');
  }
  if (rule.weights !== undefined) checkWeights(scope, rule.weights, variationsOf(rule), at(path, 'weights'));
}

function checkWeights(scope: ConditionScope, weights: unknown, variations: unknown[] | undefined, path: string): void {
  if (!Array.isArray(weights) || !weights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0)) {
    return scope.problems.add('weights-sum', path, 'weights must be an array of numbers ≥ 0');
  }
  if (variations && weights.length !== variations.length) {
    scope.problems.add('weights-length', path, `${weights.length} weights for ${variations.length} variations; the variations get equal weights`);
  }
  const sum = (weights as number[]).reduce((total, w) => total + w, 0);
  if (Math.abs(sum - 1) > 0.01) scope.problems.add('weights-sum', path, `weights sum to ${+sum.toFixed(4)}, not 1; the variations get equal weights`);
}
