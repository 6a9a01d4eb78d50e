/**
 * Who a visitor is for an experiment (its hash attribute, or the fallback one with sticky
 * bucketing) and what their sticky docs say about it: the lookups evaluation makes before it hashes.
 */
import type { EvalState } from './state';
import { hasOlderBucket, stickyAttributeKey, stickyExperimentKey } from './sticky';
import { chooseVariation, hash, inRange } from './hash';
import type { Experiment, FeatureRule, Filter, StickyAssignmentsDocument, VariationMeta } from './types';

/** The fields that pick the identity an experiment or rollout hashes. */
type Hashed = Pick<FeatureRule, 'hashAttribute' | 'fallbackAttribute' | 'disableStickyBucketing'>;

function isEmpty(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

/** Shared by every variation without metadata, so results allocate none. */
export const NO_META: VariationMeta = {};

/** An attribute value usable as an identity: a non-empty string or a non-zero number (anything else is no identity). */
function identityValue(value: unknown): string | number | undefined {
  return (typeof value === 'string' || typeof value === 'number') && value ? value : undefined;
}

/**
 * The attribute used for hashing and its value. The fallback attribute (e.g. an anonymous id
 * while `id` is unknown) is only used with sticky bucketing, which keeps the visitor in place
 * once the primary id appears.
 */
export function hashAttributeOf(
  state: EvalState,
  attribute: string | undefined,
  fallback?: string,
): { hashAttribute: string; hashValue: string | number } {
  let hashAttribute = attribute || 'id';
  let hashValue = identityValue(state.visitor.attributes[hashAttribute]);
  if (!hashValue && fallback) {
    const fallbackValue = identityValue(state.visitor.attributes[fallback]);
    if (fallbackValue) {
      hashAttribute = fallback;
      hashValue = fallbackValue;
    }
  }
  return { hashAttribute, hashValue: hashValue || '' };
}

export function usesSticky(state: EvalState, hashed: Hashed): boolean {
  return !!state.visitor.stickyBucketAssignmentDocs && !hashed.disableStickyBucketing;
}

/** The identity an experiment or rollout hashes: its fallback attribute only with sticky bucketing. */
export function identityOf(state: EvalState, hashed: Hashed) {
  return hashAttributeOf(state, hashed.hashAttribute, usesSticky(state, hashed) ? hashed.fallbackAttribute : undefined);
}

/** The sticky doc of the identity `attribute` names, if any (one without assignments is none). */
function stickyDoc(state: EvalState, attribute: string | undefined): StickyAssignmentsDocument | undefined {
  const { hashAttribute, hashValue } = hashAttributeOf(state, attribute);
  const doc = hashValue ? state.visitor.stickyBucketAssignmentDocs![stickyAttributeKey(hashAttribute, hashValue)] : undefined;
  return doc && typeof doc.assignments === 'object' && doc.assignments !== null ? doc : undefined;
}

/** The variation key the identity `attribute` names has stored under `expKey`, if any. */
function storedAssignment(state: EvalState, attribute: string | undefined, expKey: string): string | undefined {
  const doc = stickyDoc(state, attribute);
  return doc && doc.assignments[expKey];
}

/** Whether the primary or the fallback identity holds a bucket older than `exp.minBucketVersion`. */
function hasBlockedBucket(state: EvalState, exp: Experiment): boolean {
  const min = exp.minBucketVersion;
  if (!(min! > 0)) return false;
  const primary = stickyDoc(state, exp.hashAttribute);
  if (primary && hasOlderBucket(primary.assignments, exp.key, min!)) return true;
  const fallback = exp.fallbackAttribute ? stickyDoc(state, exp.fallbackAttribute) : undefined;
  return !!fallback && hasOlderBucket(fallback.assignments, exp.key, min!);
}

/** The stored variation key of `exp` at `bucketVersion`: the primary identity's wins over the fallback's. */
function storedVariation(state: EvalState, exp: Experiment, bucketVersion?: number): string | undefined {
  const expKey = stickyExperimentKey(exp.key, bucketVersion);
  return (
    storedAssignment(state, exp.hashAttribute, expKey) ||
    (exp.fallbackAttribute ? storedAssignment(state, exp.fallbackAttribute, expKey) : undefined)
  );
}

/** `meta[index].key`, else the index: what results report and sticky buckets store. */
export const variationKey = (exp: Experiment, index: number): string => ((exp.meta && exp.meta[index]) || NO_META).key || '' + index;

/** Looks up a sticky variation. Returns its index, -1 for none, or `'blocked'` (bucket version too old). */
export function stickyVariation(state: EvalState, exp: Experiment): number | 'blocked' {
  // A server's per-request client usually holds no docs: no keys to build, nothing to find.
  if (isEmpty(state.visitor.stickyBucketAssignmentDocs!)) return -1;
  if (hasBlockedBucket(state, exp)) return 'blocked';
  const stored = storedVariation(state, exp, exp.bucketVersion);
  // GrowthBook matches only `meta[i].key`, so a rule without `meta` stored "0"/"1" and never
  // found it again. We match the key the result reported: meta key, else the index.
  for (let i = 0; stored && i < exp.variations.length; i++) if (variationKey(exp, i) === stored) return i;
  return -1;
}

/** Whether the visitor is outside one of a rule's hash `filters` (or has no identity to hash). */
export function isFilteredOut(state: EvalState, filters: Filter[]): boolean {
  for (const filter of filters) {
    const { hashValue } = hashAttributeOf(state, filter.attribute);
    if (!hashValue) return true;
    const n = hash(filter.seed, '' + hashValue, filter.hashVersion || 2);
    if (n === null || chooseVariation(n, filter.ranges) < 0) return true;
  }
  return false;
}

/** Percentage rollout of a force rule: `hash ≤ coverage` (inclusive, unlike experiments) or in `range`. */
export function isIncludedInRollout(state: EvalState, seed: string, rule: FeatureRule): boolean {
  const { range, coverage } = rule;
  if (!range && coverage === undefined) return true;
  if (!range && coverage === 0) return false;
  const { hashValue } = identityOf(state, rule);
  if (!hashValue) return false;
  const n = hash(seed, '' + hashValue, rule.hashVersion || 1);
  if (n === null) return false;
  return range ? inRange(n, range) : n <= (coverage as number);
}
