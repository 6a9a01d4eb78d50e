/**
 * Multi-armed bandit policies and winner detection over per-arm conversion
 * counts. Pure functions: every random draw comes from `options.random`
 * (default `Math.random`), so a seeded PRNG makes every result reproducible.
 *
 * Arms are indexed like the `stats` array; arm 0 is the control.
 */
import {
  type ArmStats,
  type RandomSource,
  type TestResult,
  conversionRate,
  gTestResult,
  sampleBeta,
  tTest,
  wilsonInterval,
  zTest,
} from './stats';

export type { ArmStats, RandomSource } from './stats';

/**
 * The allocation policies:
 * - `epsilon-greedy`: explore uniformly with probability ε, otherwise play the best observed rate.
 * - `epsilon-decay`: the same with ε = 1/(1 + n/k) shrinking as participants n accumulate.
 * - `ucb1`: play argmax rᵢ + c·√(ln N / nᵢ), untried arms first.
 * - `thompson`: play the argmax of one draw from each arm's Beta posterior.
 * - `whiplash`: Sixpack's removed bandit mode, parameters and quirk included.
 */
export type BanditPolicy = 'epsilon-greedy' | 'epsilon-decay' | 'ucb1' | 'thompson' | 'whiplash';

/** Tuning for {@link banditWeights} and {@link chooseArm}; every field is optional. */
export interface BanditOptions {
  /** Uniform source on [0, 1). The only source of randomness. Default `Math.random`. */
  random?: () => number;
  /** `epsilon-greedy`: exploration probability in [0, 1]. Default 0.1 (django-bandits). */
  epsilon?: number;
  /**
   * `epsilon-decay`: k in ε = 1/(1 + n/k), n = total participants. Default: the
   * number of arms, which for two arms is django-bandits' 1/(1 + n/2).
   */
  decayK?: number;
  /** `ucb1`: exploration constant c ≥ 0. Default 2 (django-bandits). */
  c?: number;
  /** `thompson`: Beta prior pseudo-counts. Default `{ alpha: 1, beta: 1 }` (uniform). */
  prior?: { alpha: number; beta: number };
  /** Monte-Carlo draws for the weights of `thompson` and `whiplash`. Default 1000. */
  samples?: number;
  /**
   * `whiplash`: the arm the deterministic hash chose (Sixpack's
   * sha1-prefix-mod choice), used on the 20% non-bandit branch. When absent,
   * that branch picks an arm uniformly at random instead.
   */
  hashChoice?: number;
}

/** Options of {@link detectWinner}. */
export interface WinnerOptions {
  /** Minimum participants summed over all arms before any test runs. Default 100 (django-bandits' `min_views`). */
  minParticipants?: number;
  /** Family-wise significance level. Default 0.05. */
  alpha?: number;
  /** `'t'` pooled Student t (default, django-bandits), `'z'` two-proportion z, `'g'` G-test (Sixpack). */
  test?: 't' | 'z' | 'g';
}

