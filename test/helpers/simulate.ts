/**
 * Seeded bandit simulation shared by test/unit/bandit-simulation.test.ts and
 * bench/regret.ts. Each visitor is assigned an arm by the policy (one draw per
 * exposure, the served arm is the one recorded), then converts with that
 * arm's true rate. One seeded stream drives both the policy and the visitors.
 */
import { type BanditOptions, type BanditPolicy, chooseArm } from '../../src/plugins/bandits/bandit';
import type { ArmStats } from '../../src/plugins/bandits/stats';
import { mulberry32 } from './random';

/** A bandit policy, or `uniform`: the plain A/B split every policy should beat. */
export type SimPolicy = BanditPolicy | 'uniform';

/** A named set of true conversion rates, one per arm (arm 0 = control). */
export interface Scenario {
  name: string;
  rates: number[];
}

/** All policies, baseline first. */
export const POLICIES: readonly SimPolicy[] = [
  'uniform',
  'epsilon-greedy',
  'epsilon-decay',
  'ucb1',
  'thompson',
  'whiplash',
];

/** Scenarios with 2 to 4 arms, the best arm placed away from the control. */
export const SCENARIOS: readonly Scenario[] = [
  { name: '2 arms 5% vs 10%', rates: [0.05, 0.1] },
  { name: '3 arms 10/12/15%', rates: [0.1, 0.12, 0.15] },
  { name: '4 arms 2/3/4/5%', rates: [0.02, 0.03, 0.04, 0.05] },
];

/** Outcome of one simulated run. */
export interface SimulationResult {
  /** Expected (pseudo-)regret: Σ over visitors of best rate − served arm's rate. */
  regret: number;
  /** Final per-arm counts. */
  stats: ArmStats[];
}

/** Runs `visitors` assignments of `policy` on arms with the given true `rates`. */
export function simulate(
  policy: SimPolicy,
  rates: readonly number[],
  visitors: number,
  seed: number,
  options: Omit<BanditOptions, 'random'> = {},
): SimulationResult {
  const random = mulberry32(seed);
  const best = Math.max(...rates);
  const stats: ArmStats[] = rates.map(() => ({ participants: 0, conversions: 0 }));
  let regret = 0;
  for (let v = 0; v < visitors; v++) {
    const arm =
      policy === 'uniform'
        ? Math.floor(random() * rates.length)
        : chooseArm(policy, stats, { ...options, random });
    const rate = rates[arm] as number;
    const counts = stats[arm] as ArmStats;
    counts.participants++;
    if (random() < rate) counts.conversions++;
    regret += best - rate;
  }
  return { regret, stats };
}

/** Regret of a uniform split in expectation: visitors × (best − mean rate). */
export function expectedUniformRegret(rates: readonly number[], visitors: number): number {
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return visitors * (Math.max(...rates) - mean);
}

/** Mean regret of `policy` on `scenario` over the given seeds. */
export function meanRegret(
  policy: SimPolicy,
  scenario: Scenario,
  visitors: number,
  seeds: readonly number[],
): number {
  let total = 0;
  for (const seed of seeds) total += simulate(policy, scenario.rates, visitors, seed).regret;
  return total / seeds.length;
}

/** One row of the regret table: a policy's mean regret per scenario. */
export interface RegretRow {
  policy: SimPolicy;
  regret: number[];
}

/** Mean regret of every policy on every scenario. */
export function regretTable(
  policies: readonly SimPolicy[],
  scenarios: readonly Scenario[],
  visitors: number,
  seeds: readonly number[],
): RegretRow[] {
  return policies.map((policy) => ({
    policy,
    regret: scenarios.map((scenario) => meanRegret(policy, scenario, visitors, seeds)),
  }));
}

/** `[1, 2, …, n]`: the seeds used by the test and the bench. */
export function seedRange(n: number, start = 1): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}
