/**
 * Evaluation: pure functions of (definitions, attributes, sticky docs) → result with a `source`.
 * No I/O here; the one side channel is `ctx.onAssignment`, called when a visitor is hashed into
 * an experiment, so the client can persist the sticky bucket and report the exposure.
 * The order of checks follows GrowthBook's `runExperiment`/`evalFeature`, so its payloads and
 * conformance cases give the same answers.
 */
import { evalCondition } from './conditions';
import { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace, inRange } from './hash';
import type { CompiledFeature } from './payload';
import { stickyAttributeKey, stickyExperimentKey } from './sticky';
import type {
  Attributes,
  ContextualBanditDefinition,
  Experiment,
  ExperimentResult,
  FeatureResult,
  FeatureResultSource,
  Filter,
  ParentCondition,
  SavedGroups,
  StickyAssignmentDocs,
  VariationRange,
} from './types';
import { getQueryStringOverride, urlMatches } from './url';

/** Everything evaluation reads. Built once per client and updated in place by setters. */
export interface EvalContext {
  /** A null-prototype copy, so attribute names like `constructor` never reach Object.prototype. */
  attributes: Attributes;
  features: Map<string, CompiledFeature>;
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
  /** Called with every hashed, in-experiment result (sticky persistence and exposure). */
  onAssignment?: (experiment: Experiment, result: ExperimentResult) => void;
}