/** Outcome of {@link detectWinner}. */
export interface WinnerResult {
  /** Index of the winning arm (possibly 0, the control), or null. */
  winner: number | null;
  /**
   * Bonferroni-adjusted p-value of "the best arm beats every other arm":
   * the largest pairwise p-value times the number of comparisons, capped at 1.
   * Null when no test ran (too few participants, a single arm) or a pairwise
   * test was undefined (e.g. an arm with fewer than 2 participants).
   */
  pValue: number | null;
  /** Wilson score interval of each arm's conversion rate at confidence 1 − alpha (not corrected). */
  intervals: Array<[number, number]>;
  /** The test that was used. */
  test: 't' | 'z' | 'g';
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/**
 * Rejects inputs no policy can interpret. We refuse conversions > participants
 * even though django-bandits can record them (it counts every target hit),
 * because a rate above 1 breaks every test and posterior.
 */
function validateStats(stats: readonly ArmStats[], caller: string): void {
  if (!Array.isArray(stats) || stats.length === 0) {
    throw new RangeError(`${caller}: stats must be a non-empty array of arms`);
  }
  stats.forEach((arm, i) => {
    const { participants, conversions } = arm ?? ({} as Partial<ArmStats>);
    if (typeof participants !== 'number' || !Number.isFinite(participants) || participants < 0) {
      throw new RangeError(
        `${caller}: arm ${i} participants must be a finite number >= 0, got ${String(participants)}`,
      );
    }
    if (typeof conversions !== 'number' || !Number.isFinite(conversions) || conversions < 0) {
      throw new RangeError(
        `${caller}: arm ${i} conversions must be a finite number >= 0, got ${String(conversions)}`,
      );
    }
    if (conversions > participants) {
      throw new RangeError(
        `${caller}: arm ${i} has more conversions (${conversions}) than participants (${participants})`,
      );
    }
  });
}

function checkRange(name: string, value: number, ok: boolean): void {
  if (!ok) throw new RangeError(`bandit: option ${name} is out of range, got ${String(value)}`);
}

/** Options with defaults applied and ranges checked. */
interface Resolved {
  random: RandomSource;
  epsilon: number;
  decayK: number;
  c: number;
  alpha: number;
  beta: number;
  samples: number;
  hashChoice: number | undefined;
}

function resolveOptions(k: number, options: BanditOptions = {}): Resolved {
  const epsilon = options.epsilon ?? 0.1;
  const decayK = options.decayK ?? k;
  const c = options.c ?? 2;
  const alpha = options.prior?.alpha ?? 1;
  const beta = options.prior?.beta ?? 1;
  const samples = options.samples ?? 1000;
  const { hashChoice } = options;
  checkRange('epsilon', epsilon, epsilon >= 0 && epsilon <= 1);
  checkRange('decayK', decayK, decayK > 0 && Number.isFinite(decayK));
  checkRange('c', c, c >= 0 && Number.isFinite(c));
  checkRange('prior.alpha', alpha, alpha > 0 && Number.isFinite(alpha));
  checkRange('prior.beta', beta, beta > 0 && Number.isFinite(beta));
  checkRange('samples', samples, Number.isInteger(samples) && samples > 0);
  if (hashChoice !== undefined) {
    checkRange('hashChoice', hashChoice, Number.isInteger(hashChoice) && hashChoice >= 0 && hashChoice < k);
  }
  return { random: options.random ?? Math.random, epsilon, decayK, c, alpha, beta, samples, hashChoice };
}

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/** A uniform index in [0, k); the clamp guards a source that returns exactly 1. */
function uniformIndex(k: number, random: RandomSource): number {
  return Math.min(k - 1, Math.floor(random() * k));
}

/** Indices of all entries equal to the maximum (exact ties). */
function argmaxAll(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const ties: number[] = [];
  values.forEach((v, i) => {
    if (v === max) ties.push(i);
  });
  return ties;
}

/** First index of the maximum: ties go to the lowest index, like numpy's argmax. */
function argmaxFirst(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) > (values[best] as number)) best = i;
  }
  return best;
}

function totalParticipants(stats: readonly ArmStats[]): number {
  return stats.reduce((sum, arm) => sum + arm.participants, 0);
}

/** ε of `epsilon-decay`: 1/(1 + n/k), so exploration fades as evidence grows. */
function decayedEpsilon(stats: readonly ArmStats[], decayK: number): number {
  return 1 / (1 + totalParticipants(stats) / decayK);
}

/** ε-greedy selection probabilities: ε/k everywhere plus (1−ε) shared by the best-rate ties. */
function greedyWeights(stats: readonly ArmStats[], epsilon: number): number[] {
  const k = stats.length;
  const ties = argmaxAll(stats.map(conversionRate));
  const weights = stats.map(() => epsilon / k);
  for (const i of ties) weights[i] = (weights[i] as number) + (1 - epsilon) / ties.length;
  return weights;
}

function greedyChoose(stats: readonly ArmStats[], epsilon: number, random: RandomSource): number {
  const k = stats.length;
  if (random() < epsilon) return uniformIndex(k, random);
  const ties = argmaxAll(stats.map(conversionRate));
  // An exact tie is broken at random, as django-bandits does for r0 == r1.
  return ties.length === 1 ? (ties[0] as number) : (ties[uniformIndex(ties.length, random)] as number);
}

/**
 * UCB1's pick: the lowest-index untried arm if any, otherwise
 * argmax rᵢ + c·√(ln N / nᵢ) with ties to the lowest index.
 */
function ucb1Choose(stats: readonly ArmStats[], c: number): number {
  const untried = stats.findIndex((arm) => arm.participants === 0);
  if (untried >= 0) return untried;
  const logN = Math.log(totalParticipants(stats));
  return argmaxFirst(stats.map((arm) => conversionRate(arm) + c * Math.sqrt(logN / arm.participants)));
}

