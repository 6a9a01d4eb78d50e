/**
 * Components: `<Flag>`, `<Variant>` and `<SplitflapReady>`, each a few lines over the hooks.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { Experiment } from '../src/index';
import { useClientFor, type FeatureKey, type Features } from './context';
import { useEvaluation, useFeatureFor, useReadyFor } from './hooks';

/** Props of {@link Flag}. */
export interface FlagProps {
  /** The feature key. */
  name: FeatureKey;
  /** Rendered when the feature is on. */
  children?: ReactNode;
  /** Rendered when it is off or unknown; default nothing. */
  fallback?: ReactNode;
}

/** Renders `children` when feature `name` is on, else `fallback`: `<Flag name="headline" fallback={<Old />}><New /></Flag>`. */
export function Flag({ name, children, fallback = null }: FlagProps): ReactNode {
  return useFeatureFor('<Flag>', name).on ? children : fallback;
}

/** A render function of the variant, or one child per variant (keyed by the value as a string). */
export type VariantChildren<T> = ((value: T) => ReactNode) | Record<string, ReactNode>;

/** Props of {@link Variant}: an inline experiment, or a feature (Sixpack experiments: `SixpackVariant` of `splitflap/sixpack/react`). */
export type VariantProps<T = unknown> =
  | { /** An inline local experiment. */ experiment: Experiment<T>; feature?: undefined; children: VariantChildren<T> }
  | { /** A feature: its value picks the child. */ feature: FeatureKey; experiment?: undefined; children: VariantChildren<Features[FeatureKey]> };

/** The child for `value`: the render function's, or the one keyed by the value as a string. */
export const pick = <T>(children: VariantChildren<T>, value: T): ReactNode =>
  typeof children == 'function' ? children(value) : (children[String(value)] ?? null);

/**
 * Renders the variant the visitor gets, from a render function or one child per variant:
 *
 * ```tsx
 * <Variant experiment={{ key: 'headline', variations: ['a', 'b'] }}>{{ a: <Short />, b: <Long /> }}</Variant>
 * <Variant feature="checkout-layout">{{ classic: <Classic />, compact: <Compact /> }}</Variant>
 * ```
 */
export function Variant<T = unknown>({ experiment, feature, children }: VariantProps<T>): ReactNode {
  if (typeof experiment == 'string') {
    // Sixpack experiments moved out of splitflap/react: say where, rather than render nothing.
    throw new Error(`splitflap: <Variant experiment="${experiment}"> is a Sixpack experiment: write <SixpackVariant experiment="${experiment}"> from 'splitflap/sixpack/react'`);
  }
  const value = useEvaluation('<Variant>', feature ?? experiment, (client, input, o) =>
    typeof input == 'string' ? client.evalFeature(input, o).value : client.run(input, o).value,
  );
  return pick(children as VariantChildren<unknown>, value);
}

/** Props of {@link SplitflapReady}. */
export interface SplitflapReadyProps {
  /** Rendered until the client is ready; default nothing. */
  fallback?: ReactNode;
  /** Render `children` after this many ms even if not ready (the client's own `readyTimeoutMs` also applies). */
  timeout?: number;
  children?: ReactNode;
}

/**
 * Renders `fallback` until the client is ready (stored sticky buckets and the first payload are
 * in), then `children`: returning visitors never see a variant flip, at the cost of a short wait
 * on first paint. Not needed when the client was hydrated from a ready server snapshot. For
 * Suspense instead of a fallback prop, see `useSplitflapReady()`.
 */
export function SplitflapReady({ fallback = null, timeout, children }: SplitflapReadyProps): ReactNode {
  const ready = useReadyFor(useClientFor('<SplitflapReady>'));
  const [late, setLate] = useState(false);
  useEffect(() => {
    if (ready || timeout == null) return;
    const timer = setTimeout(() => setLate(true), timeout);
    return () => clearTimeout(timer);
  }, [ready, timeout]);
  return ready || late ? children : fallback;
}
