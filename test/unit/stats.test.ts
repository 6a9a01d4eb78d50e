import { describe, expect, it } from 'vitest';
import {
  chiSquare1Sf,
  conversionRate,
  gTest,
  gTestPValue,
  gTestResult,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSf,
  regularizedIncompleteBeta,
  sampleBeta,
  sampleGamma,
  sampleNormal,
  studentTTwoSided,
  tTest,
  wilsonInterval,
  zCritical,
  zTest,
} from '../../src/plugins/bandits/stats';
import { mulberry32 } from '../helpers/random';

const arm = (conversions: number, participants: number) => ({ participants, conversions });

// Reference values marked "scipy" were computed with SciPy 1.17.1
// (scipy.stats / scipy.special); "by hand" ones are worked in the comment.

describe('normal distribution', () => {
  it('Φ matches scipy.stats.norm.cdf', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14); // scipy
    expect(normalCdf(-1.96)).toBeCloseTo(1 - 0.9750021048517795, 14);
    // Far tail keeps relative accuracy: norm.cdf(-5) = 2.866515718791933e-07 (scipy).
    expect(Math.abs(normalCdf(-5) / 2.866515718791933e-7 - 1)).toBeLessThan(1e-9);
    expect(normalSf(5)).toBe(normalCdf(-5));
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });

  it('Φ⁻¹(0.975) = 1.959964', () => {
    // scipy.stats.norm.ppf(0.975) = 1.959963984540054
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(zCritical(0.05)).toBeCloseTo(1.959963984540054, 12);
  });

  it('Φ⁻¹ is accurate to ~1e-9 across the range and symmetric', () => {
    // scipy.stats.norm.ppf(1e-10) = -6.361340902404056
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 8);
    expect(normalQuantile(0.5)).toBe(0);
    for (const p of [1e-8, 0.001, 0.02, 0.02425, 0.1, 0.3, 0.7, 0.9, 0.975, 0.999]) {
      expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 12); // round trip
      expect(normalQuantile(1 - p)).toBeCloseTo(-normalQuantile(p), 8);
    }
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalQuantile(-0.1)).toBeNaN();
  });
});

describe('gamma, beta and Student t', () => {
  it('logGamma matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12); // Γ(10) = 9!
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
  });

  it('regularized incomplete beta matches closed forms and scipy', () => {
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14); // I_x(1,1) = x
    expect(regularizedIncompleteBeta(0.6, 3, 1)).toBeCloseTo(0.216, 14); // I_x(a,1) = x^a
    expect(regularizedIncompleteBeta(0.5, 7.5, 7.5)).toBeCloseTo(0.5, 14); // symmetry
    expect(regularizedIncompleteBeta(0.3, 2.5, 3.5)).toBeCloseTo(0.29675298929566646, 12); // scipy.special.betainc
    expect(regularizedIncompleteBeta(0.9995, 5000, 0.5)).toBeCloseTo(0.02533267265780569, 11); // scipy, large df regime
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });

  it('Student t two-sided p matches closed forms for df 1 and 2, and scipy', () => {
    // Two-sided p = 2·(1 − F(|t|)).
    for (const t of [-3, -0.5, 0, 0.7, 2.2]) {
      // df = 1 is Cauchy: F(t) = 1/2 + atan(t)/π.
      expect(studentTTwoSided(t, 1)).toBeCloseTo(1 - (2 * Math.atan(Math.abs(t))) / Math.PI, 13);
      // df = 2: F(t) = 1/2 + t / (2√(t² + 2)).
      expect(studentTTwoSided(t, 2)).toBeCloseTo(1 - Math.abs(t) / Math.sqrt(t * t + 2), 13);
    }
    expect(studentTTwoSided(2, 5)).toBeCloseTo(2 * (1 - 0.9490302605850708), 13); // scipy.stats.t.cdf(2, 5)
    expect(studentTTwoSided(-1.5, 30)).toBeCloseTo(2 * 0.072032964564323, 13); // scipy.stats.t.cdf(-1.5, 30)
    expect(studentTTwoSided(2.5, 20000)).toBeCloseTo(0.012427274131994228, 11); // 2·scipy t.sf(2.5, 20000)
    expect(studentTTwoSided(Infinity, 10)).toBe(0);
  });

  it('χ²(1) survival: the 95% critical value 1.959964² gives 0.05', () => {
    expect(chiSquare1Sf(1.959963984540054 ** 2)).toBeCloseTo(0.05, 13); // scipy chi2.sf(3.841458820694124, 1)
    expect(chiSquare1Sf(0)).toBe(1);
  });
});