function oneHot(k: number, index: number): number[] {
  return Array.from({ length: k }, (_, i) => (i === index ? 1 : 0));
}

/** Beta parameters of each arm for a posterior-sampling policy. */
type BetaParams = Array<[number, number]>;

/** Thompson's posterior: Beta(s + α, n − s + β). */
function thompsonParams(stats: readonly ArmStats[], alpha: number, beta: number): BetaParams {
  return stats.map((arm) => [arm.conversions + alpha, arm.participants - arm.conversions + beta]);
}

/**
 * Whiplash's distribution, copied from Sixpack before commit 5c7670c (itself
 * ported from Split): Beta(n + 7, n − s + 7), n = participants, s = conversions.
 * The first parameter is participants where conversions would be expected.
 */
function whiplashParams(stats: readonly ArmStats[]): BetaParams {
  const FAIRNESS = 7;
  return stats.map((arm) => [arm.participants + FAIRNESS, arm.participants - arm.conversions + FAIRNESS]);
}

/** One draw per arm, then the argmax (ties to the lowest index; they have probability 0). */
function sampleArgmax(params: BetaParams, random: RandomSource): number {
  return argmaxFirst(params.map(([a, b]) => sampleBeta(a, b, random)));
}

/** Monte-Carlo estimate of P(arm i has the largest draw), from `samples` rounds. */
function probabilityBest(params: BetaParams, samples: number, random: RandomSource): number[] {
  const wins = params.map(() => 0);
  for (let s = 0; s < samples; s++) {
    const i = sampleArgmax(params, random);
    wins[i] = (wins[i] as number) + 1;
  }
  return wins.map((w) => w / samples);
}

/** Probability that whiplash takes its non-bandit (hash / uniform) branch. */
const WHIPLASH_HASH_SHARE = 0.2;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Selection probabilities of each arm under `policy`; they sum to 1 and are never NaN.
 *
 * Exact for `epsilon-greedy` and `epsilon-decay` (ε/k each plus 1 − ε split
 * over the best-rate ties) and `ucb1` (one-hot). For `thompson` it is a
 * Monte-Carlo estimate of each arm's probability of being best from
 * `options.samples` rounds of posterior draws; for `whiplash` it is
 * 0.2 × (one-hot at `hashChoice`, or uniform) + 0.8 × that estimate under
 * whiplash's Beta. Use these weights for periodic, hash-based allocation.
 *
 * @throws RangeError if `stats` is empty, a count is negative or not finite,
 *   conversions exceed participants, or an option is out of range.
 */
export function banditWeights(policy: BanditPolicy, stats: ArmStats[], options?: BanditOptions): number[] {
  validateStats(stats, 'banditWeights');
  const k = stats.length;
  const o = resolveOptions(k, options);
  switch (policy) {
    case 'epsilon-greedy':
      return greedyWeights(stats, o.epsilon);
    case 'epsilon-decay':
      return greedyWeights(stats, decayedEpsilon(stats, o.decayK));
    case 'ucb1':
      return oneHot(k, ucb1Choose(stats, o.c));
    case 'thompson':
      return probabilityBest(thompsonParams(stats, o.alpha, o.beta), o.samples, o.random);
    case 'whiplash': {
      const bandit = probabilityBest(whiplashParams(stats), o.samples, o.random);
      const hash = o.hashChoice === undefined ? stats.map(() => 1 / k) : oneHot(k, o.hashChoice);
      return bandit.map((w, i) => WHIPLASH_HASH_SHARE * (hash[i] as number) + (1 - WHIPLASH_HASH_SHARE) * w);
    }
    default:
      throw new RangeError(`banditWeights: unknown policy ${String(policy)}`);
  }
}

