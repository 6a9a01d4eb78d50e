/**
 * Evaluation: pure functions of (definitions, attributes, sticky docs) → result with a `source`.
 * No I/O and no callbacks: the one output besides the result is `ctx.assigned`, where every
 * visitor hashed into an experiment is appended, so the client can persist the sticky bucket and
 * report the exposure once evaluation has returned.
 * The order of checks follows GrowthBook's `runExperiment`/`evalFeature`, so its payloads and
 * conformance cases give the same answers.
 */
import { evalCondition } from './conditions';
import { chooseVariation, chooseVariationFor, getEqualWeights, hash, inNamespace, inRange } from './hash';
import { hashAttributeOf, identityOf, NO_META, stickyVariation, usesSticky, variationKey } from './bucketing';
import type { FeatureSet } from './features';
import type {
  Attributes,
  ConditionInterface,
  ContextualBanditDefinition,
  Experiment,
  ExperimentResult,
  FeatureResult,
  FeatureResultSource,
  FeatureRule,
  Filter,
  Logger,
  ParentCondition,
  SavedGroups,
  StickyAssignmentDocs,
} from './types';
import { getQueryStringOverride, urlMatches } from './url';

/** Everything evaluation reads. Built once per client and updated in place by setters. */
export interface EvalContext {
  /** A null-prototype copy, so attribute names like `constructor` never reach Object.prototype. */
  attributes: Attributes;
  features: FeatureSet;
  savedGroups?: SavedGroups;
  forcedVariations?: Record<string, number>;
  forcedFeatures?: Map<string, unknown>;
  /** Per-experiment overrides merged over inline and rule experiments. */
  overrides?: Record<string, Partial<Experiment>>;
  contextualBandits?: Record<string, ContextualBanditDefinition>;
  groups?: Record<string, boolean>;
  url?: string;
  /** Honour `?experiment-key=N` in `url` (default true). */
  allowUrlOverrides?: boolean;
  qaMode?: boolean;
  /** `false` excludes the visitor from every experiment (also how bots are handled). */
  enabled?: boolean;
  /** Sticky docs by `attr||value`; absent means sticky bucketing is off. */
  stickyDocs?: StickyAssignmentDocs;
  /**
   * Every hashed, in-experiment result is appended here, as experiment then result (a flat list:
   * no pair allocated per evaluation), for sticky persistence and exposure.
   */
  assigned?: (Experiment | ExperimentResult)[];
  /** Hears of targeting problems evaluation recovered from (a refused regex); default `console.warn`. */
  log?: Logger;
}


const hasOwn = Object.prototype.hasOwnProperty;

/**
 * `record[key]` if `record` has it as an own property: options may be plain objects, and an
 * experiment key or group named `constructor` must not find Object.prototype's.
 */
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && hasOwn.call(record, key) ? record[key] : undefined;
}


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

/** Whether the visitor meets `condition` (none: everyone does). */
const matches = (ctx: EvalContext, condition: ConditionInterface | undefined): boolean =>
  evalCondition(ctx.attributes, condition || {}, ctx.savedGroups, ctx.log);

/**
 * The prerequisite walk of one top-level evaluation. `path` holds the features whose
 * prerequisites are being evaluated (the cycle guard); `done` the results of prerequisites
 * already evaluated, so each is evaluated once however many features require it (a diamond of
 * prerequisites was exponential). Only results computed without meeting a cycle are kept:
 * those cannot depend on the path they were reached by.
 */
export interface PrerequisiteWalk {
  path: string[];
  done: Map<string, FeatureResult>;
  /** Cycles met so far. */
  cycles: number;
}

const newWalk = (): PrerequisiteWalk => ({ path: [], done: new Map(), cycles: 0 });

/** Run an inline experiment (no feature): what `client.run` evaluates. */
export const runInlineExperiment = (ctx: EvalContext, exp: Experiment): ExperimentResult => runExperiment(ctx, exp, null);

/** Evaluate feature `id`; `walk` is given when `id` is a prerequisite of another evaluation. */
export function evalFeature(ctx: EvalContext, id: string, walk?: PrerequisiteWalk): FeatureResult {
  if (!walk) return evalRules(ctx, id);
  if (walk.path.indexOf(id) >= 0) {
    walk.cycles++;
    return featureResult(null, 'cyclicPrerequisite');
  }
  let result = walk.done.get(id);
  if (!result) {
    const cycles = walk.cycles;
    result = evalRules(ctx, id, walk);
    if (walk.cycles === cycles) walk.done.set(id, result);
  }
  return result;
}

