/**
 * Storage behind the Sixpack-compatible server.
 *
 * The interface mirrors what the reference keeps in Redis, so that a Redis store
 * can follow without touching the experiment logic:
 * - one record per experiment (a hash in Redis);
 * - per-experiment sets of client ids: excluded clients, and participations and
 *   conversions per alternative and per date bucket (`all`, `YYYY`, `YYYY-MM`,
 *   `YYYY-MM-DD`), which Sixpack keeps as bitmaps indexed by a per-experiment
 *   sequential client number;
 * - the date buckets seen, so that per-day/month/year series can be listed.
 *
 * Every method is async because a networked store is. Operations that must be atomic for
 * correctness under concurrency (create-if-absent, first assignment, convert-once) are single
 * methods, so that `redisStore()` (redis-store.ts) implements each with one Lua script and any
 * number of servers on one Redis count exactly.
 */

import type { ServerBandit } from './bandit';

export type Metric = 'participations' | 'conversions';
export type Period = 'day' | 'month' | 'year';

/** The date buckets a participation or conversion is filed under. */
export interface DateKeys {
  year: string; // YYYY
  month: string; // YYYY-MM
  day: string; // YYYY-MM-DD
}

export interface ExperimentRecord {
  name: string;
  /** Stored order: index 0 is the control, and the assignment hash indexes into this list. */
  alternatives: string[];
  /** `YYYY-MM-DD HH:MM` (UTC), as the reference formats it; null if a Redis record has none. */
  createdAt: string | null;
  /** In (0, 1]. Rewritten by every /participate call, as in the reference. */
  trafficFraction: number;
  description: string | null;
  winner: string | null;
  archived: boolean;
  paused: boolean;
  /** Per-experiment switch (the reference only has a server-wide `enabled`). */
  enabled: boolean;
  /** Run as a bandit (#7): new participants are chosen by this policy; absent or null: Sixpack's hash. */
  bandit?: ServerBandit | null;
}

/** The fields the admin endpoint and /participate may change. */
export type ExperimentPatch = Partial<Omit<ExperimentRecord, 'name' | 'alternatives' | 'createdAt'>>;

/** A client's standing in one experiment. */
export interface ClientState {
  /** Excluded by the traffic fraction: it gets the control and is never counted. */
  excluded: boolean;
  /** The first stored alternative it is recorded in; null when excluded or not recorded. */
  alternative: string | null;
}

/** Thrown by a store whose backend is down; the server answers 503, like Sixpack without Redis. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * Thrown by a store asked to create an experiment past its cap on experiments, or to record a
 * conversion for a new KPI past its cap on KPIs per experiment. Nothing was written.
 */
export class StoreLimitError extends Error {
  override name = 'StoreLimitError';
  constructor(
    /** Which cap. */
    readonly limit: 'experiments' | 'kpis',
    /** Its value. */
    readonly max: number,
  ) {
    super(`at most ${max} ${limit === 'kpis' ? 'KPIs per experiment' : 'experiments'}`);
  }
}

export interface SixpackStore {
  /** Health check for /_status; throw {@link StoreUnavailableError} when down. */
  ping?(): Promise<void>;
  /** Bytes the backend holds (Redis `used_memory`), for `/metrics`. */
  usedMemory?(): Promise<number>;

  getExperiment(name: string): Promise<ExperimentRecord | null>;
  /**
   * Creates the experiment unless it already exists; false if it did (the first writer wins).
   * Throws {@link StoreLimitError} when `maxExperiments` (> 0) exist already.
   */
  createExperiment(record: ExperimentRecord, maxExperiments?: number): Promise<boolean>;
  /** Applies `patch`; null if there is no such experiment. */
  updateExperiment(name: string, patch: ExperimentPatch): Promise<ExperimentRecord | null>;
  /** Deletes the experiment and all of its data; false if there was none. */
  deleteExperiment(name: string): Promise<boolean>;
  listExperiments(): Promise<string[]>;

  /**
   * Where the client stands: excluded by the traffic fraction (sticky for the life of the
   * experiment), or the first of `alternatives` (the stored order) it has a participation in.
   */
  clientState(name: string, alternatives: readonly string[], clientId: string): Promise<ClientState>;
  /**
   * Files a client that has neither an exclusion nor a participation yet: excluded when
   * `alternative` is null, else a participation in it. Either way it answers the client's state
   * afterwards, so that concurrent first visits (on any number of servers) agree: the first
   * writer wins.
   */
  assignClient(
    name: string,
    alternatives: readonly string[],
    clientId: string,
    alternative: string | null,
    date: DateKeys,
  ): Promise<ClientState>;
  /** Records a participation whatever the client's state (`record_force`; force can add a second one). */
  recordParticipation(name: string, alternative: string, clientId: string, date: DateKeys): Promise<void>;
  excludedCount(name: string): Promise<number>;
  /**
   * Records a conversion for `kpi` (null: the default KPI) unless this client already
   * converted for it; true if recorded. Also registers the KPI with the experiment. Throws
   * {@link StoreLimitError}, writing nothing, when `kpi` is new and `maxKpis` (> 0) are registered.
   */
  recordConversion(
    name: string,
    kpi: string | null,
    alternative: string,
    clientId: string,
    date: DateKeys,
    maxKpis?: number,
  ): Promise<boolean>;
  /** KPIs that have seen a conversion, in first-seen order. */
  kpis(name: string): Promise<string[]>;

