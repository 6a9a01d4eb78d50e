import { describe, expect, it } from 'vitest';
import {
  type ArmStats,
  type BanditOptions,
  type BanditPolicy,
  banditWeights,
  chooseArm,
  detectWinner,
} from '../../src/plugins/bandits/bandit';
import { sampleBeta, tTest, wilsonInterval } from '../../src/plugins/bandits/stats';
import { mulberry32 } from '../helpers/random';

const arm = (conversions: number, participants: number): ArmStats => ({ participants, conversions });
const POLICIES: BanditPolicy[] = ['epsilon-greedy', 'epsilon-decay', 'ucb1', 'thompson', 'whiplash'];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** A random source that fails the test if a deterministic path touches it. */
const noRandom = (): number => {
  throw new Error('random() must not be called here');
};

/** Empirical choice frequencies over `n` seeded calls. */
function frequencies(policy: BanditPolicy, stats: ArmStats[], n: number, options: BanditOptions = {}) {
  const random = mulberry32(99);
  const counts = stats.map(() => 0);
  for (let i = 0; i < n; i++) {
    const chosen = chooseArm(policy, stats, { ...options, random });
    counts[chosen] = (counts[chosen] as number) + 1;
  }
  return counts.map((c) => c / n);
}

const CASES: ArmStats[][] = [
  [arm(0, 0), arm(0, 0)],
  [arm(10, 100), arm(20, 100), arm(5, 100)],
  [arm(10, 100), arm(10, 100), arm(0, 0)],
  [arm(3, 7), arm(0, 1), arm(50, 60), arm(1, 2)],
  [arm(0, 0)],
];

describe('banditWeights: general properties', () => {
  for (const policy of POLICIES) {
    it(`${policy}: weights are finite, non-negative and sum to 1`, () => {
      for (const stats of CASES) {
        const w = banditWeights(policy, stats, { random: mulberry32(1), samples: 500 });
        expect(w).toHaveLength(stats.length);
        for (const x of w) {
          expect(Number.isFinite(x)).toBe(true);
          expect(x).toBeGreaterThanOrEqual(0);
        }
        expect(sum(w)).toBeCloseTo(1, 12);
      }
    });

    it(`${policy}: chooseArm returns a valid index, reproducibly from the seed`, () => {
      const stats = [arm(3, 40), arm(5, 40), arm(4, 41)];
      const run = (seed: number) => {
        const random = mulberry32(seed);
        return Array.from({ length: 50 }, () => chooseArm(policy, stats, { random }));
      };
      const a = run(2024);
      expect(run(2024)).toEqual(a);
      for (const i of a) expect([0, 1, 2]).toContain(i);
    });
  }
});

describe('epsilon-greedy', () => {
  it('weights are ε/k each plus 1 − ε on the best arm', () => {
    const w = banditWeights('epsilon-greedy', [arm(10, 100), arm(20, 100), arm(5, 100)]);
    expect(w[0]).toBeCloseTo(0.1 / 3, 14);
    expect(w[1]).toBeCloseTo(0.1 / 3 + 0.9, 14);
    expect(w[2]).toBeCloseTo(0.1 / 3, 14);
  });

  it('splits 1 − ε among exact ties; an empty arm counts as rate 0', () => {
    const w = banditWeights('epsilon-greedy', [arm(10, 100), arm(1, 10), arm(0, 0)], { epsilon: 0.3 });
    expect(w[0]).toBeCloseTo(0.1 + 0.35, 14);
    expect(w[1]).toBeCloseTo(0.1 + 0.35, 14);
    expect(w[2]).toBeCloseTo(0.1, 14);
  });

  it('exploits: with ε = 0 it always plays the best rate', () => {
    const stats = [arm(10, 100), arm(30, 100), arm(20, 100)];
    expect(frequencies('epsilon-greedy', stats, 500, { epsilon: 0 })).toEqual([0, 1, 0]);
  });

  it('breaks exact ties at random through the RNG', () => {
    const f = frequencies('epsilon-greedy', [arm(5, 50), arm(1, 10), arm(0, 10)], 4000, { epsilon: 0 });
    expect(f[0]).toBeGreaterThan(0.45);
    expect(f[1]).toBeGreaterThan(0.45);
    expect(f[2]).toBe(0);
  });

  it('choice frequencies match the weights', () => {
    const stats = [arm(10, 100), arm(20, 100), arm(5, 100)];
    const w = banditWeights('epsilon-greedy', stats, { epsilon: 0.3 });
    const f = frequencies('epsilon-greedy', stats, 20_000, { epsilon: 0.3 });
    f.forEach((x, i) => expect(Math.abs(x - (w[i] as number))).toBeLessThan(0.015));
  });
});

