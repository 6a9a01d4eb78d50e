/**
 * Bandit experiments in the client: per-arm stats → weights (and a winner) for one
 * experiment, and reading those stats from a Sixpack-compatible `/experiments/NAME`.
 */
import { fnv1a32 } from '../../hash';
import { fetchText } from '../../internal/fetch';
import type { BanditConfig } from '../../types';
import { banditWeights, detectWinner, type ArmStats } from './bandit';
import { seededRandom } from './stats';

/** What `client.getBandit(key)` reports. */
export interface BanditState {
  policy: BanditConfig['policy'];
  /** Selection weights of new visitors, in variation order (one-hot on a declared winner). */
  weights: number[];
  /** Index of the declared winner, or null. */
  winner: number | null;
  /** Adjusted p-value of the winner test, or null when no test ran. */
  pValue: number | null;
  /** The stats the weights were computed from, in variation order. */
  stats: ArmStats[];
  /** When these weights were computed (ms since the epoch). */
  updatedAt: number;
}

/**
 * Weights and winner of experiment `key` for `stats`. Deterministic: the Monte-Carlo draws of
 * `thompson`/`whiplash` use an RNG seeded by the key and the counts, so every client (and every
 * re-render) computes identical weights from identical stats.
 *
 * @throws RangeError on invalid stats or params (the client logs it and keeps the old weights).
 */
export function computeBandit(key: string, config: BanditConfig, stats: ArmStats[]): BanditState {
  const clean = stats.map(({ participants, conversions }) => ({ participants, conversions }));
  const random = seededRandom(fnv1a32(key + '|' + config.policy + '|' + JSON.stringify(clean)));
  let weights = banditWeights(config.policy, clean, { ...config.params, random });
  let winner: number | null = null;
  let pValue: number | null = null;
  if (config.winner) {
    const { reassign, ...options } = config.winner;
    const result = detectWinner(clean, options);
    winner = result.winner;
    pValue = result.pValue;
    if (winner !== null) weights = clean.map((_, i) => (i === winner ? 1 : 0));
  }
  return { policy: config.policy, weights, winner, pValue, stats: clean, updatedAt: Date.now() };
}

const count = (v: unknown): number => {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new TypeError('bandit stats: bad count ' + String(v));
  return n;
};

/**
 * Per-arm stats from a stats response, in the order of `names` when given:
 * - Sixpack's experiment object `{ alternatives: [{ name, participant_count, completed_count }] }`
 *   (matched by name, else by position when the counts agree);
 * - `{ stats: [{ participants, conversions }] }` or a bare array of those, in variation order.
 */
export function parseBanditStats(body: unknown, names?: string[]): ArmStats[] {
  const record = body as Record<string, unknown> | null;
  const list = Array.isArray(body) ? body : record && Array.isArray(record.stats) ? record.stats : null;
  if (list) return list.map((arm: Record<string, unknown>) => ({ participants: count(arm.participants), conversions: count(arm.conversions) }));
  const alternatives = record && record.alternatives;
  if (!Array.isArray(alternatives)) throw new TypeError('bandit stats: expected alternatives or stats');
  const arms = alternatives.map((alt: Record<string, unknown>) => ({
    name: String(alt.name),
    participants: count(alt.participant_count),
    conversions: count(alt.completed_count),
  }));
  if (!names) return arms.map(({ participants, conversions }) => ({ participants, conversions }));
  const byName = new Map(arms.map((arm) => [arm.name, arm]));
  if (names.every((name) => byName.has(name))) {
    return names.map((name) => {
      const { participants, conversions } = byName.get(name)!;
      return { participants, conversions };
    });
  }
  if (arms.length !== names.length) throw new TypeError('bandit stats: alternatives do not match the variations');
  return arms.map(({ participants, conversions }) => ({ participants, conversions }));
}

/** Stats responses by URL, shared by every client of the process (a server's per-request clients fetch once). */
const sharedResponses = new Map<string, { at: number; body: Promise<unknown> }>();

/**
 * GET `url` and parse it as bandit stats. Clients of one process share a response younger than
 * `maxAgeMs`. Rejects on any failure (the plugin logs it).
 */
export async function fetchBanditStats(url: string, names?: string[], { maxAgeMs = 1000, timeoutMs = 5000 } = {}): Promise<ArmStats[]> {
  let shared = sharedResponses.get(url);
  if (!shared || !(Date.now() - shared.at < maxAgeMs)) {
    const body = fetchText(url, { headers: { accept: 'application/json' } }, timeoutMs).then((response) => {
      if (!response.ok) throw new Error('bandit stats: HTTP ' + response.status);
      return JSON.parse(response.text) as unknown;
    });
    sharedResponses.set(url, (shared = { at: Date.now(), body }));
    // A failure is not shared with later calls.
    body.catch(() => sharedResponses.get(url) === shared && sharedResponses.delete(url));
  }
  return parseBanditStats(await shared.body, names);
}
