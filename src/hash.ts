import type { Namespace, VariationRange } from './types';

/**
 * 32-bit FNV-1a of `a + b` over UTF-16 code units, as GrowthBook hashes (not UTF-8 bytes).
 * Taking two parts saves building the concatenated string on the hot path.
 */
export function fnv1a32(a: string, b = ''): number {
  let h = 0x811c9dc5;
  // Math.imul keeps the multiply in 32-bit integers (the shift-add form spills into doubles).
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a.charCodeAt(i), 16777619);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Deterministic bucket in [0, 1) for `value` under `seed`.
 * Version 1: `fnv(value + seed) % 1000 / 1000`; version 2: `fnv(str(fnv(seed + value))) % 10000 / 10000`
 * (v2 fixes v1's bias between experiments with similar keys). Any other version, or a seed or
 * value that is not a string → `null`.
 */
export function hash(seed: string, value: string, version: number): number | null {
  if (typeof seed !== 'string' || typeof value !== 'string') return null;
  if (version === 2) return (fnv1a32(fnv1a32(seed, value) + '') % 10000) / 10000;
  if (version === 1) return (fnv1a32(value, seed) % 1000) / 1000;
  return null;
}

/** Whether `n` can be a number of variations: a positive integer (and a valid array length). */
const isCount = (n: number): boolean => Number.isInteger(n) && n > 0 && n <= 0xffffffff;

/** `n` equal weights summing to 1; `[]` unless `n` {@link isCount}. */
export function getEqualWeights(n: number): number[] {
  if (!isCount(n)) return [];
  return new Array(n).fill(1 / n);
}

/** Whether `n` falls in the half-open range `[start, end)`; a range that is not two numbers holds nothing. */
export function inRange(n: number, range: VariationRange): boolean {
  if (!Array.isArray(range)) return false;
  const [start, end] = range;
  return typeof start === 'number' && typeof end === 'number' && n >= start && n < end;
}

/** Whether `weights` can be used for `n` variations: one number each, summing to 1 (±0.01). */
export function weightsFit(weights: number[], n: number): boolean {
  if (!Array.isArray(weights) || weights.length !== n) return false;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const weight: unknown = weights[i];
    if (typeof weight !== 'number') return false;
    total += weight;
  }
  return total >= 0.99 && total <= 1.01;
}

/** Coverage as bucketing uses it: a number in [0, 1], anything else 0. */
const clampCoverage = (coverage: unknown): number => (typeof coverage !== 'number' || !(coverage >= 0) ? 0 : coverage > 1 ? 1 : coverage);

/**
 * Bucket ranges for `numVariations` at `coverage`. Each range starts at the cumulative weight
 * before it, so raising coverage only adds visitors and never moves anyone to another variation.
 * Weights of the wrong length or not summing to ~1 fall back to equal weights.
 */
export function getBucketRanges(numVariations: number, coverage = 1, weights?: number[]): VariationRange[] {
  coverage = clampCoverage(coverage);
  let cumulative = 0;
  return (weights && weightsFit(weights, numVariations) ? weights : getEqualWeights(numVariations)).map((weight) => {
    const start = cumulative;
    cumulative += weight;
    return [start, start + coverage * weight];
  });
}

/**
 * `chooseVariation(n, getBucketRanges(count, coverage, weights))` without building the ranges:
 * inline experiments compute their ranges on every run.
 */
export function chooseVariationFor(n: number, count: number, coverage = 1, weights?: number[]): number {
  coverage = clampCoverage(coverage);
  const fits = !!weights && weightsFit(weights, count);
  if (!fits && !isCount(count)) return -1;
  let cumulative = 0;
  for (let i = 0; i < count; i++) {
    const weight = fits ? weights![i]! : 1 / count;
    const start = cumulative;
    cumulative += weight;
    if (n >= start && n < start + coverage * weight) return i;
  }
  return -1;
}

/** Index of the range holding `n`, or -1 when none does (visitor outside coverage, or no ranges). */
export function chooseVariation(n: number, ranges: VariationRange[]): number {
  if (typeof n !== 'number' || !Array.isArray(ranges)) return -1;
  for (let i = 0; i < ranges.length; i++) if (inRange(n, ranges[i])) return i;
  return -1;
}

/** Whether `hashValue` falls inside the namespace's `[start, end)` slice; a malformed namespace holds nobody. */
export function inNamespace(hashValue: string, namespace: Namespace): boolean {
  if (!Array.isArray(namespace)) return false;
  const id: unknown = namespace[0];
  if (typeof id !== 'string' && typeof id !== 'number') return false;
  const n = hash('__' + id, hashValue, 1);
  return n !== null && inRange(n, [namespace[1], namespace[2]]);
}
