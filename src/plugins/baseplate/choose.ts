/**
 * Choosing a variant exactly as baseplate does, and `loadBaseplateConfig`, which turns a config
 * file into named experiments for the `baseplate()` plugin.
 */
import type { Experiment, ExperimentResult } from '../../types';
import type { NamedExperiment as ExperimentDefinition } from './index';
import { LEGACY, parseBaseplateConfig, trunc } from './config';
import { isObject } from '../../conditions';
import { hasOwn, isNum, pyCompare, pyIn, pythonStr, sha1ModBucket, truthy, type Log } from './python';
import { evalTargeting } from './targeting';
import type { R2Settings, VariantAllocator, VariantChoice, VariantExperiment, VariantReason } from './types';

// ---------------------------------------------------------------------------------------------
// Choosing

// Python's `{k.lower(): v for k, v in kwargs.items()}`: on a clash the later key wins.
function lowerKeys(attrs: Record<string, unknown>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(attrs)) out[k.toLowerCase()] = attrs[k];
  return out;
}

/** The allocator's variant for integer bucket `b`, or null. */
export function allocate(allocator: VariantAllocator, b: number, numBuckets: number): string | null {
  if (allocator.kind === 'twoEnded') {
    if (b < allocator.lowEnd) return allocator.low;
    return b >= allocator.highStart ? allocator.high : null;
  }
  if (allocator.kind === 'ranges') {
    for (const r of allocator.ranges) if (r.start <= b && b < r.end) return r.variant;
    return null;
  }
  // r2: candidate = names[b mod k]; in only if b < ⌊p·k·N/100⌋, so each variant is capped at
  // 1/k and growing a percentage never moves anyone between variants. The product is taken in
  // baseplate's order, p·k·(N/100), so float rounding matches.
  const k = allocator.names.length;
  if (k === 0) return null;
  const i = b % k;
  return b < trunc(allocator.percents[i] * k * (numBuckets / 100)) ? allocator.names[i] : null;
}

/**
 * Baseplate's bucketing id `"{name}:{bucket_val}:{str(value)}"`, used to log one `choose` event
 * per id per request; null when the bucket value is missing or falsy (then nothing is logged).
 */
export function bucketingId(def: VariantExperiment, attributes: Record<string, unknown>): string | null {
  return idFrom(def, lowerKeys(attributes));
}

// Baseplate reads the id's value from the raw attributes but buckets on the lowercased ones;
// we use the lowercased ones for both, so `User_ID` both buckets and logs.
function idFrom(def: VariantExperiment, lower: Record<string, unknown>): string | null {
  const v = lower[def.hash.bucketVal];
  const s = truthy(v) ? pythonStr(v) : null;
  return s === null ? null : `${def.name}:${def.hash.bucketVal}:${s}`;
}

function r2Override(r2: R2Settings, attrs: Record<string, unknown>): unknown {
  for (const [param, map] of r2.overrides) {
    if (!(param in attrs)) continue;
    const v = attrs[param];
    for (const value of Array.isArray(v) ? v : [v]) {
      // Config keys are strings, so only a string can match (Python: 1 != "1").
      if (typeof value !== 'string') continue;
      const key = r2.caseSensitiveOverrides.includes(param) ? value : value.toLowerCase();
      const variant = hasOwn(map, key) ? map[key] : null;
      if (variant != null) return variant; // the first hit decides, even if not a variant
    }
  }
  return null;
}

function r2Targeted(r2: R2Settings, attrs: Record<string, unknown>): boolean {
  for (const [param, allowed] of r2.targeting) {
    if (!(param in attrs)) continue;
    const v = attrs[param];
    for (const value of Array.isArray(v) ? v : [v]) {
      const final =
        typeof value === 'string' && !r2.caseSensitiveTargeting.includes(param) ? value.toLowerCase() : value;
      if (!pyIn(final, allowed)) continue;
      if (param !== 'logged_in' || !truthy(r2.newerThan)) return true;
      const created = attrs.user_created;
      const c = truthy(created) ? pyCompare(created, r2.newerThan) : null;
      if (c !== null && c > 0) return true;
    }
  }
  return false; // empty targeting means no one
}

/**
 * Baseplate's `variant()` for one definition: which variant `attributes` get at `nowSeconds`,
 * and whether a `choose` event is due. Attribute names are matched case-insensitively for the
 * bucket value and r2 params, case-sensitively by targeting trees (as baseplate does).
 *
 * Order, simple types: global override → enabled → schedule [start, stop) → bucket value
 * present and non-null → overrides → targeting → bucket.
 * r2/feature_flag: enabled → schedule → global override → override (only if the variant
 * exists) → bucket value → targeting → bucket.
 */
