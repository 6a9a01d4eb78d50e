/**
 * mulberry32: a tiny, fast, seeded 32-bit PRNG (Tommy Ettinger's public-domain
 * generator). Good enough for simulations and reproducible tests; not crypto.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Number of successes in `n` Bernoulli(p) trials, drawn one by one from `random`. */
export function binomial(n: number, p: number, random: () => number): number {
  let successes = 0;
  for (let i = 0; i < n; i++) if (random() < p) successes++;
  return successes;
}
