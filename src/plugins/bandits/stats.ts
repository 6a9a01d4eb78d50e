/**
 * Pure statistics for experiments and bandits: distribution functions,
 * significance tests on conversion counts, confidence intervals and random
 * variates drawn from an injected uniform RNG. No I/O, no global state.
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

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** Observed conversion rate; 0 for an empty arm (so rankings never see NaN). */
export function conversionRate(arm: ArmStats): number {
  return arm.participants > 0 ? arm.conversions / arm.participants : 0;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

// ---------------------------------------------------------------------------
// Normal distribution
// ---------------------------------------------------------------------------

/**
 * Upper tail Q(x) = P(Z > x) for x ≥ 0, by Hart's double-precision rational
 * approximation (algorithm 5666, as given by G. West, "Better approximations
 * to cumulative normal functions", 2005). Computing the tail directly, rather
 * than 1 − Φ(x), keeps full relative accuracy for small p-values.
 */
function upperTail(xAbs: number): number {
  if (xAbs > 37) return 0; // below the smallest double
  const e = Math.exp((-xAbs * xAbs) / 2);
  if (xAbs < 7.07106781186547) {
    let num = 3.52624965998911e-2 * xAbs + 0.700383064443688;
    num = num * xAbs + 6.37396220353165;
    num = num * xAbs + 33.912866078383;
    num = num * xAbs + 112.079291497871;
    num = num * xAbs + 221.213596169931;
    num = num * xAbs + 220.206867912376;
    let den = 8.83883476483184e-2 * xAbs + 1.75566716318264;
    den = den * xAbs + 16.064177579207;
    den = den * xAbs + 86.7807322029461;
    den = den * xAbs + 296.564248779674;
    den = den * xAbs + 637.333633378831;
    den = den * xAbs + 793.826512519948;
    den = den * xAbs + 440.413735824752;
    return (e * num) / den;
  }
  // Far tail: continued fraction for Mills' ratio.
  let cf = xAbs + 0.65;
  cf = xAbs + 4 / cf;
  cf = xAbs + 3 / cf;
  cf = xAbs + 2 / cf;
  cf = xAbs + 1 / cf;
  return e / cf / SQRT_2PI;
}

/** Standard normal CDF Φ(x), absolute error below ~1e-14. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const q = upperTail(Math.abs(x));
  return x > 0 ? 1 - q : q;
}

/** Standard normal survival function 1 − Φ(x), accurate in the far upper tail. */
export function normalSf(x: number): number {
  return normalCdf(-x);
}

// Coefficients of Acklam's rational approximation to Φ⁻¹ (relative error 1.15e-9).
const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
] as const;
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
] as const;
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
] as const;
const ACKLAM_D = [
  7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416,
] as const;
const ACKLAM_P_LOW = 0.02425;

/** Acklam's approximation to Φ⁻¹(p) for 0 < p < 1, before refinement. */
function acklam(p: number): number {
  const [a0, a1, a2, a3, a4, a5] = ACKLAM_A;
  const [b0, b1, b2, b3, b4] = ACKLAM_B;
  const [c0, c1, c2, c3, c4, c5] = ACKLAM_C;
  const [d0, d1, d2, d3] = ACKLAM_D;
  if (p < ACKLAM_P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - ACKLAM_P_LOW) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/**
 * Standard normal quantile Φ⁻¹(p). Acklam's approximation followed by one
 * Halley step against {@link normalCdf}, which brings it to near machine
 * precision. Returns ∓Infinity at 0 and 1 and NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const x = acklam(p);
  // Halley refinement: e is the CDF error, u = e / φ(x).
  const e = normalCdf(x) - p;
  const u = e * SQRT_2PI * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Two-sided critical value z = Φ⁻¹(1 − α/2), e.g. 1.959964 for α = 0.05. */
export function zCritical(alpha: number): number {
  return normalQuantile(1 - alpha / 2);
}

// ---------------------------------------------------------------------------
// Gamma / Beta functions and Student's t
// ---------------------------------------------------------------------------

// Lanczos approximation (g = 7, n = 9); relative error ~1e-15 for x > 0.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
] as const;

/** ln Γ(x) for x > 0 (Lanczos). */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection keeps the series in its accurate range.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * Continued fraction for the incomplete beta function (modified Lentz), as in
 * Numerical Recipes' `betacf`. Converges fast for x < (a+1)/(a+b+2); the
 * caller uses the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise.
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-15;
  const MAX_ITER = 10_000; // iterations grow like sqrt(max(a, b)); df in the 1e5s is fine
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    // Even step.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

/** Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (Number.isNaN(x) || !(a > 0) || !(b > 0)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // Prefactor x^a (1−x)^b / (a B(a,b)), in logs to avoid overflow.
  const logFront =
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(logFront);
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/**
 * Two-sided tail of Student's t: P(|T| ≥ |t|) with `df` degrees of freedom.
 * Uses the identity P = I_{df/(df+t²)}(df/2, 1/2), which stays accurate for
 * tiny p-values (no 1 − x cancellation).
 */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** Student's t CDF P(T ≤ t) with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const halfTail = studentTTwoSided(t, df) / 2;
  return t > 0 ? 1 - halfTail : halfTail;
}

/**
 * Survival function of χ² with 1 degree of freedom: P(X ≥ x). Since
 * χ²₁ = Z², this is 2·Q(√x), so no incomplete gamma function is needed.
 */
export function chiSquare1Sf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return 2 * normalSf(Math.sqrt(x));
}

// ---------------------------------------------------------------------------
// Two-sample tests on conversion counts
// ---------------------------------------------------------------------------

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
 * Wald interval p̂ ± z·√(p̂(1−p̂)/n) at confidence 1 − α, clamped to [0, 1],
 * with z = Φ⁻¹(1 − α/2). (django-bandits' admin computes z = Φ⁻¹(1 − (1−α)/2)
 * ≈ 0.0627 at α = 0.05, a bug we do not copy.) An empty arm gives [0, 1].
 */
export function waldInterval(arm: ArmStats, alpha = 0.05): [number, number] {
  const n = arm.participants;
  if (n <= 0) return [0, 1];
  const p = arm.conversions / n;
  const half = zCritical(alpha) * Math.sqrt((p * (1 - p)) / n);
  return [Math.max(0, p - half), Math.min(1, p + half)];
}

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
