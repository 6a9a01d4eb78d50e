/**
 * Experiment logic of the Sixpack-compatible server: creation and validation,
 * assignment precedence, conversions, and stats access. No HTTP here.
 *
 * Follows the reference (sixpack 2.7.0 `api.py` / `models.py`) as written up in
 * shared/specs/sixpack-protocol.md; where the behaviour is observable by a client it
 * is kept, including its error messages, which clients may show or match.
 */
import { createHash } from 'node:crypto';
import { type DateKeys, type ExperimentPatch, type ExperimentRecord, type SixpackStore, StoreLimitError } from './store';

/** A client error: the server answers `{"status": "failed", "message": ...}` with `status`. */
export class SixpackError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'SixpackError';
  }
}

/** The reference's alternative and KPI rule (no spaces, unlike CLIENTSPEC's). */
export const ALTERNATIVE_RE = /^[a-z0-9][a-z0-9\-_]*$/i;
export const KPI_RE = ALTERNATIVE_RE;
/**
 * Experiment names: CLIENTSPEC's rule (spaces allowed), case-insensitive like the reference's
 * unused `is_valid`. The reference accepts any name; we reject the rest with a 400 so that typos
 * and injection attempts do not create experiments. No dots, so `/experiments/NAME.json` is unambiguous.
 */
export const EXPERIMENT_NAME_RE = /^[a-z0-9][a-z0-9\-_ ]*$/i;

/**
 * Bounds on what one request may create. The reference has none; these are far above any real
 * experiment (Sixpack's clients send UUIDs as client ids) and keep a hostile request from
 * writing megabyte keys or thousands of bitmaps. Checked before anything is written.
 */
export const LIMITS = {
  /** Experiment, alternative and KPI names, in characters. */
  nameLength: 128,
  clientIdLength: 256,
  alternatives: 100,
} as const;

const checkLength = (value: string, max: number, what: string) => {
  if (value.length > max) throw new SixpackError(`${what} too long (at most ${max} characters)`);
};

export function checkExperimentName(name: string): void {
  checkLength(name, LIMITS.nameLength, 'experiment name');
  if (!EXPERIMENT_NAME_RE.test(name)) throw new SixpackError('invalid experiment name');
}

export function checkClientId(clientId: string): void {
  checkLength(clientId, LIMITS.clientIdLength, 'client_id');
}

/**
 * Sixpack's uniform choice, ported from PlanOut: the first 7 hex digits of
 * sha1(`experiment.client_id`) modulo the number of alternatives, over the stored order.
 * Deterministic, so a client keeps its alternative even if the store is wiped.
 */
export function sixpackHashIndex(experiment: string, clientId: string, n: number): number {
  const hex = createHash('sha1').update(`${experiment}.${clientId}`, 'utf8').digest('hex');
  return parseInt(hex.slice(0, 7), 16) % n;
}

/** Per-alternative counts, in stored order (index 0 is the control); shaped like `ArmStats`. */
export interface AlternativeStats {
  name: string;
  participants: number;
  conversions: number;
}

/**
 * How a new (not excluded, not yet assigned) client gets an alternative. The default is
 * Sixpack's hash; a bandit policy can replace it later, reading counts through `stats()`.
 */
export type ChoosePolicy = (ctx: {
  experiment: ExperimentRecord;
  clientId: string;
  stats: () => Promise<AlternativeStats[]>;
  random: () => number;
}) => string | Promise<string>;

export const hashChoice: ChoosePolicy = ({ experiment, clientId }) =>
  experiment.alternatives[sixpackHashIndex(experiment.name, clientId, experiment.alternatives.length)] as string;

export interface ParticipateRequest {
  experiment: string;
  alternatives: string[];
  clientId: string;
  force?: string | null;
  recordForce?: boolean;
  /** null: not sent, which resets the stored fraction to 1 (as the reference does). */
  trafficFraction?: number | null;
  prefetch?: boolean;
  /** Buckets from the `datetime` parameter; null: now. */
  date?: DateKeys | null;
}

export interface ConvertRequest {
  experiment: string;
  clientId: string;
  kpi?: string | null;
  date?: DateKeys | null;
}

/**
 * Caps that bound what anonymous requests can make the store hold (each new KPI or experiment is
 * new bitmaps). Past a cap, the request gets a 400 and nothing is written. 0: no cap.
 */
export interface ServerLimits {
  /** Experiments on the server (`/participate` creating one more gets a 400). Default 1,000. */
  maxExperiments: number;
  /** Distinct KPIs per experiment (`/convert` with one more gets a 400). Default 20. */
  maxKpisPerExperiment: number;
}

/** The defaults of {@link ServerLimits}: far above what teams run, far below what hurts Redis. */
export const DEFAULT_LIMITS: ServerLimits = { maxExperiments: 1000, maxKpisPerExperiment: 20 };