describe('epsilon-decay', () => {
  it('uses ε = 1/(1 + n/k) with k = number of arms (django: n/2 for two arms)', () => {
    // n = 8, k = 2 → ε = 1/(1 + 4) = 0.2.
    const w = banditWeights('epsilon-decay', [arm(1, 4), arm(2, 4)]);
    expect(w[0]).toBeCloseTo(0.1, 14);
    expect(w[1]).toBeCloseTo(0.9, 14);
  });

  it('honours decayK and starts fully exploring', () => {
    // n = 8, k = 8 → ε = 0.5.
    const w = banditWeights('epsilon-decay', [arm(1, 4), arm(2, 4)], { decayK: 8 });
    expect(w).toEqual([0.25, 0.75]);
    expect(banditWeights('epsilon-decay', [arm(0, 0), arm(0, 0), arm(0, 0)])).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('exploration fades as participants accumulate', () => {
    const early = banditWeights('epsilon-decay', [arm(1, 5), arm(2, 5)]);
    const late = banditWeights('epsilon-decay', [arm(100, 5000), arm(200, 5000)]);
    expect(late[1] as number).toBeGreaterThan(early[1] as number);
    expect(late[1]).toBeCloseTo(1 - 0.5 / (1 + 5000), 12);
  });
});

describe('ucb1', () => {
  it('plays untried arms first, lowest index first, without randomness', () => {
    expect(chooseArm('ucb1', [arm(5, 10), arm(0, 0), arm(0, 0)], { random: noRandom })).toBe(1);
    expect(chooseArm('ucb1', [arm(0, 0), arm(0, 0)], { random: noRandom })).toBe(0);
    expect(banditWeights('ucb1', [arm(5, 10), arm(9, 10), arm(0, 0)], { random: noRandom })).toEqual([0, 0, 1]);
  });

  it('breaks ties to the lowest index', () => {
    expect(chooseArm('ucb1', [arm(5, 10), arm(5, 10)])).toBe(0);
    expect(chooseArm('ucb1', [arm(1, 10), arm(5, 10), arm(5, 10)])).toBe(1);
  });

  it('picks argmax r + c·√(ln N / n)', () => {
    // N = 150, ln N = 5.0106: arm 0 → 0.1 + 2√(5.0106/100) = 0.5477, arm 1 → 0.2 + 2√(5.0106/50) = 0.8331.
    expect(chooseArm('ucb1', [arm(10, 100), arm(10, 50)])).toBe(1);
    // A better-explored arm with a higher rate wins once the bonus is small (c = 0.1).
    expect(chooseArm('ucb1', [arm(30, 100), arm(10, 50)], { c: 0.1 })).toBe(0);
    // c = 0 is pure greedy.
    expect(chooseArm('ucb1', [arm(31, 100), arm(3, 10)], { c: 0 })).toBe(0);
  });
});

describe('thompson', () => {
  it('draws one Beta(s + α, n − s + β) per arm and takes the argmax', () => {
    const stats = [arm(3, 20), arm(6, 25), arm(0, 4)];
    const prior = { alpha: 2, beta: 3 };
    for (const seed of [1, 2, 3, 4, 5]) {
      const replay = mulberry32(seed);
      const draws = stats.map((a) => sampleBeta(a.conversions + 2, a.participants - a.conversions + 3, replay));
      const expected = draws.indexOf(Math.max(...draws));
      expect(chooseArm('thompson', stats, { random: mulberry32(seed), prior })).toBe(expected);
    }
  });

  it('weights estimate the probability of being best', () => {
    const clear = banditWeights('thompson', [arm(1, 100), arm(50, 100)], { random: mulberry32(3) });
    expect(clear[1]).toBeGreaterThan(0.99);
    const even = banditWeights('thompson', [arm(10, 100), arm(10, 100)], { random: mulberry32(3), samples: 4000 });
    expect(Math.abs((even[0] as number) - 0.5)).toBeLessThan(0.05);
  });

  it('weights are multiples of 1/samples and reproducible from the seed', () => {
    const stats = [arm(4, 30), arm(6, 30), arm(5, 30)];
    const w = banditWeights('thompson', stats, { random: mulberry32(8), samples: 10 });
    for (const x of w) expect(x * 10).toBeCloseTo(Math.round(x * 10), 9);
    expect(banditWeights('thompson', stats, { random: mulberry32(8), samples: 10 })).toEqual(w);
  });

  it('choice frequencies agree with the weights', () => {
    const stats = [arm(8, 60), arm(11, 60)];
    const w = banditWeights('thompson', stats, { random: mulberry32(4), samples: 20_000 });
    const f = frequencies('thompson', stats, 20_000);
    expect(Math.abs((f[1] as number) - (w[1] as number))).toBeLessThan(0.02);
  });
});

describe('whiplash (Sixpack-compatible)', () => {
  const stats = [arm(12, 100), arm(15, 90), arm(2, 10)];

  it('reproduces the original draw: 20% hash choice, else argmax Beta(n + 7, n − s + 7)', () => {
    for (const seed of [11, 12, 13, 14, 15, 16, 17, 18]) {
      const replay = mulberry32(seed);
      let expected: number;
      if (replay() < 0.2) {
        expected = 2; // the hashChoice below
      } else {
        // The quirk: the first parameter is participants, not conversions.
        const draws = stats.map((a) => sampleBeta(a.participants + 7, a.participants - a.conversions + 7, replay));
        expected = draws.indexOf(Math.max(...draws));
      }
      expect(chooseArm('whiplash', stats, { random: mulberry32(seed), hashChoice: 2 })).toBe(expected);
    }
  });

  it('uses hashChoice on about 20% of calls, or a uniform arm without it', () => {
    // Arm 1 dominates the bandit branch: Beta(1007, 107) against Beta(1007, 1007).
    const lopsided = [arm(0, 1000), arm(900, 1000)];
    const withHash = frequencies('whiplash', lopsided, 10_000, { hashChoice: 0 });
    expect(Math.abs((withHash[0] as number) - 0.2)).toBeLessThan(0.015);
    const uniform = frequencies('whiplash', lopsided, 10_000);
    expect(Math.abs((uniform[0] as number) - 0.1)).toBeLessThan(0.015);
    const w = banditWeights('whiplash', lopsided, { hashChoice: 0, random: mulberry32(1) });
    expect(w[0]).toBeCloseTo(0.2, 10);
    expect(w[1]).toBeCloseTo(0.8, 10);
    const wu = banditWeights('whiplash', lopsided, { random: mulberry32(1) });
    expect(wu[0]).toBeCloseTo(0.1, 10);
  });
});

describe('input validation', () => {
  const bad: Array<[string, ArmStats[]]> = [
    ['empty stats', []],
    ['negative participants', [arm(0, -1)]],
    ['negative conversions', [arm(-1, 10)]],
    ['NaN participants', [arm(0, Number.NaN)]],
    ['infinite conversions', [arm(Infinity, Infinity)]],
    ['conversions > participants', [arm(5, 10), arm(11, 10)]],
  ];
  for (const [label, stats] of bad) {
    it(`throws RangeError on ${label}`, () => {
      expect(() => banditWeights('thompson', stats)).toThrow(RangeError);
      expect(() => chooseArm('ucb1', stats)).toThrow(RangeError);
      expect(() => detectWinner(stats)).toThrow(RangeError);
    });
  }

  it('names the arm in the message', () => {
    expect(() => chooseArm('ucb1', [arm(5, 10), arm(11, 10)])).toThrow(/arm 1 has more conversions \(11\) than participants \(10\)/);
  });

  it('throws RangeError on out-of-range options and unknown policies', () => {
    const stats = [arm(1, 10), arm(2, 10)];
    expect(() => banditWeights('epsilon-greedy', stats, { epsilon: 1.5 })).toThrow(RangeError);
    expect(() => banditWeights('epsilon-decay', stats, { decayK: 0 })).toThrow(RangeError);
    expect(() => banditWeights('ucb1', stats, { c: -1 })).toThrow(RangeError);
    expect(() => banditWeights('thompson', stats, { prior: { alpha: 0, beta: 1 } })).toThrow(RangeError);
    expect(() => banditWeights('thompson', stats, { samples: 0 })).toThrow(RangeError);
    expect(() => chooseArm('whiplash', stats, { hashChoice: 2 })).toThrow(RangeError);
    expect(() => chooseArm('bogus' as BanditPolicy, stats)).toThrow(RangeError);
    expect(() => detectWinner(stats, { alpha: 0 })).toThrow(RangeError);
  });
});

describe('detectWinner', () => {
  it('waits for minParticipants (total across arms)', () => {
    const r = detectWinner([arm(0, 40), arm(30, 40)]);
    expect(r).toMatchObject({ winner: null, pValue: null, test: 't' });
    expect(detectWinner([arm(0, 50), arm(30, 50)]).winner).toBe(1);
    expect(detectWinner([arm(0, 40), arm(30, 40)], { minParticipants: 80 }).winner).toBe(1);
  });

  it('with two arms is django-bandits’ rule: p < alpha, the higher mean wins', () => {
    const stats = [arm(100, 1000), arm(130, 1000)];
    const r = detectWinner(stats);
    // tTest p = 0.0355 (see stats tests for the closed form).
    expect(r.pValue).toBeCloseTo(tTest(stats[1] as ArmStats, stats[0] as ArmStats).pValue, 14);
    expect(r.winner).toBe(1);
    expect(detectWinner(stats, { alpha: 0.01 }).winner).toBeNull();
  });

  it('can declare the control the winner', () => {
    expect(detectWinner([arm(200, 1000), arm(100, 1000)]).winner).toBe(0);
  });

  it('with more arms the best must beat every other arm at alpha/(k − 1)', () => {
    // Same pairwise p = 0.0355 as above, but there are two comparisons: 2·0.0355 = 0.071 > 0.05.
    const three = [arm(100, 1000), arm(100, 1000), arm(130, 1000)];
    const r = detectWinner(three);
    expect(r.winner).toBeNull();
    expect(r.pValue).toBeCloseTo(2 * tTest(arm(130, 1000), arm(100, 1000)).pValue, 14);
    // Clearly better than both.
    expect(detectWinner([arm(100, 1000), arm(105, 1000), arm(160, 1000)]).winner).toBe(2);
    // Better than the control but not than the runner-up: no winner.
    expect(detectWinner([arm(50, 1000), arm(150, 1000), arm(155, 1000)]).winner).toBeNull();
  });

  it('supports the z- and G-tests', () => {
    const stats = [arm(9, 89), arm(27, 111)];
    const z = detectWinner(stats, { test: 'z' });
    expect(z).toMatchObject({ winner: 1, test: 'z' });
    const g = detectWinner(stats, { test: 'g' });
    expect(g.winner).toBe(1);
    expect(g.pValue).toBeCloseTo(0.007746625214020783, 12); // χ²₁ tail of G = 7.0911 (scipy)
  });

  it('never declares a winner from an undefined test', () => {
    expect(detectWinner([arm(0, 500), arm(0, 500)])).toMatchObject({ winner: null, pValue: null });
    expect(detectWinner([arm(0, 500), arm(40, 500)], { test: 'g' })).toMatchObject({ winner: null, pValue: null });
    expect(detectWinner([arm(10, 200), arm(1, 1)]).winner).toBeNull();
    expect(detectWinner([arm(10, 200)]).winner).toBeNull(); // a single arm has nothing to beat
  });

  it('ties for the best rate never win', () => {
    expect(detectWinner([arm(10, 1000), arm(100, 1000), arm(100, 1000)]).winner).toBeNull();
  });

  it('reports a Wilson interval per arm at 1 − alpha', () => {
    const stats = [arm(10, 100), arm(20, 100), arm(0, 0)];
    const r = detectWinner(stats, { alpha: 0.1 });
    expect(r.intervals).toHaveLength(3);
    stats.forEach((a, i) => expect(r.intervals[i]).toEqual(wilsonInterval(a, 0.1)));
    expect(r.intervals[2]).toEqual([0, 1]);
  });
});
