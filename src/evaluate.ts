/**
 * Evaluation: pure functions of the state (payload, visitor) → a result with a `source`, and the
 * list of what it assigned. No I/O, no callbacks and no writes to the state: every visitor hashed
 * into an experiment is returned in `Evaluation.assigned`, so the client can persist the sticky
 * bucket and report the exposure once evaluation has returned.
 * The order of checks follows GrowthBook's `runExperiment`/`evalFeature`, so its payloads and
 * conformance cases give the same answers.
 */
import { evalCondition } from './conditions';
import { chooseVariation, chooseVariationFor, getEqualWeights, hash, inNamespace } from './hash';
import { hashAttributeOf, identityOf, isFilteredOut, isIncludedInRollout, stickyVariation, usesSticky } from './bucketing';
import type {
  ConditionInterface,
  Experiment,
  ExperimentResult,
  FeatureResult,
  ParentCondition,
} from './types';
import { experimentResult, featureResult } from './results';
import type { EvalState } from './state';
import { getQueryStringOverride, urlMatches } from './url';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * `record[key]` if `record` has it as an own property: options may be plain objects, and an
 * experiment key or group named `constructor` must not find Object.prototype's.
 */
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && hasOwn.call(record, key) ? record[key] : undefined;
}


/** Whether the visitor meets `condition` (none: everyone does). */
const matches = (state: EvalState, condition: ConditionInterface | undefined): boolean =>
  evalCondition(state.visitor.attributes, condition || {}, state.payload.savedGroups, state.log);

/** An experiment and the result a visitor was hashed into. */
export type Assignment = [experiment: Experiment, result: ExperimentResult];

/**
 * One top-level evaluation (GrowthBook core's `stack`): its result, what it assigned, and its
 * prerequisite walk. `path` holds the features whose prerequisites are being evaluated (the cycle
 * guard); `done` the results of prerequisites already evaluated, so each is evaluated once however
 * many features require it (a diamond of prerequisites was exponential). Only results computed
 * without meeting a cycle are kept: those cannot depend on the path they were reached by.
 */
export interface Evaluation<T> {
  result: T;
  /** Every visitor hashed into an experiment by this evaluation (prerequisites' included), in order. */
  assigned: Assignment[] | undefined;
  path: string[];
  done: Map<string, FeatureResult> | undefined;
  /** Cycles met so far. */
  cycles: number;
}
type Stack = Evaluation<unknown>;

const newStack = (): Stack => ({ result: undefined, assigned: undefined, path: [], done: undefined, cycles: 0 });

/** Evaluate feature `key` for the visitor in `state`. */
export function evaluateFeature(state: EvalState, key: string): Evaluation<FeatureResult> {
  const stack = newStack();
  stack.result = evalRules(state, stack, key);
  return stack as Evaluation<FeatureResult>;
}

/** Run an inline experiment (no feature) for the visitor in `state`: what `client.run` evaluates. */
export function evaluateExperiment(state: EvalState, exp: Experiment): Evaluation<ExperimentResult> {
  const stack = newStack();
  stack.result = runExperiment(state, stack, exp, null);
  return stack as Evaluation<ExperimentResult>;
}

/**
 * The deepest prerequisite chain evaluated: a deeper one counts as a cycle (the feature gets
 * `null`, source `cyclicPrerequisite`), logged once per payload, so no chain can stall a call.
 */
export const MAX_PREREQUISITE_DEPTH = 64;
const deepLogged = new WeakSet<object>();

/** Evaluate feature `id` as a prerequisite of the evaluation on `stack`. */
function evalPrerequisite(state: EvalState, stack: Stack, id: string): FeatureResult {
  const features = state.payload.features;
  const tooDeep = stack.path.length >= MAX_PREREQUISITE_DEPTH;
  if (tooDeep || stack.path.indexOf(id) >= 0) {
    stack.cycles++;
    if (tooDeep && !deepLogged.has(features)) deepLogged.add(features), state.log('Prerequisite chain deeper than 64', { feature: stack.path[0] });
    return featureResult(null, 'cyclicPrerequisite');
  }
  const done = (stack.done ||= new Map());
  let result = done.get(id);
  if (!result) {
    const cycles = stack.cycles;
    result = evalRules(state, stack, id);
    if (stack.cycles === cycles) done.set(id, result);
  }
  return result;
}

