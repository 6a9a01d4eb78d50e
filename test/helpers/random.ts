/** mulberry32, the seeded PRNG the SDK itself uses for bandit weights. */
export { seededRandom as mulberry32 } from '../../src/plugins/bandits/stats';

/** Number of successes in `n` Bernoulli(p) trials, drawn one by one from `random`. */
export function binomial(n: number, p: number, random: () => number): number {
  let successes = 0;
  for (let i = 0; i < n; i++) if (random() < p) successes++;
  return successes;
}
