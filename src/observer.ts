/**
 * An observer of one evaluation for one subscriber, as TanStack Query's `QueryObserver`: it keeps
 * the subscriber's memo in the core, so a UI binding is glue (React: one `useSyncExternalStore`).
 * It re-evaluates only when the client's snapshot or the input changed, hands back the previous
 * object while the result holds the same data (so a component re-renders only when its own result
 * changed), and defers the exposures of what it evaluated until the UI says the result was shown.
 */
import type { Client, EvalOptions } from './api';
import type { Assignment } from './evaluate';
import type { ClientSnapshot } from './api';

/** What an observer gives: the result, whether the client is ready, and the exposures deferred until it is shown. */
export interface Observed<T> {
  readonly value: T;
  /** The client's `ready` when evaluated (only tracked by observers made `withReady`). */
  readonly ready: boolean;
  /** Assignments whose exposure waits for {@link Observer.commit}. */
  readonly deferred: readonly Assignment[];
}

export interface Observer<I, T> {
  /** The client's `subscribe`. */
  readonly subscribe: Client['subscribe'];
  /** The result for `input`, live or (with `hydrating`) as the client was hydrated. */
  get(input: I, hydrating?: boolean): Observed<T>;
  /** The result was shown: report its deferred exposures (the client dedupes them). */
  commit(observed: Observed<T>): void;
}

/** An evaluation an observer runs, with its `track` and `hydrating` options. */
export type Evaluate<I, T> = (client: Client, input: I, options: EvalOptions) => T;

const NONE: readonly Assignment[] = [];

/** Whether `a` and `b` hold the same data: plain objects and arrays compared deeply, the rest by identity. */
export function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!a || !b || typeof a != 'object' || typeof b != 'object') return false;
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.getPrototypeOf(b) || (proto && proto !== Object.prototype && proto !== Array.prototype)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length == Object.keys(right).length && keys.every((key) => same(left[key], right[key]));
}

/** The last evaluation from one source (live or hydrating). */
interface Memo<I, T> {
  snapshot?: ClientSnapshot;
  input?: I;
  observed?: Observed<T>;
}

/**
 * An observer of `evaluate` on `client`. `withReady`: a change of the client's readiness alone
 * gives a new result too (for bindings that show `ready`).
 */
export function createObserver<I, T>(client: Client, evaluate: Evaluate<I, T>, withReady = false): Observer<I, T> {
  const memos: [live: Memo<I, T>, hydrating: Memo<I, T>] = [{}, {}];
  const fresh = (memo: Memo<I, T>, other: Memo<I, T>, input: I, hydrating: boolean): Observed<T> => {
    const deferred: Assignment[] = [];
    const value = evaluate(client, input, { track: (experiment, result) => void deferred.push([experiment, result]), hydrating });
    const ready = withReady && client.getSnapshot().ready;
    const last = memo.observed;
    if (last && last.ready === ready && same(last.value, value)) return last;
    // After hydration the live result usually equals the hydrating one: keep its identity (no re-render).
    const twin = other.observed;
    if (twin && twin.ready === ready && same(twin.value, value)) return twin;
    return { value, ready, deferred: deferred.length ? deferred : NONE };
  };
  return {
    subscribe: client.subscribe,
    get(input, hydrating = false) {
      const memo = memos[hydrating ? 1 : 0];
      const snapshot = client.getSnapshot();
      if (memo.observed && memo.snapshot === snapshot && memo.input === input) return memo.observed;
      memo.observed = fresh(memo, memos[hydrating ? 0 : 1], input, hydrating);
      memo.snapshot = snapshot;
      memo.input = input;
      return memo.observed;
    },
    commit(observed) {
      for (const [experiment, result] of observed.deferred) client.trackExposure(experiment, result);
    },
  };
}