function evalRules(state: EvalState, stack: Stack, id: string): FeatureResult {
  const forced = state.visitor.forcedFeatures;
  if (forced && forced.has(id)) return featureResult(forced.get(id), 'override');
  const feature = state.payload.features.get(id);
  if (!feature) return featureResult(null, 'unknownFeature');

  for (const compiled of feature.rules) {
    const rule = compiled.rule;
    if (rule.parentConditions) {
      const failed = failedPrerequisite(state, stack, rule.parentConditions, id);
      if (failed === true) continue;
      // A cycle or a failed gate decides the whole feature.
      if (failed) return featureResult(null, failed);
    }
    if (rule.filters && isFilteredOut(state, rule.filters)) continue;

    if ('force' in rule) {
      if (rule.condition && !matches(state, rule.condition)) continue;
      if (!isIncludedInRollout(state, rule.seed || id, rule)) continue;
      return featureResult(rule.force, 'force', rule.id);
    }

    let exp = compiled.exp;
    if (!exp) continue;
    if (rule.contextualBanditRef) exp = withContextualBandit(state, exp, rule.contextualBanditRef);
    const result = runExperiment(state, stack, exp, id);
    if (result.inExperiment && !result.passthrough) {
      // Bandit context belongs only to visitors the bandit really bucketed.
      if (exp.contextualBandit && !result.hashUsed) {
        exp = { ...exp };
        delete exp.contextualBandit;
      }
      return featureResult(result.value, 'experiment', rule.id, exp, result);
    }
  }
  return featureResult(feature.defaultValue === undefined ? null : feature.defaultValue, 'defaultValue');
}

/**
 * Checks the prerequisites of feature `featureId` (null: an inline experiment). Returns false
 * when all pass, true when a plain one fails (skip the rule), else the source that decides the
 * whole feature: a cycle, or a failed gate.
 */
function failedPrerequisite(
  state: EvalState,
  stack: Stack,
  parents: ParentCondition[],
  featureId: string | null,
): boolean | 'cyclicPrerequisite' | 'prerequisite' {
  if (featureId !== null) stack.path.push(featureId);
  let failed: boolean | 'cyclicPrerequisite' | 'prerequisite' = false;
  for (const parent of parents) {
    const parentResult = evalPrerequisite(state, stack, parent.id);
    if (parentResult.source === 'cyclicPrerequisite') {
      failed = 'cyclicPrerequisite';
      break;
    }
    if (!evalCondition({ value: parentResult.value }, parent.condition || {}, state.payload.savedGroups, state.log)) {
      failed = parent.gate ? 'prerequisite' : true;
      break;
    }
  }
  if (featureId !== null) stack.path.pop();
  return failed;
}

/** A copy of `exp` with the weights of the first bandit context the visitor matches. */
function withContextualBandit(state: EvalState, exp: Experiment, ref: string): Experiment {
  const definition = own(state.visitor.contextualBandits, ref);
  if (!definition) return exp;
  const copy = { ...exp };
  // No leaf matched: bucket on the rule's marginal weights, reported as leaf -1.
  let leafId = -1;
  let weights = exp.weights || getEqualWeights(exp.variations.length);
  for (const context of definition.contexts || []) {
    if (matches(state, context.condition)) {
      leafId = context.leafId;
      weights = copy.weights = context.weights;
      break;
    }
  }
  copy.contextualBandit = { leafId, variationWeights: weights, banditVersion: definition.banditVersion };
  return copy;
}

/** Whether now falls in the experiment's `[startTs, stopTs)` (epoch seconds; either may be absent). */
export function inSchedule(exp: Experiment): boolean {
  if (exp.startTs === undefined && exp.stopTs === undefined) return true; // the usual case: no clock read
  const now = Date.now() / 1000;
  return !(now < (exp.startTs as number)) && !(now >= (exp.stopTs as number));
}

function included(exp: Experiment): boolean {
  try {
    return !!exp.include!();
  } catch {
    return false;
  }
}

