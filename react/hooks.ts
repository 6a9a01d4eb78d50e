/**
 * Hooks: each is one `useSyncExternalStore` over a core observer (src/observer.ts), which keeps the
 * memo: a component re-renders only when its own result changed. Evaluation defers its exposures,
 * and the hook reports them in an effect: only for results React really committed, deduplicated by
 * the client.
 */
import * as React from 'react';
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type {
  Client,
  EvalOptions,
  Experiment,
  ExperimentResult,
  FeatureResult,
  WidenPrimitives,
} from '../src/index';
import { createObserver, type Evaluate, type Observed } from '../src/observer';
import { useClientFor, useStable, type FeatureKey, type Features } from './context';

/**
 * The observed result of `evaluate(input)` on the provider's client. The server snapshot (SSR,
 * and hydration in the browser) evaluates with `hydrating: true`, the state the client was
 * hydrated with, so hydration matches the server's markup even if sticky buckets or a payload
 * arrive meanwhile. `withReady`: the result also changes when the client becomes ready.
 */
export function useObserved<I, T>(name: string, input: I, evaluate: Evaluate<I, T>, withReady = false): Observed<T> {
  const client = useClientFor(name);
  const stable = useStable(input);
  // One observer per client; `evaluate` is each hook's own fixed function.
  const observer = useMemo(() => createObserver(client as Client, evaluate as Evaluate<I, T>, withReady), [client, withReady]);
  const observed = useSyncExternalStore(observer.subscribe, () => observer.get(stable), () => observer.get(stable, true));
  useEffect(() => observer.commit(observed), [observer, observed]);
  return observed;
}

/** The value of `evaluate(input)`, re-rendering only when it changes. */
export function useEvaluation<I, T>(name: string, input: I, evaluate: (client: Client<Features>, input: I, options: EvalOptions) => T): T {
  return useObserved(name, input, evaluate as unknown as Evaluate<I, T>).value;
}

/** Options of the feature and experiment hooks. */
export interface EvaluationHookOptions {
  /**
   * Suspend (to the nearest `<Suspense>`) until the client is ready: stored sticky buckets, a
   * remote payload and plugins' start-up tasks are in, or `readyTimeoutMs` passed. The component
   * then renders its final result only, never a provisional one. Never suspends with a client
   * hydrated from a ready server snapshot. See {@link useSplitflapReady}.
   */
  suspense?: boolean;
}

/** A result and whether it is final: `ready` is false while stored sticky buckets or a payload may still change it. */
export type WithReady<R> = R & {
  /** Whether the client is ready, so this result will not change by itself (only by new attributes, payloads, …). */
  ready: boolean;
};

/** A promise with the `status` field of React's thenable protocol: `use` reads a fulfilled one at once, without suspending. */
type Thenable = Promise<void> & { status?: 'pending' | 'fulfilled'; value?: undefined };

/**
 * `client.ready()`, asked once per client: Suspense needs the same promise on every retry. It is
 * marked fulfilled as soon as the client is ready, so a component that asks after that never
 * suspends.
 */
const readyPromises = new WeakMap<object, Thenable>();
export function whenReady(client: Client<Features>): Promise<void> {
  const ready = client.getSnapshot().ready;
  let promise = readyPromises.get(client);
  if (!promise) {
    const tracked: Thenable = ready ? Promise.resolve() : client.ready();
    void tracked.then(() => void (tracked.status = 'fulfilled'));
    readyPromises.set(client, (promise = tracked));
  }
  // The snapshot can say ready a microtask before the promise's callbacks run.
  promise.status = ready ? 'fulfilled' : promise.status || 'pending';
  return promise;
}

/** Whether `client` is ready; while it is not, asks it to get ready (once per client). */
export function useReadyFor(client: Client<Features>): boolean {
  const ready = useSyncExternalStore(client.subscribe, () => client.getSnapshot().ready, () => client.getSnapshot().ready);
  useEffect(() => {
    if (!ready) void whenReady(client);
  }, [client, ready]);
  return ready;
}

/**
 * Suspend until `client` is ready: React 19's `use`, else the thrown promise React 18 expects.
 * Under React 19 `use` is called on every render where suspending was asked for, ready or not
 * (it returns at once once the promise is fulfilled).
 * React replays a component whose promise settled while it waited, with the hooks of the
 * suspended attempt: had `use` been skipped on the replay (the client being ready by then),
 * the hooks after it would run as updates of hooks that never mounted, and React throws
 * "Update hook called on initial render" (it recovers by rendering again, with a console error).
 */