/**
 * Picks one arm under `policy` (draw once per exposure and record the arm served).
 *
 * - `epsilon-greedy` / `epsilon-decay`: with probability ε a uniform arm,
 *   otherwise the best observed rate, exact ties broken at random.
 * - `ucb1`: deterministic; untried arms first, ties to the lowest index.
 * - `thompson`: argmax of one Beta(s + α, n − s + β) draw per arm.
 * - `whiplash`: Sixpack's pre-2014 bandit. With probability 0.2 it returns
 *   `options.hashChoice` (or a uniform arm when absent); otherwise the argmax
 *   of one Beta(n + 7, n − s + 7) draw per arm. **Quirk, kept on purpose:**
 *   the first Beta parameter is participants, not conversions, so every
 *   posterior mean is (n + 7)/(2n − s + 14), squeezed into [½, 1]. It still
 *   prefers arms with more conversions at equal traffic, but separates arms
 *   much less sharply than Thompson sampling. Use `thompson` for new work.
 *
 * @returns the chosen arm's index into `stats`.
 * @throws RangeError on invalid stats or options (see {@link banditWeights}).
 */
export function chooseArm(policy: BanditPolicy, stats: ArmStats[], options?: BanditOptions): number {
  validateStats(stats, 'chooseArm');
  const k = stats.length;
  const o = resolveOptions(k, options);
  switch (policy) {
    case 'epsilon-greedy':
      return greedyChoose(stats, o.epsilon, o.random);
    case 'epsilon-decay':
      return greedyChoose(stats, decayedEpsilon(stats, o.decayK), o.random);
    case 'ucb1':
      return ucb1Choose(stats, o.c);
    case 'thompson':
      return sampleArgmax(thompsonParams(stats, o.alpha, o.beta), o.random);
    case 'whiplash':
      // Sixpack: `if random() >= 0.2: whiplash()`, else the uniform/hash choice.
      if (o.random() < WHIPLASH_HASH_SHARE) return o.hashChoice ?? uniformIndex(k, o.random);
      return sampleArgmax(whiplashParams(stats), o.random);
    default:
      throw new RangeError(`chooseArm: unknown policy ${String(policy)}`);
  }
}

function runTest(test: 't' | 'z' | 'g', a: ArmStats, b: ArmStats): TestResult {
  switch (test) {
    case 't':
      return tTest(a, b);
    case 'z':
      return zTest(a, b);
    case 'g':
      return gTestResult(a, b);
  }
}

/**
 * Decides whether one arm is significantly the best.
 *
 * Rule: once total participants reach `minParticipants`, take the arm with
 * the highest observed rate (lowest index on ties) and test it against every
 * other arm, control included. It wins if every one of those k − 1 tests is
 * significant at alpha/(k − 1) (Bonferroni), i.e. if the reported adjusted
 * p-value is below alpha. With two arms this is exactly django-bandits'
 * rule: p < alpha and the higher mean wins. The winner may be arm 0, which
 * means the control beats every variant.
 *
 * The rule is conservative with three or more arms: on seeded A/A/A data at
 * alpha = 0.05 it fires in about 0.5% of runs, so it trades power for few
 * false winners. An undefined test (NaN p-value, e.g. an arm with fewer than
 * 2 participants for `t`, or an empty cell for `g`) never produces a winner. Sixpack's extra "≥ 20 conversions" gate for the
 * G-test is a display rule and is left to the caller.
 *
 * @throws RangeError on invalid stats (see {@link banditWeights}) or options.
 */
export function detectWinner(stats: ArmStats[], options: WinnerOptions = {}): WinnerResult {
  validateStats(stats, 'detectWinner');
  const minParticipants = options.minParticipants ?? 100;
  const alpha = options.alpha ?? 0.05;
  const test = options.test ?? 't';
  checkRange('alpha', alpha, alpha > 0 && alpha < 1);
  checkRange('minParticipants', minParticipants, minParticipants >= 0 && Number.isFinite(minParticipants));
  if (test !== 't' && test !== 'z' && test !== 'g') {
    throw new RangeError(`detectWinner: unknown test ${String(test)}`);
  }

  const intervals = stats.map((arm) => wilsonInterval(arm, alpha));
  const none: WinnerResult = { winner: null, pValue: null, intervals, test };
  if (stats.length < 2 || totalParticipants(stats) < minParticipants) return none;

  const best = argmaxFirst(stats.map(conversionRate));
  const comparisons = stats.length - 1;
  let maxP = 0;
  for (let i = 0; i < stats.length; i++) {
    if (i === best) continue;
    const { pValue } = runTest(test, stats[best] as ArmStats, stats[i] as ArmStats);
    if (Number.isNaN(pValue)) return none;
    maxP = Math.max(maxP, pValue);
  }
  const adjusted = Math.min(1, maxP * comparisons);
  return { winner: adjusted < alpha ? best : null, pValue: adjusted, intervals, test };
}
