/**
 * Pure statistics for experiments and bandits: significance tests on conversion
 * counts, confidence intervals and random variates drawn from an injected
 * uniform RNG (distribution functions are in distributions.ts). No I/O, no global state.
 *
 * Everything works on per-arm counts ({@link ArmStats}); a "conversion" is a
 * 0/1 outcome per participant, so each arm is a binomial sample.
 */

/** Per-arm counts; arm 0 is the control. */
export interface ArmStats {
  participants: number;
  conversions: number;
}

/** A uniform random source on [0, 1), e.g. `Math.random` or a seeded PRNG. */
export type RandomSource = () => number;

/** The outcome of a two-sample test. `pValue` is NaN when the test is undefined. */
export interface TestResult {
  /** The test statistic (t, z or G). */
  statistic: number;
  /** Two-sided p-value; NaN means "cannot tell" and must never declare a winner. */
  pValue: number;
}

import { chiSquare1Sf, normalSf, studentTTwoSided, zCritical } from './distributions';

export { chiSquare1Sf, logGamma, normalCdf, normalQuantile, normalSf, regularizedIncompleteBeta, studentTTwoSided, zCritical } from './distributions';

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** Observed conversion rate; 0 for an empty arm (so rankings never see NaN). */
export function conversionRate(arm: ArmStats): number {
  return arm.participants > 0 ? arm.conversions / arm.participants : 0;
}

/**
 * Pooled (equal-variance) two-sample Student t-test on the 0/1 outcomes of two
 * arms, two-sided: exactly scipy's `ttest_ind(a, b)` as django-bandits calls it.
 *
 *   s_p² = (n₀p₀q₀ + n₁p₁q₁) / (n₀ + n₁ − 2),
 *   t = (p₀ − p₁) / √(s_p² (1/n₀ + 1/n₁)),  df = n₀ + n₁ − 2.
 *
 * The sign of `statistic` is `a` minus `b`. NaN cases follow scipy: an arm
 * with fewer than 2 participants (its sample variance is undefined), or zero
 * pooled variance with equal rates (0/0). Zero variance with different rates
 * (all-0 against all-1) gives t = ±∞ and p = 0, as in scipy.
 */
export function tTest(a: ArmStats, b: ArmStats): TestResult {
  const n0 = a.participants;
  const n1 = b.participants;
  if (n0 < 2 || n1 < 2) return { statistic: NaN, pValue: NaN };
  const p0 = a.conversions / n0;
  const p1 = b.conversions / n1;
  const df = n0 + n1 - 2;
  // n·p·q is the sum of squared deviations of n Bernoulli outcomes.
  const pooledVar = (n0 * p0 * (1 - p0) + n1 * p1 * (1 - p1)) / df;
  const t = (p0 - p1) / Math.sqrt(pooledVar * (1 / n0 + 1 / n1));
  return { statistic: t, pValue: studentTTwoSided(t, df) };
}

/**
 * Two-proportion z-test with the pooled rate under H₀, two-sided.
 * The sign of `statistic` is `a` minus `b`. NaN when an arm is empty or the
 * pooled rate is 0 or 1 (both arms identical and degenerate).
 */
export function zTest(a: ArmStats, b: ArmStats): TestResult {
  const n0 = a.participants;
  const n1 = b.participants;
  if (n0 < 1 || n1 < 1) return { statistic: NaN, pValue: NaN };
  const pooled = (a.conversions + b.conversions) / (n0 + n1);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1));
  if (se === 0) return { statistic: NaN, pValue: NaN };
  const z = (a.conversions / n0 - b.conversions / n1) / se;
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) };
}

/** `O·ln(O/E)`, one term of the G statistic. */
function gTerm(observed: number, expected: number): number {
  return observed * Math.log(observed / expected);
}

/**
 * Sixpack's 2x2 G statistic of `variant` against `control`, unrounded; 0 when any observed cell is 0.
 *
 * Cells are (conversions, non-conversions) × (control, variant); expected
 * counts come from the pooled conversion rate; G = 2·Σ O·ln(O/E). Sixpack
 * shows it rounded to 2 decimals and only once control + variant conversions
 * reach 20: both of those are presentation rules left to the caller. The
 * "any O = 0 → 0" rule is Sixpack's (a log of zero), kept for compatibility.
 * Under H₀, G is approximately χ² with 1 degree of freedom ({@link gTestPValue}).
 */
