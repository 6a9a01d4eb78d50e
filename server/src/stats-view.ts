/**
 * The experiment object of /experiments/NAME: sixpack-web's full `objectify_by_period`
 * (per-alternative counts, conversion rate, 80% interval, G-test and its label, per-period
 * series), served by the API server itself.
 *
 * The presentation rules live here, as in Sixpack: G is rounded to 2 places and shown only
 * for a non-control alternative once control + alternative conversions reach 20; the
 * statistic itself comes from src/stats.
 */
import { gTest } from 'splitflap/bandits';
import { banditState, type ServerBandit } from './bandit';
import type { AlternativeStats, SixpackModel } from './model';
import { SixpackError } from './model';
import { PyFloat, pyFloat } from './pyjson';
import type { Period } from './store';

export const PERIODS: readonly Period[] = ['day', 'month', 'year'];

/** Conversions (control + alternative) below which Sixpack shows "N/A" instead of G. */
const MIN_CONVERSIONS = 20;

/** χ²(1 df) critical values for 95%, 99% and 99.9%. */
export function confidenceLabel(g: number): string {
  if (g === 0) return 'No Change';
  if (g < 3.841) return 'No Confidence';
  if (g < 6.635) return '95% Confidence';
  if (g < 10.83) return '99% Confidence';
  return '99.9% Confidence';
}

/**
 * The G cell: "N/A", integer 0 when a log hits zero (an empty cell; Python's `except: return 0`),
 * else the statistic rounded to 2 places (half up, as Python 2's `round`).
 */
export function testStatistic(control: AlternativeStats, alt: AlternativeStats): 'N/A' | number | PyFloat {
  if (alt.name === control.name) return 'N/A'; // compared by name, as `is_control` does
  if (alt.conversions + control.conversions < MIN_CONVERSIONS) return 'N/A';
  const g = gTest(control, alt);
  if (g === 0) return 0;
  return pyFloat(Number(g.toFixed(2)));
}

/** Python's `'%.2f' % x`: correctly rounded, half to even. Exact binary ties are only at odd multiples of 1/8. */
function percent2(x: number): number {
  if (Number.isInteger(x * 8) && !Number.isInteger(x * 4)) {
    const m = Math.floor(x * 100); // exact: x * 100 is an odd multiple of 12.5
    return (m % 2 === 0 ? m : m + 1) / 100;
  }
  return Number(x.toFixed(2));
}

/** The half-width of the 80% (z = 1.28) interval in percentage points, unrounded; integer 0 for no participants. */
export function confidenceInterval(arm: AlternativeStats): number | PyFloat {
  if (arm.participants === 0) return 0;
  const p = arm.conversions / arm.participants;
  return pyFloat(Math.pow((p * (1 - p)) / arm.participants, 0.5) * 1.28 * 100);
}

/**
 * A bandit's current state for `/experiments/NAME`: policy, weights of new participants (by
 * alternative, stored order), the detected winner's name (or null) and its p-value.
 */
function banditView(name: string, bandit: ServerBandit, arms: AlternativeStats[]) {
  let state;
  try {
    state = banditState(name, bandit, arms);
  } catch (error) {
    return { policy: bandit.policy, params: bandit.params ?? {}, weights: null, winner: null, p_value: null, error: String(error) };
  }
  return {
    policy: bandit.policy,
    params: bandit.params ?? {},
    weights: Object.fromEntries(arms.map((arm, i) => [arm.name, state.weights[i]])),
    winner: state.winner === null ? null : (arms[state.winner] as AlternativeStats).name,
    p_value: state.pValue,
  };
}

export interface ViewOptions {
  kpi?: string | null;
  period?: string | null;
}

/**
 * The full experiment object, or a SixpackError: 404 for an unknown experiment or KPI,
 * 400 for an unknown period (the reference answers HTML 404/500 for these).
 */
function periodOf(raw: string | null | undefined): Period {
  const period = (raw || 'day') as Period;
  if (!PERIODS.includes(period)) throw new SixpackError('invalid period (use day, month or year)');
  return period;
}

