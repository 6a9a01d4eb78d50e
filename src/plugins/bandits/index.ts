/**
 * `splitflap/bandits`: multi-armed bandits and winner detection. Pure policies and statistics
 * (bandit.ts, stats.ts), and the plugin that runs experiments carrying `bandit` settings: per-arm
 * stats (from `statsUrl` or `setBanditStats`) become the experiment's weights in an override
 * layer under the app's own `overrides`. Sticky buckets keep served visitors on their arm; a
 * declared winner takes new visitors.
 *
 * ```ts
 * const client = createClient({ features, plugins: [bandits()] });
 * ```
 */
import type { Plugin, PluginHost } from '../../plugin';
import type { BanditConfig, Experiment, FeatureDefinitions } from '../../types';
import type { ArmStats } from './bandit';
import { computeBandit, fetchBanditStats, type BanditState } from './runtime';

export { banditWeights, chooseArm, detectWinner } from './bandit';
export type { ArmStats, BanditOptions, BanditPolicy, RandomSource, WinnerOptions, WinnerResult } from './bandit';
export { computeBandit, parseBanditStats, type BanditState } from './runtime';
// Sixpack's significance test, as its dashboard (and splitflap-server's) shows it.
export { gTest } from './stats';

/** Options of {@link bandits}. */
export interface BanditsOptions {
  /** Bandit settings by experiment key, for experiments whose definitions carry none (e.g. Sixpack experiments). */
  experiments?: Record<string, BanditConfig>;
  /** Per-arm stats known up front, by experiment key, in variation order. */
  stats?: Record<string, ArmStats[]>;
}

/** What {@link bandits} adds to the client. */
export interface BanditMethods {
  /**
   * Give bandit experiment `experimentKey` new per-arm stats (variation order). Its weights are
   * recomputed and subscribers are told. Stats for an experiment not seen yet are kept until it is.
   */
  setBanditStats(experimentKey: string, stats: ArmStats[]): void;
  /** The current weights, winner and stats of bandit experiment `experimentKey`, once it has stats. */
  getBandit(experimentKey: string): BanditState | undefined;
  /** Fetch every bandit's `statsUrl` now. Never rejects. */
  refreshBandits(): Promise<void>;
}

interface BanditEntry {
  config: BanditConfig;
  /** Variation names (meta keys, else the values) to match a Sixpack server's alternatives. */
  names?: string[];
  state?: BanditState;
  timer?: ReturnType<typeof setInterval>;
  failed?: boolean;
}

/** The experiment rules of a payload that carry `bandit`, found once per payload object. */
const rulesByPayload = new WeakMap<object, Experiment[]>();
function banditRules(features: FeatureDefinitions | undefined): Experiment[] {
  if (!features) return [];
  let found = rulesByPayload.get(features);
  if (!found) {
    found = [];
    for (const key of Object.keys(features)) {
      const rules = features[key] && features[key].rules;
      if (!Array.isArray(rules)) continue;
      for (const rule of rules) {
        if (rule && rule.bandit && Array.isArray(rule.variations)) found.push({ ...rule, key: rule.key || key, variations: rule.variations } as Experiment);
      }
    }
    rulesByPayload.set(features, found);
  }
  return found;
}