function evalRules(ctx: EvalContext, id: string, walk?: PrerequisiteWalk): FeatureResult {
  const forced = ctx.forcedFeatures;
  if (forced && forced.has(id)) return featureResult(forced.get(id), 'override');
  const feature = ctx.features.get(id);
  if (!feature) return featureResult(null, 'unknownFeature');

  for (const compiled of feature.rules) {
    const rule = compiled.rule;
    if (rule.parentConditions) {
      const failed = failedPrerequisite(ctx, rule.parentConditions, (walk ||= newWalk()), id);
      if (failed === true) continue;
      // A cycle or a failed gate decides the whole feature.
      if (failed) return featureResult(null, failed);
    }
    if (rule.filters && isFilteredOut(ctx, rule.filters)) continue;

    if ('force' in rule) {
      if (rule.condition && !matches(ctx, rule.condition)) continue;
      if (!isIncludedInRollout(ctx, rule.seed || id, rule)) continue;
      return featureResult(rule.force, 'force', rule.id);
    }

    let exp = compiled.exp;
    if (!exp) continue;
    if (rule.contextualBanditRef) exp = withContextualBandit(ctx, exp, rule.contextualBanditRef);
    const result = runExperiment(ctx, exp, id, walk);
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
  ctx: EvalContext,
  parents: ParentCondition[],
  walk: PrerequisiteWalk,
  featureId: string | null,
): boolean | 'cyclicPrerequisite' | 'prerequisite' {
  if (featureId !== null) walk.path.push(featureId);
  let failed: boolean | 'cyclicPrerequisite' | 'prerequisite' = false;
  for (const parent of parents) {
    const parentResult = evalFeature(ctx, parent.id, walk);
    if (parentResult.source === 'cyclicPrerequisite') {
      failed = 'cyclicPrerequisite';
      break;
    }
    if (!evalCondition({ value: parentResult.value }, parent.condition || {}, ctx.savedGroups, ctx.log)) {
      failed = parent.gate ? 'prerequisite' : true;
      break;
    }
  }
  if (featureId !== null) walk.path.pop();
  return failed;
}

function isFilteredOut(ctx: EvalContext, filters: Filter[]): boolean {
  for (const filter of filters) {
    const { hashValue } = hashAttributeOf(ctx, filter.attribute);
    if (!hashValue) return true;
    const n = hash(filter.seed, '' + hashValue, filter.hashVersion || 2);
    if (n === null || chooseVariation(n, filter.ranges) < 0) return true;
  }
  return false;
}

/** Percentage rollout of a force rule: `hash ≤ coverage` (inclusive, unlike experiments) or in `range`. */
function isIncludedInRollout(ctx: EvalContext, seed: string, rule: FeatureRule): boolean {
  const { range, coverage } = rule;
  if (!range && coverage === undefined) return true;
  if (!range && coverage === 0) return false;
  const { hashValue } = identityOf(ctx, rule);
  if (!hashValue) return false;
  const n = hash(seed, '' + hashValue, rule.hashVersion || 1);
  if (n === null) return false;
  return range ? inRange(n, range) : n <= (coverage as number);
}

/** A copy of `exp` with the weights of the first bandit context the visitor matches. */
function withContextualBandit(ctx: EvalContext, exp: Experiment, ref: string): Experiment {
  const definition = own(ctx.contextualBandits, ref);
  if (!definition) return exp;
  const copy = { ...exp };
  // No leaf matched: bucket on the rule's marginal weights, reported as leaf -1.
  let leafId = -1;
  let weights = exp.weights || getEqualWeights(exp.variations.length);
  for (const context of definition.contexts || []) {
    if (matches(ctx, context.condition)) {
      leafId = context.leafId;
      weights = copy.weights = context.weights;
      break;
    }
  }
  copy.contextualBandit = { leafId, variationWeights: weights, banditVersion: definition.banditVersion };
  return copy;
}

/**
 * The result object for variation `index`. The defaults (no or an invalid index) describe a
 * visitor not in the experiment: variation 0, `inExperiment: false`. A `bucket` means the
 * variation came from hashing.
 */
function experimentResult(
  ctx: EvalContext,
  exp: Experiment,
  featureId: string | null,
  index = -1,
  bucket?: number,
  stickyBucketUsed = false,
  identity = identityOf(ctx, exp),
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

function hasGroupOverlap(ctx: EvalContext, groups: string[]): boolean {
  for (const group of groups) if (own(ctx.groups, group)) return true;
  return false;
}

/**
 * Run an experiment for the visitor in `ctx`. Excluded visitors get variation 0 with
 * `inExperiment: false`. `walk` is the prerequisite walk of the feature evaluation it is part of.
 */
export function runExperiment(
  ctx: EvalContext,
  exp: Experiment,
  featureId: string | null,
  walk?: PrerequisiteWalk,
): ExperimentResult {
  const key = exp.key;
  // `enabled: false` is a kill switch: it beats even QA forces.
  if (exp.variations.length < 2 || ctx.enabled === false || exp.enabled === false) return experimentResult(ctx, exp, featureId);

  const override = own(ctx.overrides, key);
  if (override) {
    exp = { ...exp, ...override };
    if (exp.contextualBandit && exp.weights) {
      exp.contextualBandit = { ...exp.contextualBandit, variationWeights: exp.weights };
    }
  }

  const qs = ctx.allowUrlOverrides === false ? null : getQueryStringOverride(key, ctx.url || '', exp.variations.length);
  if (qs !== null) return experimentResult(ctx, exp, featureId, qs);

  const forced = ctx.forcedVariations;
  if (forced && hasOwn.call(forced, key)) return experimentResult(ctx, exp, featureId, forced[key]);

  // Everyone gets the global override, as a decision of the experiment, so nobody is "exposed".
  if (exp.globalOverride !== undefined) return experimentResult(ctx, exp, featureId, exp.globalOverride);

  if (exp.status === 'draft' || exp.active === false || !inSchedule(exp)) return experimentResult(ctx, exp, featureId);

  const identity = identityOf(ctx, exp);
  const hashValue = identity.hashValue;
  if (!hashValue) return experimentResult(ctx, exp, featureId);

  const found = usesSticky(ctx, exp) ? stickyVariation(ctx, exp) : -1;
  const foundSticky = found !== 'blocked' && found >= 0;

  // Targeting is checked only for visitors without a sticky bucket: once assigned, a visitor
  // keeps the variation even if targeting later excludes them.
  if (!foundSticky) {
    if (exp.filters) {
      if (isFilteredOut(ctx, exp.filters)) return experimentResult(ctx, exp, featureId);
    } else if (exp.namespace && !inNamespace('' + hashValue, exp.namespace)) {
      return experimentResult(ctx, exp, featureId);
    }
    if (
      (exp.include && !included(exp)) ||
      (exp.condition && !matches(ctx, exp.condition)) ||
      (exp.parentConditions && failedPrerequisite(ctx, exp.parentConditions, walk || newWalk(), featureId)) ||
      (exp.groups && !hasGroupOverlap(ctx, exp.groups))
    ) {
      return experimentResult(ctx, exp, featureId);
    }
  }
  if (exp.url && !urlMatches(exp.url, ctx.url)) return experimentResult(ctx, exp, featureId);

  const n = hash(exp.seed || key, '' + hashValue, exp.hashVersion || 1);
  if (n === null) return experimentResult(ctx, exp, featureId);
  if (found === 'blocked') return experimentResult(ctx, exp, featureId, -1, undefined, true);
  const assigned = foundSticky
    ? found
    : exp.ranges
      ? chooseVariation(n, exp.ranges)
      : chooseVariationFor(n, exp.variations.length, exp.coverage, exp.weights);
  if (assigned < 0) return experimentResult(ctx, exp, featureId);
  if ('force' in exp) return experimentResult(ctx, exp, featureId, exp.force === undefined ? -1 : exp.force);
  if (ctx.qaMode || exp.status === 'stopped') return experimentResult(ctx, exp, featureId);

  const result = experimentResult(ctx, exp, featureId, assigned, n, foundSticky, identity);
  if (ctx.assigned) ctx.assigned.push(exp, result);
  return result;
}
