/**
 * Bandit experiments on the example server (#7): an experiment whose record carries
 * `bandit: { policy, params?, winner? }` (set with `POST /_admin/experiments/NAME`) gives new
 * participants an alternative chosen by that policy over the current counts, instead of
 * Sixpack's hash. Existing participants keep their alternative (the model checks them first),
 * and the alternative chosen is the one recorded: one draw per new participant.
 */
import type { BanditConfig } from 'splitflap';
import { banditWeights, chooseArm, computeBandit, detectWinner, type BanditPolicy, type BanditState } from 'splitflap/bandits';
import { type AlternativeStats, type ChoosePolicy, hashChoice, sixpackHashIndex } from './model';

/** The bandit settings stored on an experiment record. */
export type ServerBandit = Pick<BanditConfig, 'policy' | 'params' | 'winner'>;

export const BANDIT_POLICIES: readonly BanditPolicy[] = ['epsilon-greedy', 'epsilon-decay', 'ucb1', 'thompson', 'whiplash'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Admin validation: null (back to the hash), or `{ policy, params?, winner? }` with known fields. */
export function isServerBandit(v: unknown): boolean {
  if (v === null) return true;
  if (!isObject(v) || !BANDIT_POLICIES.includes(v.policy as BanditPolicy)) return false;
  if (Object.keys(v).some((k) => !['policy', 'params', 'winner'].includes(k))) return false;
  if (v.params !== undefined && !isObject(v.params)) return false;
  if (v.winner !== undefined && !isObject(v.winner)) return false;
  // Out-of-range params would fail every later participation: try them once on dummy counts.
  // Monte-Carlo samples are capped, since each choice and view pays for them.
  const params = (v.params ?? {}) as Record<string, unknown>;
  if (params.samples !== undefined && !(Number(params.samples) <= 100_000)) return false;
  try {
    const dummy = [
      { participants: 2, conversions: 1 },
      { participants: 2, conversions: 0 },
    ];
    banditWeights(v.policy as BanditPolicy, dummy, { ...params, samples: 1, random: () => 0.5 });
    if (v.winner) detectWinner(dummy, v.winner as object);
  } catch {
    return false;
  }
  return true;
}

/** Weights, detected winner and p-value for the view; the same numbers a client computes from these counts. */
export function banditState(name: string, bandit: ServerBandit, stats: AlternativeStats[]): BanditState {
  return computeBandit(name, bandit, stats);
}

/**
 * The `choose` hook: the policy's draw for bandit experiments (a detected winner, when
 * `winner` options are set, takes every new participant), Sixpack's hash for the rest.
 * `whiplash` gets the hash choice for its 20% branch, as Sixpack had it.
 */
export const banditChoice: ChoosePolicy = async (ctx) => {
  const { experiment, clientId, random } = ctx;
  const bandit = experiment.bandit;
  if (!bandit) return hashChoice(ctx);
  const stats = await ctx.stats();
  const { alternatives } = experiment;
  if (bandit.winner) {
    const { winner } = computeBandit(experiment.name, bandit, stats);
    if (winner !== null) return alternatives[winner] as string;
  }
  const hashed = sixpackHashIndex(experiment.name, clientId, alternatives.length);
  return alternatives[chooseArm(bandit.policy, stats, { ...bandit.params, random, hashChoice: hashed })] as string;
};

/**
 * Sixpack's server-wide `enable_whiplash` (before 2.0): every experiment without a bandit policy
 * of its own runs Whiplash; one with its own policy keeps it.
 */
export const whiplashByDefault: ChoosePolicy = (ctx) =>
  banditChoice(ctx.experiment.bandit === undefined || ctx.experiment.bandit === null ? { ...ctx, experiment: { ...ctx.experiment, bandit: { policy: 'whiplash' } } } : ctx);