describe('tTest (scipy ttest_ind, pooled, two-sided)', () => {
  it('matches the closed form worked by hand and scipy on 9/89 vs 27/111', () => {
    // By hand: p0 = 9/89, p1 = 27/111; n·p·q = 9·80/89 = 8.089888 and 27·84/111 = 20.432432;
    // s_p² = 28.522320/198 = 0.1440521; √(s_p²(1/89 + 1/111)) = 0.0540036;
    // t = (0.1011236 − 0.2432432)/0.0540036 = −2.63170.
    // scipy.stats.ttest_ind(9 ones + 80 zeros, 27 ones + 84 zeros) = (−2.631696408586711, 0.00916529609094166).
    const r = tTest(arm(9, 89), arm(27, 111));
    expect(r.statistic).toBeCloseTo(-2.6317, 4);
    expect(r.statistic).toBeCloseTo(-2.631696408586711, 12);
    expect(r.pValue).toBeCloseTo(0.00916529609094166, 12);
  });

  it('matches an exactly solvable small case', () => {
    // [0, 0] vs [0, 1]: s_p² = (0 + 2·½·½)/2 = ¼, t = −½/√(¼·1) = −1, df = 2,
    // p = 1 − 1/√3 = 0.4226497 (df = 2 closed form); scipy agrees (0.4226497308103742).
    const r = tTest(arm(0, 2), arm(1, 2));
    expect(r.statistic).toBeCloseTo(-1, 14);
    expect(r.pValue).toBeCloseTo(1 - 1 / Math.sqrt(3), 13);
  });

  it('gives NaN where scipy does, and p = 0 for all-0 vs all-1', () => {
    expect(tTest(arm(0, 0), arm(3, 10)).pValue).toBeNaN(); // empty arm
    expect(tTest(arm(1, 1), arm(3, 10)).pValue).toBeNaN(); // variance of one outcome is undefined
    expect(tTest(arm(0, 50), arm(0, 50)).pValue).toBeNaN(); // zero variance, equal means: 0/0
    const split = tTest(arm(0, 50), arm(50, 50));
    expect(split.statistic).toBe(-Infinity);
    expect(split.pValue).toBe(0);
  });
});

describe('zTest (two proportions, pooled)', () => {
  it('matches a hand computation', () => {
    // 50/100 vs 30/100: pooled 0.4, se = √(0.4·0.6·(1/100 + 1/100)) = 0.0692820,
    // z = 0.2/0.0692820 = 2.886751; p = 2·norm.sf(2.886751) = 0.003892417 (scipy).
    const r = zTest(arm(50, 100), arm(30, 100));
    expect(r.statistic).toBeCloseTo(2.886751345948129, 12);
    expect(r.pValue).toBeCloseTo(0.003892417122778628, 12);
  });

  it('is NaN for empty or degenerate data', () => {
    expect(zTest(arm(0, 0), arm(1, 10)).pValue).toBeNaN();
    expect(zTest(arm(0, 10), arm(0, 10)).pValue).toBeNaN();
  });
});