export interface ModelOptions {
  store: SixpackStore;
  random: () => number;
  now: () => Date;
  choose?: ChoosePolicy;
  /** Default {@link DEFAULT_LIMITS}. */
  limits?: Partial<ServerLimits>;
}

/** A store's cap error as the client's 400; anything else unchanged. */
function limitToClientError(error: unknown): unknown {
  if (!(error instanceof StoreLimitError)) return error;
  return error.limit === 'kpis'
    ? new SixpackError(`too many kpis for this experiment (at most ${error.max})`)
    : new SixpackError(`too many experiments on this server (at most ${error.max}); delete some in the admin`);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** UTC date buckets of `d`. */
export function dateKeysOf(d: Date): DateKeys {
  const year = pad(d.getUTCFullYear(), 4);
  const month = `${year}-${pad(d.getUTCMonth() + 1)}`;
  return { year, month, day: `${month}-${pad(d.getUTCDate())}` };
}

/** `created_at` as the reference writes it: `YYYY-MM-DD HH:MM`, UTC here. */
const createdAtOf = (t: Date) => `${dateKeysOf(t).day} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;

function checkTrafficFraction(tf: number): void {
  if (!(tf > 0 && tf <= 1)) throw new SixpackError('invalid traffic fraction range');
}

/** Same multiset, any order: the reference compares `sorted(stored) != sorted(sent)`. */
function sameAlternatives(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}

export type SixpackModel = ReturnType<typeof createModel>;

export function createModel({ store, random, now, choose = hashChoice, limits: given }: ModelOptions) {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...given };
  const control = (exp: ExperimentRecord) => exp.alternatives[0] as string;

  async function find(name: string): Promise<ExperimentRecord> {
    const exp = await store.getExperiment(name);
    if (!exp) throw new SixpackError('experiment does not exist');
    return exp;
  }

  /** The first stored alternative the client is recorded in; excluded clients have none. */
  async function existingAlternative(exp: ExperimentRecord, clientId: string): Promise<string | null> {
    return (await store.clientState(exp.name, exp.alternatives, clientId)).alternative;
  }

  /**
   * `find_or_create` with the reference's check order. Unlike the reference, a rejected
   * request changes nothing (it rewrote the traffic fraction before noticing changed alternatives).
   */
  async function findOrCreate(req: ParticipateRequest): Promise<ExperimentRecord> {
    const { experiment: name, alternatives } = req;
    checkExperimentName(name);
    if (alternatives.length > LIMITS.alternatives) {
      throw new SixpackError(`too many alternatives (at most ${LIMITS.alternatives})`);
    }
    if (alternatives.length < 2) throw new SixpackError('experiments require at least two alternatives');
    // The reference stored `[red, red]`, an experiment whose second arm could never be counted.
    if (new Set(alternatives).size !== alternatives.length) throw new SixpackError('alternatives must be distinct');
    for (const alt of alternatives) checkLength(alt, LIMITS.nameLength, 'alternative name');
    const tf = req.trafficFraction ?? 1;

    const existing = await store.getExperiment(name);
    if (existing) {
      checkTrafficFraction(tf);
      if (!sameAlternatives(existing.alternatives, alternatives)) {
        throw new SixpackError('experiment alternatives have changed. please delete in the admin');
      }
      if (existing.trafficFraction === tf) return existing;
      return (await store.updateExperiment(name, { trafficFraction: tf })) ?? existing;
    }

    if (!alternatives.every((alt) => ALTERNATIVE_RE.test(alt))) throw new SixpackError('invalid alternative name');
    checkTrafficFraction(tf);
    const t = now();
    const createdAt = createdAtOf(t);
    const record: ExperimentRecord = {
      name,
      alternatives: [...alternatives],
      createdAt,
      trafficFraction: tf,
      description: null,
      winner: null,
      archived: false,
      paused: false,
      enabled: true,
    };
    const created = await store.createExperiment(record, limits.maxExperiments).catch((error: unknown) => {
      throw limitToClientError(error);
    });
    if (created) return record;
    // Another request created it first: validate against theirs.
    return findOrCreate(req);
  }

  /** Per-alternative `{participants, conversions}` (for `kpi`), in stored order; null if no such experiment. */
  async function experimentStats(name: string, kpi: string | null = null): Promise<AlternativeStats[] | null> {
    const exp = await store.getExperiment(name);
    if (!exp) return null;
    return Promise.all(
      exp.alternatives.map(async (alt) => ({
        name: alt,
        participants: await store.count(name, 'participations', null, alt, 'all'),
        conversions: await store.count(name, 'conversions', kpi, alt, 'all'),
      })),
    );
  }

  return {
    store,
    limits,
    experimentStats,
    getExperiment: (name: string) => store.getExperiment(name),

    /**
     * /participate. Precedence, as the reference: valid force → disabled (control) → winner →
     * archived or paused (control) → excluded (control) → existing assignment → new choice,
     * where a new choice first draws against the traffic fraction (sticky exclusion).
     */
    async participate(req: ParticipateRequest): Promise<string> {
      const exp = await findOrCreate(req);
      const date = req.date ?? dateKeysOf(now());
      const { clientId } = req;

      // Checked against the sent list, which findOrCreate just proved equal to the stored one.
      if (req.force && req.alternatives.includes(req.force)) {
        // No exclusion, archive or prefetch check: the reference records forced visits as is.
        if (req.recordForce) await store.recordParticipation(exp.name, req.force, clientId, date);
        return req.force;
      }
      if (!exp.enabled) return control(exp);
      if (exp.winner !== null) return exp.winner;
      if (exp.archived || exp.paused) return control(exp);

      const state = await store.clientState(exp.name, exp.alternatives, clientId);
      if (state.excluded) return control(exp);
      if (state.alternative) return state.alternative;

      // A new client. The traffic-fraction draw is random, not hashed (as the reference), and an
      // exclusion is recorded even for a prefetch. Another server may file the same client
      // meanwhile: assignClient answers whatever was filed first.
      let chosen: string | null = null;
      if (random() < exp.trafficFraction) {
        chosen = await choose({
          experiment: exp,
          clientId,
          stats: async () => (await experimentStats(exp.name)) ?? [],
          random,
        });
        if (req.prefetch) return chosen;
      }
      const filed = await store.assignClient(exp.name, exp.alternatives, clientId, chosen, date);
      return filed.excluded ? control(exp) : (filed.alternative ?? control(exp));
    },

    /**
     * /participate for a bot or an ignored IP: the winner if set, else the control; nothing
     * is recorded and the alternatives are not checked, but the experiment must exist.
     */
    async participateExcludedVisitor(name: string): Promise<string> {
      checkExperimentName(name);
      const exp = await find(name);
      return exp.winner ?? control(exp);
    },

    /**
     * /convert, checks in the reference's order: exists → (disabled: control, nothing recorded)
     * → archived → paused → excluded or not participating → KPI name. A client converts as its
     * originally recorded alternative, even when a winner is set; once per KPI.
     */
    async convert(req: ConvertRequest): Promise<string> {
      checkExperimentName(req.experiment);
      const exp = await find(req.experiment);
      if (!exp.enabled) return control(exp);
      if (exp.archived) throw new SixpackError('this experiment is archived and can no longer be updated');
      if (exp.paused) throw new SixpackError('this experiment is paused and can not receive updates.');
      const alternative = await existingAlternative(exp, req.clientId);
      if (!alternative) throw new SixpackError('this client was not participating');
      const kpi = req.kpi ?? null;
      if (kpi !== null && (kpi.length > LIMITS.nameLength || !KPI_RE.test(kpi))) throw new SixpackError('invalid kpi name');
      const date = req.date ?? dateKeysOf(now());
      await store.recordConversion(exp.name, kpi, alternative, req.clientId, date, limits.maxKpisPerExperiment).catch((error: unknown) => {
        throw limitToClientError(error);
      });
      return alternative;
    },

    /** Admin changes; a winner must be one of the alternatives (null or "" clears it). */
    async updateExperiment(name: string, patch: ExperimentPatch): Promise<ExperimentRecord> {
      const exp = await store.getExperiment(name);
      if (!exp) throw new SixpackError('experiment not found', 404);
      if (patch.winner === '') patch = { ...patch, winner: null };
      if (patch.winner != null && !exp.alternatives.includes(patch.winner)) {
        throw new SixpackError('this alternative is not in this experiment');
      }
      if (patch.description === '') patch = { ...patch, description: null };
      const updated = await store.updateExperiment(name, patch);
      if (!updated) throw new SixpackError('experiment not found', 404);
      return updated;
    },

    /**
     * sixpack-web's "reset": all counts and assignments go, the experiment stays with its
     * alternatives, traffic fraction, description and flags (a winner is cleared, as data restarts).
     * Two store calls, not one script: a visit in between may be filed in the old data and dropped.
     */
    async resetExperiment(name: string): Promise<ExperimentRecord> {
      const exp = await store.getExperiment(name);
      if (!exp || !(await store.deleteExperiment(name))) throw new SixpackError('experiment not found', 404);
      const t = now();
      const fresh: ExperimentRecord = { ...exp, winner: null, createdAt: createdAtOf(t) };
      await store.createExperiment(fresh);
      return fresh;
    },

    async deleteExperiment(name: string): Promise<void> {
      if (!(await store.deleteExperiment(name))) throw new SixpackError('experiment not found', 404);
    },
  };
}