export async function experimentView(model: SixpackModel, name: string, options: ViewOptions = {}) {
  const period = periodOf(options.period);
  const exp = await model.getExperiment(name);
  if (!exp) throw new SixpackError('experiment not found', 404);
  const { store } = model;
  const kpis = await store.kpis(name);
  // sixpack-web ignores an empty `kpi`, and 404s for one that has never converted.
  const kpi = options.kpi || null;
  if (kpi !== null && !kpis.includes(kpi)) throw new SixpackError('kpi not found', 404);

  const arms = (await model.experimentStats(name, kpi)) ?? [];
  const control = arms[0] as AlternativeStats;

  // Each alternative lists every date with any participation (experiment-wide) or
  // conversion (this KPI); a count is a float when the date is in that metric's set, else integer 0.
  const pDates = new Set(await store.dateKeys(name, 'participations', null, period));
  const cDates = new Set(await store.dateKeys(name, 'conversions', kpi, period));
  const dates = [...new Set([...pDates, ...cDates])].sort();

  const alternatives = await Promise.all(
    arms.map(async (arm) => {
      const g = testStatistic(control, arm);
      const data = await Promise.all(
        dates.map(async (date) => ({
          conversions: cDates.has(date) ? pyFloat(await store.count(name, 'conversions', kpi, arm.name, date)) : 0,
          date,
          participants: pDates.has(date) ? pyFloat(await store.count(name, 'participations', null, arm.name, date)) : 0,
        })),
      );
      return {
        name: arm.name,
        data,
        conversion_rate: pyFloat(arm.participants ? percent2((arm.conversions / arm.participants) * 100) : 0),
        is_control: arm.name === control.name,
        is_winner: exp.winner === null ? null : exp.winner === arm.name,
        test_statistic: g,
        participant_count: arm.participants,
        completed_count: arm.conversions,
        confidence_level: g === 'N/A' ? 'N/A' : confidenceLabel(g instanceof PyFloat ? g.value : g),
        confidence_interval: confidenceInterval(arm),
      };
    }),
  );

  // Unlike the reference, the experiment-level fields do not change with `kpi`
  // (it read them from per-KPI keys and so showed created_at None, fraction 1, no winner).
  return {
    status: 'ok',
    name,
    period,
    alternatives,
    created_at: exp.createdAt,
    traffic_fraction: pyFloat(exp.trafficFraction),
    excluded_clients: await store.excludedCount(name),
    total_participants: await store.count(name, 'participations', null, null, 'all'),
    total_conversions: await store.count(name, 'conversions', kpi, null, 'all'),
    description: exp.description,
    has_winner: exp.winner !== null,
    winner: exp.winner ?? '',
    is_archived: exp.archived,
    is_paused: exp.paused,
    is_enabled: exp.enabled,
    kpis,
    kpi,
    // (#7) Only for bandit experiments, so plain ones keep the reference's exact shape.
    // The server chooses on the default KPI's conversions, so the bandit block always shows those.
    ...(exp.bandit ? { bandit: banditView(name, exp.bandit, kpi === null ? arms : ((await model.experimentStats(name)) ?? [])) } : {}),
  };
}

/**
 * `/experiments.json`, sixpack-web's list: the full object of every experiment that is neither
 * archived nor paused (as its `Experiment.all()`), by name, each without its own `status`.
 * sixpack-web also added `pretty_description` (the description rendered as Markdown HTML); this
 * server renders no HTML.
 */
export async function experimentList(model: SixpackModel, options: Pick<ViewOptions, 'period'> = {}) {
  const period = periodOf(options.period);
  const names = [...(await model.store.listExperiments())].sort();
  const experiments = [];
  for (const name of names) {
    const exp = await model.getExperiment(name);
    if (!exp || exp.archived || exp.paused) continue;
    try {
      const { status: _status, ...view } = await experimentView(model, name, { period });
      experiments.push(view);
    } catch (error) {
      if (!(error instanceof SixpackError && error.status === 404)) throw error; // deleted meanwhile
    }
  }
  return { status: 'ok', experiments };
}