  /**
   * Distinct clients recorded for `metric` in `alternative` (null: any alternative) within
   * `bucket` (`all` or a date key). `kpi` applies to conversions only.
   */
  count(name: string, metric: Metric, kpi: string | null, alternative: string | null, bucket: string): Promise<number>;
  /** The date keys of `period` that have any record of `metric` (for `kpi`), unsorted. */
  dateKeys(name: string, metric: Metric, kpi: string | null, period: Period): Promise<string[]>;
}

interface ExperimentData {
  record: ExperimentRecord;
  excluded: Set<string>;
  /** `metric:kpi:alternative:bucket` → client ids, alternative `_all` for the union (no valid name starts with `_`). */
  members: Map<string, Set<string>>;
  /** `metric:kpi:period` → date keys seen. */
  seen: Map<string, Set<string>>;
  kpis: Set<string>;
}

const ALL = '_all';

/** The default store: everything in this process's memory, lost on restart. */
export function memoryStore(): SixpackStore {
  const experiments = new Map<string, ExperimentData>();

  // Participations are not per KPI; `:` appears in no valid KPI or alternative name.
  const kpiPart = (metric: Metric, kpi: string | null) => (metric === 'conversions' && kpi ? kpi : '');
  const memberKey = (metric: Metric, kpi: string | null, alternative: string, bucket: string) =>
    `${metric}:${kpiPart(metric, kpi)}:${alternative}:${bucket}`;
  const seenKey = (metric: Metric, kpi: string | null, period: Period) => `${metric}:${kpiPart(metric, kpi)}:${period}`;

  const addTo = <K, V>(map: Map<K, Set<V>>, key: K, value: V) => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(value);
  };

  // Files the client under the alternative and the union, in every bucket, as Sixpack's msetbit does.
  const record = (data: ExperimentData, metric: Metric, kpi: string | null, alternative: string, clientId: string, date: DateKeys) => {
    for (const alt of [alternative, ALL]) {
      for (const bucket of ['all', date.year, date.month, date.day]) {
        addTo(data.members, memberKey(metric, kpi, alt, bucket), clientId);
      }
    }
    addTo(data.seen, seenKey(metric, kpi, 'year'), date.year);
    addTo(data.seen, seenKey(metric, kpi, 'month'), date.month);
    addTo(data.seen, seenKey(metric, kpi, 'day'), date.day);
  };

  // No await between reading and writing a client's state, so concurrent requests in this process cannot interleave.
  const stateOf = (data: ExperimentData, alternatives: readonly string[], clientId: string): ClientState => {
    if (data.excluded.has(clientId)) return { excluded: true, alternative: null };
    const recorded = alternatives.find((alt) => data.members.get(memberKey('participations', null, alt, 'all'))?.has(clientId));
    return { excluded: false, alternative: recorded ?? null };
  };

  const copy = (r: ExperimentRecord): ExperimentRecord => ({ ...r, alternatives: [...r.alternatives] });

  return {
    async ping() {},

    async getExperiment(name) {
      const data = experiments.get(name);
      return data ? copy(data.record) : null;
    },
    async createExperiment(rec, maxExperiments = 0) {
      if (experiments.has(rec.name)) return false;
      if (maxExperiments > 0 && experiments.size >= maxExperiments) throw new StoreLimitError('experiments', maxExperiments);
      experiments.set(rec.name, {
        record: copy(rec),
        excluded: new Set(),
        members: new Map(),
        seen: new Map(),
        kpis: new Set(),
      });
      return true;
    },
    async updateExperiment(name, patch) {
      const data = experiments.get(name);
      if (!data) return null;
      const { name: n, alternatives, createdAt } = data.record; // identity fields never change
      data.record = { ...data.record, ...patch, name: n, alternatives, createdAt };
      return copy(data.record);
    },
    async deleteExperiment(name) {
      return experiments.delete(name);
    },
    async listExperiments() {
      return [...experiments.keys()];
    },

    async clientState(name, alternatives, clientId) {
      const data = experiments.get(name);
      return data ? stateOf(data, alternatives, clientId) : { excluded: false, alternative: null };
    },
    async assignClient(name, alternatives, clientId, alternative, date) {
      const data = experiments.get(name);
      if (!data) return { excluded: false, alternative: null };
      const state = stateOf(data, alternatives, clientId);
      if (state.excluded || state.alternative !== null) return state;
      if (alternative === null) {
        data.excluded.add(clientId);
        return { excluded: true, alternative: null };
      }
      record(data, 'participations', null, alternative, clientId, date);
      return { excluded: false, alternative };
    },
    async recordParticipation(name, alternative, clientId, date) {
      const data = experiments.get(name);
      if (data) record(data, 'participations', null, alternative, clientId, date);
    },
    async excludedCount(name) {
      return experiments.get(name)?.excluded.size ?? 0;
    },
    async recordConversion(name, kpi, alternative, clientId, date, maxKpis = 0) {
      const data = experiments.get(name);
      if (!data) return false;
      if (kpi && !data.kpis.has(kpi) && maxKpis > 0 && data.kpis.size >= maxKpis) throw new StoreLimitError('kpis', maxKpis);
      if (kpi) data.kpis.add(kpi);
      if (data.members.get(memberKey('conversions', kpi, ALL, 'all'))?.has(clientId)) return false;
      record(data, 'conversions', kpi, alternative, clientId, date);
      return true;
    },
    async kpis(name) {
      return [...(experiments.get(name)?.kpis ?? [])];
    },

    async count(name, metric, kpi, alternative, bucket) {
      return experiments.get(name)?.members.get(memberKey(metric, kpi, alternative ?? ALL, bucket))?.size ?? 0;
    },
    async dateKeys(name, metric, kpi, period) {
      return [...(experiments.get(name)?.seen.get(seenKey(metric, kpi, period)) ?? [])];
    },
  };
}
