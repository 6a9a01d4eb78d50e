/**
 * Hooks: thin selectors over the client. Each one reads through
 * `useSyncExternalStore(client.subscribe, …)`, memoised per client snapshot, and keeps the
 * previous result while the new one holds the same data, so a change re-renders only the
 * components whose result changed. Evaluation defers its exposure (`track`), and the hook reports
 * it in an effect: only for results React really committed, deduplicated by the client.
 */
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type {
  Client,
  ClientSnapshot,
  EvalOptions,
  Experiment,
  ExperimentResult,
  FeatureResult,
  WidenPrimitives,
} from '../src/index';
import type { ParticipateOptions, ParticipateResult, SixpackMethods } from '../src/plugins/sixpack';
import { same, useClientFor, useStable, type FeatureKey, type Features } from './context';

type Pending = [Experiment, ExperimentResult][];
const NONE: Pending = [];

/** A result and the exposures its evaluation deferred; one object per distinct result. */
interface Entry<T> {
  v: T;
  p: Pending;
}

/** What a hook last computed from one source (live or hydrating). */
interface Memo<T> {
  c?: Client<Features>;
  s?: ClientSnapshot;
  i?: unknown;
  e?: Entry<T>;
}

/**
 * Evaluate `input` with `evaluate` and re-render only when the result's data changes. The
 * server snapshot (SSR, and hydration in the browser) evaluates with `hydrating: true`, the state
 * the client was hydrated with, so hydration matches the server's markup even if sticky buckets
 * or a payload arrive meanwhile.
 */
export function useEvaluation<I, T>(name: string, input: I, evaluate: (client: Client<Features>, input: I, options: EvalOptions) => T): T {
  const client = useClientFor(name);
  const stable = useStable(input);
  const memos = useRef<[Memo<T>, Memo<T>]>(null);
  const [live, server] = (memos.current ||= [{}, {}]);
  const read = (m: Memo<T>, other: Memo<T>, hydrating: boolean) => (): Entry<T> => {
    const s = client.getSnapshot();
    if (m.c !== client || m.s !== s || m.i !== stable) {
      const p: Pending = [];
      const v = evaluate(client, stable, { track: (e, r) => void p.push([e, r]), hydrating });
      if (!m.e || m.c !== client || !same(m.e.v, v)) {
        // After hydration the live result usually equals the hydrating one: keep its identity (no re-render).
        m.e = other.c === client && other.e && same(other.e.v, v) ? other.e : { v, p: p.length ? p : NONE };
      }
      m.c = client;
      m.s = s;
      m.i = stable;
    }
    return m.e!;
  };
  const entry = useSyncExternalStore(client.subscribe, read(live, server, false), read(server, live, true));
  useEffect(() => entry.p.forEach(([e, r]) => client.trackExposure(e, r)), [client, entry]);
  return entry.v;
}

/** `useFeature` for `name` (a hook or component, named in the missing-provider error). */
export const useFeatureFor = <K extends FeatureKey>(name: string, key: K): FeatureResult<Features[K] | null> =>
  useEvaluation(name, key, (client, k, o) => client.evalFeature(k, o));

/** The full result of feature `key`: `value`, `on`, `off`, `source`, `experimentResult`, … */
export function useFeature<K extends FeatureKey>(key: K): FeatureResult<Features[K] | null> {
  return useFeatureFor('useFeature()', key);
}

/** Whether feature `key` is on (truthy). Unknown features are off. */
export function useFeatureIsOn(key: FeatureKey): boolean {
  return useFeatureFor('useFeatureIsOn()', key).on;
}

/**
 * The value of feature `key`, or `fallback` when it is unknown, null, or of another type than
 * `fallback`. The fallback's type is the value's type.
 */
export function useFeatureValue<K extends FeatureKey, V extends Features[K]>(key: K, fallback: V): WidenPrimitives<V> {
  const value: unknown = useFeatureFor('useFeatureValue()', key).value;
  return (value == null || (fallback != null && typeof value != typeof fallback) ? fallback : value) as WidenPrimitives<V>;
}

/** Run an inline experiment (`{ key, variations, … }`); the object may be written inline. */
export function useExperiment<T>(experiment: Experiment<T>): ExperimentResult<T> {
  return useEvaluation('useExperiment()', experiment, (client, exp, o) => client.run(exp, o));
}

/** What {@link useParticipate} gives: never without an alternative. */
export interface ParticipateState {
  /** The server's answer once `ready`; before, the remembered alternative, else the control (first). */
  alternative: string;
  /** Whether the server (or the fallback after a failure) has answered. */
  ready: boolean;
  /** `'pending'` until answered (`'sticky'` when a remembered answer is shown meanwhile). */
  source: ParticipateResult['source'] | 'pending';
  error?: ParticipateResult['error'];
}

/** `useParticipate` for `name`. */
export function useParticipateFor(name: string, experiment: string, alternatives: string[], options?: ParticipateOptions): ParticipateState {
  const client = sixpackClient(useClientFor(name), name);
  const args = useStable<[string, string[], ParticipateOptions | undefined]>([experiment, alternatives, options]);
  const remembered = useSyncExternalStore(
    client.subscribe,
    () => client.getParticipation(experiment),
    () => client.getParticipation(experiment, { hydrating: true }),
  );
  const [answer, setAnswer] = useState<[typeof args, ParticipateResult]>();
  useEffect(() => {
    let mounted = true;
    client.participate(...args).then(
      (result) => mounted && setAnswer([args, result]),
      // Programmer errors (bad names, no sixpack.baseUrl) go to the nearest error boundary.
      (error: unknown) =>
        mounted &&
        setAnswer(() => {
          throw error;
        }),
    );
    return () => void (mounted = false);
  }, [client, args]);
  if (answer && answer[0] === args) {
    const { alternative, source, error } = answer[1];
    return { alternative, ready: true, source, error };
  }
  const known = !(options && options.force != null) && remembered && alternatives.indexOf(remembered) >= 0 ? remembered : undefined;
  return { alternative: known || alternatives[0]!, ready: false, source: known ? 'sticky' : 'pending' };
}

/**
 * Sixpack mode: the visitor's alternative of `experiment`. Renders the remembered alternative
 * (or the control) at once and asks the server after the component commits; re-renders with the
 * answer. On any failure the control is kept (`source: 'fallback'`).
 */
export function useParticipate(experiment: string, alternatives: string[], options?: ParticipateOptions): ParticipateState {
  return useParticipateFor('useParticipate()', experiment, alternatives, options);
}

/** Sixpack mode: a stable `convert(experiment, { kpi })` (queued and retried until delivered). */
export function useConvert(): SixpackMethods['convert'] {
  return sixpackClient(useClientFor('useConvert()'), 'useConvert()').convert;
}

/** The client as a Sixpack client, or a clear error naming `name` when it has no Sixpack plugin. */
function sixpackClient(client: Client<Features>, name: string): Client<Features> & SixpackMethods {
  const candidate = client as Client<Features> & Partial<SixpackMethods>;
  if (typeof candidate.participate != 'function' || typeof candidate.getParticipation != 'function') {
    throw new Error(`splitflap: ${name} needs a client with the Sixpack plugin: createClient({ plugins: [sixpack({ baseUrl })] })`);
  }
  return candidate as Client<Features> & SixpackMethods;
}