export function chooseVariant(
  def: VariantExperiment,
  attributes: Record<string, unknown>,
  nowSeconds: number,
): VariantChoice {
  const none = (reason: VariantReason, bucket?: number): VariantChoice =>
    bucket === undefined ? { variant: null, log: false, reason } : { variant: null, log: false, bucket, reason };
  const attrs = isObject(attributes) ? attributes : {};
  const legacy = def.r2 !== undefined || LEGACY.has(def.type);
  // Baseplate checks r2/feature_flag schedules once, at parse time, with an inclusive stop;
  // evaluating at call time over [start, stop) for every type differs only at the stop instant.
  const inSchedule = def.startTs <= nowSeconds && nowSeconds < def.stopTs;
  const gate = () => (!def.enabled ? none('disabled') : !inSchedule ? none('schedule') : null);
  if (legacy) {
    const closed = gate();
    if (closed) return closed;
  }
  if (def.globalOverride !== undefined) return { variant: def.globalOverride, log: false, reason: 'globalOverride' };
  if (def.type === 'unknown') return none('unknownType');
  const closed = gate();
  if (closed) return closed;

  const lower = lowerKeys(attrs);
  const chosen = (variant: string, reason: VariantReason, bucket?: number): VariantChoice => {
    const log = def.logBucketing && idFrom(def, lower) !== null;
    return bucket === undefined ? { variant, log, reason } : { variant, log, bucket, reason };
  };
  if (def.r2) {
    const o = r2Override(def.r2, lower);
    if (typeof o === 'string' && def.allocator.kind === 'interleaved' && def.allocator.names.includes(o)) {
      return chosen(o, 'override');
    }
  }
  const value = lower[def.hash.bucketVal];
  if (value == null) return none('missingBucketValue');
  if (!def.r2) {
    // `if override:` in baseplate, so an empty variant name does not count.
    for (const o of def.overrides) {
      if (o.variant && evalTargeting(o.targeting, attrs)) return chosen(o.variant, 'override');
    }
  }
  if (!(def.r2 ? r2Targeted(def.r2, lower) : evalTargeting(def.targeting, attrs))) return none('notTargeted');
  const str = pythonStr(value);
  if (str === null) return none('invalidBucketValue');
  const bucket = sha1ModBucket(def.hash.seed, str, def.hash.numBuckets);
  const variant = allocate(def.allocator, bucket, def.hash.numBuckets);
  return variant === null ? none('notAllocated', bucket) : chosen(variant, 'bucketed', bucket);
}

/** The variant names an allocator can give, in a stable order (the "variations" of events). */
function variantNames(allocator: VariantAllocator): string[] {
  if (allocator.kind === 'twoEnded') return [allocator.low, allocator.high];
  if (allocator.kind === 'ranges') return allocator.ranges.map((r) => r.variant);
  return allocator.names;
}

/**
 * Baseplate's experiment config file as Splitflap experiment definitions for
 * `createClient({ experiments })`: `client.variant(name)` then buckets exactly as baseplate
 * (sha1 of seed and bucket value, mod N, the same allocators, targeting and overrides) and logs
 * each bucketing event once per (experiment, visitor, variant), with `id`, `owner` and
 * `version` passed through on the event's experiment.
 */
export function loadBaseplateConfig(json: unknown, log?: Log): Record<string, ExperimentDefinition> {
  const parsed = parseBaseplateConfig(json, log);
  const out = Object.create(null) as Record<string, ExperimentDefinition>;
  for (const key of Object.keys(parsed)) {
    const def = parsed[key];
    const experiment: Experiment = {
      key,
      variations: variantNames(def.allocator),
      id: def.id,
      owner: def.owner ?? undefined,
      version: def.version ?? undefined,
      hashAttribute: def.hash.bucketVal,
    };
    out[key] = {
      id: def.id,
      owner: experiment.owner,
      version: experiment.version,
      startTs: def.startTs,
      stopTs: def.stopTs,
      enabled: def.enabled,
      choose(attributes, nowSeconds) {
        const choice = chooseVariant(def, attributes, nowSeconds);
        if (!choice.log || choice.variant === null) return { variant: choice.variant };
        const result: ExperimentResult = {
          key: choice.variant,
          value: choice.variant,
          variationId: Math.max(0, experiment.variations.indexOf(choice.variant)),
          inExperiment: true,
          hashUsed: choice.reason === 'bucketed',
          hashAttribute: def.hash.bucketVal,
          hashValue: pythonStr(lowerKeys(attributes)[def.hash.bucketVal]) ?? '',
          featureId: null,
          stickyBucketUsed: false,
        };
        if (choice.bucket !== undefined) result.bucket = choice.bucket / def.hash.numBuckets;
        return { variant: choice.variant, event: [experiment, result] };
      },
    };
  }
  return out;
}