function hasGroupOverlap(state: EvalState, groups: string[]): boolean {
  for (const group of groups) if (own(state.visitor.groups, group)) return true;
  return false;
}

/**
 * Run an experiment for the visitor in `state`. Excluded visitors get variation 0 with
 * `inExperiment: false`. `stack` is the evaluation it is part of.
 */
function runExperiment(state: EvalState, stack: Stack, exp: Experiment, featureId: string | null): ExperimentResult {
  const key = exp.key;
  // `enabled: false` is a kill switch: it beats even QA forces.
  if (exp.variations.length < 2 || state.visitor.enabled === false || exp.enabled === false) return experimentResult(state, exp, featureId);

  const override = own(state.visitor.overrides, key);
  if (override) {
    exp = { ...exp, ...override };
    if (exp.contextualBandit && exp.weights) {
      exp.contextualBandit = { ...exp.contextualBandit, variationWeights: exp.weights };
    }
  }

  const qs = state.visitor.allowUrlOverrides === false ? null : getQueryStringOverride(key, state.visitor.url || '', exp.variations.length);
  if (qs !== null) return experimentResult(state, exp, featureId, qs);

  const forced = state.visitor.forcedVariations;
  if (forced && hasOwn.call(forced, key)) return experimentResult(state, exp, featureId, forced[key]);

  // Everyone gets the global override, as a decision of the experiment, so nobody is "exposed".
  if (exp.globalOverride !== undefined) return experimentResult(state, exp, featureId, exp.globalOverride);

  if (exp.status === 'draft' || exp.active === false || !inSchedule(exp)) return experimentResult(state, exp, featureId);

  return bucketVisitor(state, stack, exp, featureId);
}

/**
 * The second half of {@link runExperiment}, once nothing forced a variation: targeting (for
 * visitors without a sticky bucket), then hashing into a variation, recorded on `stack`.
 */
function bucketVisitor(state: EvalState, stack: Stack, exp: Experiment, featureId: string | null): ExperimentResult {
  const identity = identityOf(state, exp);
  const hashValue = identity.hashValue;
  if (!hashValue) return experimentResult(state, exp, featureId);

  const found = usesSticky(state, exp) ? stickyVariation(state, exp) : -1;
  const foundSticky = found !== 'blocked' && found >= 0;

  // Targeting is checked only for visitors without a sticky bucket: once assigned, a visitor
  // keeps the variation even if targeting later excludes them.
  if (!foundSticky) {
    if (exp.filters) {
      if (isFilteredOut(state, exp.filters)) return experimentResult(state, exp, featureId);
    } else if (exp.namespace && !inNamespace('' + hashValue, exp.namespace)) {
      return experimentResult(state, exp, featureId);
    }
    if (
      (exp.include && !included(exp)) ||
      (exp.condition && !matches(state, exp.condition)) ||
      (exp.parentConditions && failedPrerequisite(state, stack, exp.parentConditions, featureId)) ||
      (exp.groups && !hasGroupOverlap(state, exp.groups))
    ) {
      return experimentResult(state, exp, featureId);
    }
  }
  if (exp.url && !urlMatches(exp.url, state.visitor.url)) return experimentResult(state, exp, featureId);

  const n = hash(exp.seed || exp.key, '' + hashValue, exp.hashVersion || 1);
  if (n === null) return experimentResult(state, exp, featureId);
  if (found === 'blocked') return experimentResult(state, exp, featureId, -1, undefined, true);
  const assigned = foundSticky
    ? found
    : exp.ranges
      ? chooseVariation(n, exp.ranges)
      : chooseVariationFor(n, exp.variations.length, exp.coverage, exp.weights);
  if (assigned < 0) return experimentResult(state, exp, featureId);
  if ('force' in exp) return experimentResult(state, exp, featureId, exp.force === undefined ? -1 : exp.force);
  if (state.visitor.qaMode || exp.status === 'stopped') return experimentResult(state, exp, featureId);

  const result = experimentResult(state, exp, featureId, assigned, n, foundSticky, identity);
  (stack.assigned ||= []).push([exp, result]);
  return result;
}