/** Run experiments with `bandit` settings as bandits. */
export function bandits(options: BanditsOptions = {}): Plugin<BanditMethods> {
  return (host: PluginHost) => {
    const entries = new Map<string, BanditEntry>();
    const knownStats = new Map<string, ArmStats[]>(Object.entries(options.stats || {}));
    const { log } = host;

    /** Each bandit's weights (or, on `reassign`, its winner) as an override layer. */
    const publish = () => {
      const layer: Record<string, Partial<Experiment>> = {};
      entries.forEach((entry, key) => {
        const state = entry.state;
        if (!state) return;
        const pinned = state.winner !== null && entry.config.winner && entry.config.winner.reassign;
        layer[key] = pinned ? { globalOverride: state.winner! } : { weights: state.weights };
      });
      host.setOverrideLayer('bandits', layer);
    };

    /** Weights and winner of bandit `key` from `stats`; bad stats are logged and ignored. */
    const apply = (key: string, stats: ArmStats[]) => {
      const entry = entries.get(key);
      if (!entry) return;
      try {
        if (entry.names && stats.length !== entry.names.length) throw new RangeError(`expected ${entry.names.length} arms, got ${stats.length}`);
        entry.state = computeBandit(key, entry.config, stats);
      } catch (error) {
        return log('Ignored bad bandit stats', { experiment: key, error });
      }
      publish();
    };

    const fetchStats = (key: string, entry: BanditEntry): Promise<void> =>
      fetchBanditStats(entry.config.statsUrl!, entry.names, { maxAgeMs: entry.config.refreshMs || 1000 }).then(
        (stats) => {
          entry.failed = false;
          if (entries.get(key) !== entry) return;
          knownStats.set(key, stats);
          apply(key, stats);
        },
        (error: unknown) => {
          // Logged once per run of failures; the last good weights stay in use.
          if (!entry.failed) log('Fetching bandit stats failed', { experiment: key, url: entry.config.statsUrl, error });
          entry.failed = true;
        },
      );

    /** Start tracking a bandit experiment (again, if its settings changed). Cheap when nothing changed. */
    function register(key: string, config: BanditConfig, exp?: Pick<Experiment, 'variations' | 'meta'>): Promise<void> | undefined {
      const old = entries.get(key);
      if (old && (old.config === config || JSON.stringify(old.config) === JSON.stringify(config))) return;
      if (old && old.timer) clearInterval(old.timer);
      const names = exp && exp.variations && exp.variations.length ? exp.variations.map((v, i) => (exp.meta && exp.meta[i] && exp.meta[i].key) || String(v)) : undefined;
      const entry: BanditEntry = { config, names };
      entries.set(key, entry);
      const stats = knownStats.get(key);
      if (stats) apply(key, stats);
      if (!config.statsUrl) return;
      if (config.refreshMs && config.refreshMs > 0) {
        entry.timer = setInterval(() => void fetchStats(key, entry), config.refreshMs);
        const timer = entry.timer as { unref?: () => void };
        if (timer.unref) timer.unref();
      }
      return fetchStats(key, entry);
    }

    /** Register the bandits definitions carry; `ready()` waits for their first stats. */
    const registerDefined = (features: FeatureDefinitions | undefined) => {
      const tasks: Promise<void>[] = [];
      const add = (task: Promise<void> | undefined) => task && tasks.push(task);
      for (const exp of banditRules(features)) add(register(exp.key, exp.bandit!, exp));
      for (const key of Object.keys(options.experiments || {})) {
        const config: unknown = options.experiments![key];
        // A bad entry (`{ e: null }`) drops only itself, never the whole plugin.
        if (config && typeof config == 'object') add(register(key, config as BanditConfig));
        else log('Ignored bad bandit settings', { experiment: key });
      }
      if (tasks.length) host.addStartupTask(Promise.all(tasks));
    };
    registerDefined(host.read().features);
    host.on('features', registerDefined);
    // Inline experiments (`client.run({ bandit })`, `data-bandit`) are seen when they first assign.
    host.on('assignment', (experiment) => {
      if (experiment.bandit) register(experiment.key, experiment.bandit, experiment);
    });
    host.on('destroy', () => entries.forEach((entry) => entry.timer && clearInterval(entry.timer)));

    return {
      setBanditStats(experimentKey, stats) {
        knownStats.set(experimentKey, stats);
        apply(experimentKey, stats);
      },
      getBandit: (experimentKey) => {
        const entry = entries.get(experimentKey);
        return entry && entry.state;
      },
      refreshBandits() {
        const tasks: Promise<void>[] = [];
        entries.forEach((entry, key) => entry.config.statsUrl && tasks.push(fetchStats(key, entry)));
        return Promise.all(tasks).then(() => undefined);
      },
    };
  };
}