export function gTest(control: ArmStats, variant: ArmStats): number {
  const cells = [
    control.conversions,
    control.participants - control.conversions,
    variant.conversions,
    variant.participants - variant.conversions,
  ];
  if (cells.some((o) => !(o > 0))) return 0;
  const total = control.participants + variant.participants;
  const pooled = (control.conversions + variant.conversions) / total;
  const expected = [
    control.participants * pooled,
    control.participants * (1 - pooled),
    variant.participants * pooled,
    variant.participants * (1 - pooled),
  ];
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += gTerm(cells[i] as number, expected[i] as number);
  return 2 * sum;
}

/**
 * G-test as a {@link TestResult}: the statistic of {@link gTest} and its χ²₁
 * p-value. Any empty cell makes the test undefined here (NaN), rather than
 * Sixpack's "G = 0", so that it can never be read as "no difference proven".
 */
export function gTestResult(control: ArmStats, variant: ArmStats): TestResult {
  if (hasEmptyCell(control, variant)) return { statistic: 0, pValue: NaN };
  const g = gTest(control, variant);
  return { statistic: g, pValue: gTestPValue(g) };
}

function hasEmptyCell(control: ArmStats, variant: ArmStats): boolean {
  return (
    control.conversions <= 0 ||
    variant.conversions <= 0 ||
    control.participants - control.conversions <= 0 ||
    variant.participants - variant.conversions <= 0
  );
}

/** p-value of a G statistic against χ² with 1 degree of freedom. */
export function gTestPValue(g: number): number {
  return chiSquare1Sf(g);
}

// ---------------------------------------------------------------------------
// Confidence intervals
// ---------------------------------------------------------------------------

/**
 * Wilson score interval at confidence 1 − α, with z = Φ⁻¹(1 − α/2). Unlike
 * Wald it behaves at p̂ = 0 or 1 and for small n. An empty arm gives [0, 1].
 */
export function wilsonInterval(arm: ArmStats, alpha = 0.05): [number, number] {
  const n = arm.participants;
  if (n <= 0) return [0, 1];
  const p = arm.conversions / n;
  const z = zCritical(alpha);
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At p̂ = 0 (or 1) the bound is exactly 0 (or 1); pin it against rounding.
  const lo = arm.conversions <= 0 ? 0 : Math.max(0, centre - half);
  const hi = arm.conversions >= n ? 1 : Math.min(1, centre + half);
  return [lo, hi];
}

// ---------------------------------------------------------------------------
// Random variates from an injected uniform source
// ---------------------------------------------------------------------------

/** A uniform draw on the open interval (0, 1): logs of it are always finite. */
function openUniform(random: RandomSource): number {
  for (;;) {
    const u = random();
    if (u > 0 && u < 1) return u;
  }
}

/** Standard normal variate by Box–Muller (one of the pair; stateless on purpose). */
export function sampleNormal(random: RandomSource): number {
  const u1 = openUniform(random);
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Gamma(shape, 1) variate by Marsaglia & Tsang (2000). For shape < 1 it uses
 * the boost Gamma(a) = Gamma(a + 1)·U^{1/a}, since the squeeze needs a ≥ 1.
 */
export function sampleGamma(shape: number, random: RandomSource): number {
  if (!(shape > 0) || !Number.isFinite(shape)) {
    throw new RangeError(`sampleGamma: shape must be a positive finite number, got ${shape}`);
  }
  if (shape < 1) {
    return sampleGamma(shape + 1, random) * Math.pow(openUniform(random), 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = openUniform(random);
    // Cheap squeeze first, then the exact log test.
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) variate as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(a: number, b: number, random: RandomSource): number {
  const x = sampleGamma(a, random);
  const y = sampleGamma(b, random);
  const sum = x + y;
  // Both can underflow to 0 only for minute shapes; fall back to the mean.
  return sum > 0 ? x / sum : a / (a + b);
}

/**
 * mulberry32: a tiny seeded 32-bit PRNG (Tommy Ettinger's public-domain generator), in [0, 1).
 * Reproducible simulations and tests, and bandit weights every client computes alike; not crypto.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