function suspendUntilReady(client: Client<Features>, ready: boolean): void {
  const use = (React as { use?: (usable: Promise<void>) => void }).use;
  if (use) use(whenReady(client));
  else if (!ready) throw whenReady(client);
}

/**
 * Suspends the component (to the nearest `<Suspense fallback>`) until the client is ready:
 * stored sticky buckets, a remote payload and plugins' start-up tasks are in, or the client's
 * `readyTimeoutMs` passed. The promise is cached per client. For apps that prefer Suspense to a
 * loading state (`<SplitflapReady>`) or to reading `ready` from a hook's result. On a server,
 * await `client.ready()` before rendering instead, and nothing suspends.
 */
export function useSplitflapReady(): void {
  const client = useClientFor('useSplitflapReady()');
  suspendUntilReady(client, useReadyFor(client));
}

/**
 * The observed result with `ready`, one object per observed result (one subscription: the
 * observer tracks readiness); asks the client to get ready while it is not, and suspends first
 * when asked to.
 */
function useWithReady<R extends object>(name: string, observed: Observed<R>, options: EvaluationHookOptions | undefined): WithReady<R> {
  const client = useClientFor(name);
  const details = useMemo(() => ({ ...observed.value, ready: observed.ready }), [observed]);
  useEffect(() => {
    if (!observed.ready) void whenReady(client);
  }, [client, observed.ready]);
  if (options && options.suspense) suspendUntilReady(client, observed.ready);
  return details;
}

/** Suspend when `{ suspense: true }` and the client is not ready yet (read without subscribing). */
function useSuspenseIfAsked(name: string, options: EvaluationHookOptions | undefined): void {
  const client = useClientFor(name);
  if (options && options.suspense) suspendUntilReady(client, client.getSnapshot().ready);
}

/** `useFeature` for `name` (a hook or component, named in the missing-provider error). */
export const useFeatureFor = <K extends FeatureKey>(name: string, key: K): FeatureResult<Features[K] | null> =>
  useObserved(name, key, evalFeature).value as FeatureResult<Features[K] | null>;

const evalFeature: Evaluate<string, FeatureResult> = (client, key, options) => client.evalFeature(key, options);
const runExperiment: Evaluate<Experiment, ExperimentResult> = (client, experiment, options) => client.run(experiment, options);

/**
 * The full result of feature `key`: `value`, `on`, `off`, `source`, `experimentResult`, …, and
 * `ready` (whether it is final). With `{ suspense: true }` the component suspends until it is.
 */
export function useFeature<K extends FeatureKey>(key: K, options?: EvaluationHookOptions): WithReady<FeatureResult<Features[K] | null>> {
  const name = 'useFeature()';
  return useWithReady(name, useObserved(name, key, evalFeature, true), options) as WithReady<FeatureResult<Features[K] | null>>;
}

/** Whether feature `key` is on (truthy). Unknown features are off. `{ suspense: true }`: see {@link useFeature}. */
export function useFeatureIsOn(key: FeatureKey, options?: EvaluationHookOptions): boolean {
  const { on } = useFeatureFor('useFeatureIsOn()', key);
  useSuspenseIfAsked('useFeatureIsOn()', options);
  return on;
}

/**
 * The value of feature `key`, or `fallback` when it is unknown, null, or of another type than
 * `fallback`. The fallback's type is the value's type. `{ suspense: true }`: see {@link useFeature}.
 */
export function useFeatureValue<K extends FeatureKey, V extends Features[K]>(key: K, fallback: V, options?: EvaluationHookOptions): WidenPrimitives<V> {
  const value: unknown = useFeatureFor('useFeatureValue()', key).value;
  useSuspenseIfAsked('useFeatureValue()', options);
  return (value == null || (fallback != null && typeof value != typeof fallback) ? fallback : value) as WidenPrimitives<V>;
}

/**
 * Run an inline experiment (`{ key, variations, … }`); the object may be written inline. The
 * result carries `ready` (whether it is final); `{ suspense: true }` suspends until it is.
 */
export function useExperiment<T>(experiment: Experiment<T>, options?: EvaluationHookOptions): WithReady<ExperimentResult<T>> {
  const name = 'useExperiment()';
  return useWithReady(name, useObserved(name, experiment as Experiment, runExperiment, true), options) as WithReady<ExperimentResult<T>>;
}