function featureResult(
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

/** Evaluate feature `id`. `path` holds the features whose prerequisites led here (cycle guard). */
export function evalFeature(ctx: EvalContext, id: string, path?: string[]): FeatureResult {
  if (path && path.indexOf(id) >= 0) return featureResult(null, 'cyclicPrerequisite');
  const forced = ctx.forcedFeatures;
  if (forced && forced.has(id)) return featureResult(forced.get(id), 'override');
  const feature = ctx.features.get(id);
  if (!feature) return featureResult(null, 'unknownFeature');

  rules: for (const compiled of feature.rules) {
    const rule = compiled.rule;
    if (rule.parentConditions) {
      const blocked = failedPrerequisite(ctx, rule.parentConditions, path ? path.concat(id) : [id]);
      if (blocked === 'cyclic') return featureResult(null, 'cyclicPrerequisite');
      if (blocked === 'gate') return featureResult(null, 'prerequisite');
      if (blocked) continue rules;
    }
    if (rule.filters && isFilteredOut(ctx, rule.filters)) continue;

    if ('force' in rule) {
      if (rule.condition && !evalCondition(ctx.attributes, rule.condition, ctx.savedGroups)) continue;
      if (!isIncludedInRollout(ctx, rule.seed || id, rule)) continue;
      return featureResult(rule.force, 'force', rule.id);
    }

    let exp = compiled.exp;
    if (!exp) continue;
    let ranges = compiled.ranges;
    if (rule.contextualBanditRef) {
      exp = withContextualBandit(ctx, exp, rule.contextualBanditRef);
      ranges = undefined;
    }
    const result = runExperiment(ctx, exp, id, path, ranges);
    if (exp.contextualBandit && !(result.hashUsed && result.inExperiment)) {
      exp = { ...exp };
      delete exp.contextualBandit;
    }
    if (result.inExperiment && !result.passthrough) {
      return featureResult(result.value, 'experiment', rule.id, exp, result);
    }
  }
  return featureResult(feature.defaultValue === undefined ? null : feature.defaultValue, 'defaultValue');
}

/**
 * Checks prerequisites. Returns false when all pass, `'cyclic'` on a cycle, `'gate'` when a
 * gating prerequisite fails (the feature is blocked), true when a plain one fails (skip the rule).
 */
function failedPrerequisite(
  ctx: EvalContext,
  parents: ParentCondition[],
  path: string[],
): boolean | 'cyclic' | 'gate' {
  for (const parent of parents) {
    const parentResult = evalFeature(ctx, parent.id, path);
    if (parentResult.source === 'cyclicPrerequisite') return 'cyclic';
    if (!evalCondition({ value: parentResult.value }, parent.condition || {}, ctx.savedGroups)) {
      return parent.gate ? 'gate' : true;
    }
  }
  return false;
}

/**
 * The attribute used for hashing and its value. The fallback attribute (e.g. an anonymous id
 * while `id` is unknown) is only used with sticky bucketing, which keeps the visitor in place
 * once the primary id appears.
 */
function hashAttributeOf(
  ctx: EvalContext,
  attribute: string | undefined,
  fallback?: string,
): { hashAttribute: string; hashValue: string | number } {
  let hashAttribute = attribute || 'id';
  let hashValue = ctx.attributes[hashAttribute];
  if (!hashValue && fallback) {
    const fallbackValue = ctx.attributes[fallback];
    if (fallbackValue) {
      hashAttribute = fallback;
      hashValue = fallbackValue;
    }
  }
  return { hashAttribute, hashValue: hashValue ? (hashValue as string | number) : '' };
}

function usesSticky(ctx: EvalContext, exp: { disableStickyBucketing?: boolean }): boolean {
  return !!ctx.stickyDocs && !exp.disableStickyBucketing;
}

function isFilteredOut(ctx: EvalContext, filters: Filter[]): boolean {
  for (const filter of filters) {
    const { hashValue } = hashAttributeOf(ctx, filter.attribute);
    if (!hashValue) return true;
    const n = hash(filter.seed, '' + hashValue, filter.hashVersion || 2);
    if (n === null) return true;
    let inside = false;
    for (const range of filter.ranges) if (inRange(n, range)) inside = true;
    if (!inside) return true;
  }
  return false;
}

/** Percentage rollout of a force rule: `hash ≤ coverage` (inclusive, unlike experiments) or in `range`. */
function isIncludedInRollout(
  ctx: EvalContext,
  seed: string,
  rule: {
    range?: VariationRange;
    coverage?: number;
    hashAttribute?: string;
    fallbackAttribute?: string;
    hashVersion?: number;
    disableStickyBucketing?: boolean;
  },
): boolean {
  const { range, coverage } = rule;
  if (!range && coverage === undefined) return true;
  if (!range && coverage === 0) return false;
  const { hashValue } = hashAttributeOf(
    ctx,
    rule.hashAttribute,
    usesSticky(ctx, rule) ? rule.fallbackAttribute : undefined,
  );
  if (!hashValue) return false;
  const n = hash(seed, '' + hashValue, rule.hashVersion || 1);
  if (n === null) return false;
  return range ? inRange(n, range) : n <= (coverage as number);
}

function withContextualBandit(ctx: EvalContext, exp: Experiment, ref: string): Experiment {
  const definition = ctx.contextualBandits && ctx.contextualBandits[ref];
  if (!definition) return exp;
  const copy = { ...exp };
  for (const context of definition.contexts || []) {
    if (evalCondition(ctx.attributes, context.condition || {}, ctx.savedGroups)) {
      copy.weights = context.weights;
      copy.contextualBandit = { leafId: context.leafId, variationWeights: context.weights, banditVersion: definition.banditVersion };
      return copy;
    }
  }
  // No leaf matched: bucket on the rule's marginal weights, reported as leaf -1.
  copy.contextualBandit = {
    leafId: -1,
    variationWeights: exp.weights || getEqualWeights(exp.variations.length),
    banditVersion: definition.banditVersion,
  };
  return copy;
}

/** Looks up a sticky variation. Returns its index, -1 for none, or `'blocked'` (bucket version too old). */
function stickyVariation(ctx: EvalContext, exp: Experiment): number | 'blocked' {
  const docs = ctx.stickyDocs as StickyAssignmentDocs;
  const primary = hashAttributeOf(ctx, exp.hashAttribute);
  const fallback = exp.fallbackAttribute ? hashAttributeOf(ctx, exp.fallbackAttribute) : null;
  const primaryDoc = primary.hashValue ? docs[stickyAttributeKey(primary.hashAttribute, primary.hashValue)] : undefined;
  const fallbackDoc =
    fallback && fallback.hashValue ? docs[stickyAttributeKey(fallback.hashAttribute, fallback.hashValue)] : undefined;
  if (!primaryDoc && !fallbackDoc) return -1;
  // The primary identity's assignment wins over the fallback's.
  const lookup = (key: string): string | undefined =>
    (primaryDoc && primaryDoc.assignments[key]) || (fallbackDoc && fallbackDoc.assignments[key]) || undefined;

  const minVersion = exp.minBucketVersion || 0;
  for (let v = 0; v < minVersion; v++) if (lookup(stickyExperimentKey(exp.key, v)) !== undefined) return 'blocked';

  const variationKey = lookup(stickyExperimentKey(exp.key, exp.bucketVersion));
  if (variationKey === undefined) return -1;
  // GrowthBook matches only `meta[i].key`, so a rule without `meta` stored "0"/"1" and never
  // found it again. We match the key the result reported: meta key, else the index.
  for (let i = 0; i < exp.variations.length; i++) {
    const meta = exp.meta && exp.meta[i];
    if (((meta && meta.key) || '' + i) === variationKey) return i;
  }
  return -1;
}

/** The result object for variation `index` (an invalid index means "not in the experiment"). */
export function experimentResult(
  ctx: EvalContext,
  exp: Experiment,
  index: number,
  hashUsed: boolean,
  featureId: string | null,
  bucket?: number,
  stickyBucketUsed?: boolean,
): ExperimentResult {
  let inExperiment = true;
  if (index < 0 || index >= exp.variations.length) {
    index = 0;
    inExperiment = false;
  }
  const { hashAttribute, hashValue } = hashAttributeOf(
    ctx,
    exp.hashAttribute,
    usesSticky(ctx, exp) ? exp.fallbackAttribute : undefined,
  );
  const meta = exp.meta ? exp.meta[index] || {} : {};
  const result: ExperimentResult = {
    key: meta.key || '' + index,
    featureId,
    inExperiment,
    hashUsed,
    variationId: index,
    value: exp.variations[index],
    hashAttribute,
    hashValue,
    stickyBucketUsed: !!stickyBucketUsed,
  };
  if (meta.name) result.name = meta.name;
  if (bucket !== undefined) result.bucket = bucket;
  if (meta.passthrough) result.passthrough = meta.passthrough;
  const cb = exp.contextualBandit;
  if (cb && hashUsed && inExperiment) {
    result.leafId = cb.leafId;
    result.variationWeights = cb.variationWeights;
    if (cb.banditVersion !== undefined) result.banditVersion = cb.banditVersion;
  }
  return result;
}

function included(exp: Experiment): boolean {
  try {
    return !!exp.include!();
  } catch {
    return false;
  }
}

function hasGroupOverlap(ctx: EvalContext, groups: string[]): boolean {
  for (const group of groups) if (ctx.groups && ctx.groups[group]) return true;
  return false;
}

/**
 * Run an experiment for the visitor in `ctx`. Excluded visitors get variation 0 with
 * `inExperiment: false`. `ranges` may be passed pre-computed for the experiment's own settings.
 */
export function runExperiment(
  ctx: EvalContext,
  exp: Experiment,
  featureId: string | null,
  path?: string[],
  ranges?: VariationRange[],
): ExperimentResult {
  const key = exp.key;
  const excluded = (): ExperimentResult => experimentResult(ctx, exp, -1, false, featureId);
  if (exp.variations.length < 2 || ctx.enabled === false) return excluded();

  const override = ctx.overrides && ctx.overrides[key];
  if (override) {
    exp = { ...exp, ...override };
    ranges = undefined;
    if (exp.contextualBandit && exp.weights) {
      exp.contextualBandit = { ...exp.contextualBandit, variationWeights: exp.weights };
    }
  }

  const qs = ctx.allowUrlOverrides === false ? null : getQueryStringOverride(key, ctx.url || '', exp.variations.length);
  if (qs !== null) return experimentResult(ctx, exp, qs, false, featureId);

  const forced = ctx.forcedVariations;
  if (forced && key in forced) return experimentResult(ctx, exp, forced[key], false, featureId);

  if (exp.status === 'draft' || exp.active === false) return excluded();

  const sticky = usesSticky(ctx, exp);
  const { hashValue } = hashAttributeOf(ctx, exp.hashAttribute, sticky ? exp.fallbackAttribute : undefined);
  if (!hashValue) return excluded();

  let assigned = -1;
  let blocked = false;
  if (sticky) {
    const found = stickyVariation(ctx, exp);
    if (found === 'blocked') blocked = true;
    else assigned = found;
  }
  const foundSticky = assigned >= 0;

  // Targeting is checked only for visitors without a sticky bucket: once assigned, a visitor
  // keeps the variation even if targeting later excludes them.
  if (!foundSticky) {
    if (exp.filters) {
      if (isFilteredOut(ctx, exp.filters)) return excluded();
    } else if (exp.namespace && !inNamespace('' + hashValue, exp.namespace)) {
      return excluded();
    }
    if (exp.include && !included(exp)) return excluded();
    if (exp.condition && !evalCondition(ctx.attributes, exp.condition, ctx.savedGroups)) return excluded();
    if (exp.parentConditions && failedPrerequisite(ctx, exp.parentConditions, path || [])) return excluded();
    if (exp.groups && !hasGroupOverlap(ctx, exp.groups)) return excluded();
  }
  if (exp.url && !urlMatches(exp.url, ctx.url)) return excluded();

  const n = hash(exp.seed || key, '' + hashValue, exp.hashVersion || 1);
  if (n === null) return excluded();
  if (!foundSticky) {
    assigned = chooseVariation(n, exp.ranges || ranges || getBucketRanges(exp.variations.length, exp.coverage, exp.weights));
  }
  if (blocked) return experimentResult(ctx, exp, -1, false, featureId, undefined, true);
  if (assigned < 0) return excluded();
  if ('force' in exp) return experimentResult(ctx, exp, exp.force === undefined ? -1 : exp.force, false, featureId);
  if (ctx.qaMode || exp.status === 'stopped') return excluded();

  const result = experimentResult(ctx, exp, assigned, true, featureId, n, foundSticky);
  if (ctx.onAssignment) ctx.onAssignment(exp, result);
  return result;
}