describe('gTest (Sixpack 2x2 G statistic)', () => {
  it('reproduces the Sixpack dashboard value for control 9/89, variant 27/111', () => {
    // Observed on sixpack-web (specs/sixpack-protocol.md): test_statistic 7.09, "99% Confidence".
    // By hand: pooled rate 36/200 = 0.18, E = [16.02, 72.98, 19.98, 91.02];
    // G = 2(9 ln(9/16.02) + 80 ln(80/72.98) + 27 ln(27/19.98) + 84 ln(84/91.02)) = 7.0911.
    // scipy chi2_contingency([[9,80],[27,84]], lambda_="log-likelihood", correction=False) = 7.091133130162056.
    const g = gTest(arm(9, 89), arm(27, 111));
    expect(Math.round(g * 100) / 100).toBe(7.09);
    expect(g).toBeCloseTo(7.091133130162056, 12);
    expect(g).toBeGreaterThan(6.635); // the 99% cut-off
    expect(g).toBeLessThan(10.83); // but not 99.9%
    // scipy chi2.sf(7.091133130162056, 1) = 0.007746625214020783
    expect(gTestPValue(g)).toBeCloseTo(0.007746625214020783, 12);
  });

  it('is symmetric in the two arms and 0 for equal rates', () => {
    expect(gTest(arm(27, 111), arm(9, 89))).toBeCloseTo(gTest(arm(9, 89), arm(27, 111)), 12);
    expect(gTest(arm(10, 100), arm(20, 200))).toBeCloseTo(0, 12);
  });

  it('is 0 when any observed cell is 0 (Sixpack), and gTestResult reports NaN then', () => {
    expect(gTest(arm(0, 100), arm(20, 100))).toBe(0);
    expect(gTest(arm(100, 100), arm(20, 100))).toBe(0);
    expect(gTest(arm(0, 0), arm(20, 100))).toBe(0);
    expect(gTestResult(arm(0, 100), arm(20, 100)).pValue).toBeNaN();
    expect(gTestResult(arm(9, 89), arm(27, 111)).pValue).toBeCloseTo(0.007746625214020783, 12);
  });
});

describe('intervals', () => {
  it('Wilson for 10/100 at 95%', () => {
    // By hand with z = 1.959964, z² = 3.841459: denominator 1 + z²/n = 1.0384146,
    // centre (0.1 + z²/200)/1.0384146 = 0.1147976,
    // half z·√(0.1·0.9/100 + z²/40000)/1.0384146 = 0.0595682 → [0.055229, 0.174366].
    // scipy.stats.binomtest(10, 100).proportion_ci(0.95, 'wilson') = (0.05522913706067508, 0.17436566150491345).
    const [lo, hi] = wilsonInterval(arm(10, 100), 0.05);
    expect(lo).toBeCloseTo(0.05522913706067508, 12);
    expect(hi).toBeCloseTo(0.17436566150491345, 12);
  });

  it('stays within [0, 1] and is [0, 1] for an empty arm', () => {
    expect(wilsonInterval(arm(0, 0))).toEqual([0, 1]);
    const [lo, hi] = wilsonInterval(arm(1, 3));
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    const [wlo] = wilsonInterval(arm(0, 20));
    expect(wlo).toBe(0);
    expect(conversionRate(arm(0, 0))).toBe(0);
  });
});

describe('random variates from an injected RNG', () => {
  const moments = (draw: () => number, n: number) => {
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = draw();
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    return { mean, variance: sumSq / n - mean * mean };
  };

  it('normal, gamma and beta have the right mean and variance', () => {
    const random = mulberry32(7);
    const n = 40_000;
    const z = moments(() => sampleNormal(random), n);
    expect(z.mean).toBeCloseTo(0, 1);
    expect(z.variance).toBeCloseTo(1, 1);
    const g3 = moments(() => sampleGamma(3, random), n); // mean 3, variance 3
    expect(g3.mean).toBeCloseTo(3, 1);
    expect(Math.abs(g3.variance - 3)).toBeLessThan(0.15);
    const gHalf = moments(() => sampleGamma(0.5, random), n); // shape < 1 path: mean 0.5, var 0.5
    expect(Math.abs(gHalf.mean - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(gHalf.variance - 0.5)).toBeLessThan(0.05);
    const b = moments(() => sampleBeta(2, 5, random), n); // mean 2/7, var 10/392
    expect(b.mean).toBeCloseTo(2 / 7, 2);
    expect(b.variance).toBeCloseTo(10 / 392, 3);
  });

  it('is reproducible from the seed and uses only the injected RNG', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 5 }, () => sampleBeta(3, 4, a));
    const ys = Array.from({ length: 5 }, () => sampleBeta(3, 4, b));
    expect(xs).toEqual(ys);
  });

  it('rejects invalid gamma shapes', () => {
    expect(() => sampleGamma(0, Math.random)).toThrow(RangeError);
    expect(() => sampleGamma(Number.NaN, Math.random)).toThrow(RangeError);
  });
});
