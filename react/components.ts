/**
 * Components: `<Flag>`, `<Variant>` and `<SplitflapReady>`, each a few lines over the hooks.
 */
import { createElement, useEffect, useState, type ReactNode } from 'react';
import type { Experiment } from '../src/index';
import type { ParticipateOptions } from '../src/plugins/sixpack';
import { useClientFor, type FeatureKey, type Features } from './context';
import { useEvaluation, useFeatureFor, useParticipateFor, useReadyFor } from './hooks';

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

/** Props of {@link Variant}: a Sixpack experiment, an inline experiment, or a feature. */
export type VariantProps<T = unknown> =
  | {
      /** Sixpack mode: the experiment's name. */
      experiment: string;
      /** The alternatives, control first; default the keys of `children` when it is an object. */
      alternatives?: string[];
      options?: ParticipateOptions;
      feature?: undefined;
      children: VariantChildren<string>;
    }
  | { /** An inline local experiment. */ experiment: Experiment<T>; feature?: undefined; children: VariantChildren<T> }
  | { /** A feature: its value picks the child. */ feature: FeatureKey; experiment?: undefined; children: VariantChildren<Features[FeatureKey]> };

const pick = <T>(children: VariantChildren<T>, value: T): ReactNode =>
  typeof children == 'function' ? children(value) : (children[String(value)] ?? null);

type SixpackProps = Extract<VariantProps, { experiment: string }>;

function SixpackVariant({ experiment, alternatives, options, children }: SixpackProps): ReactNode {
  const state = useParticipateFor('<Variant>', experiment, alternatives || Object.keys(children), options);
  return pick(children, state.alternative);
}

function LocalVariant<T>({ experiment, feature, children }: Exclude<VariantProps<T>, SixpackProps>): ReactNode {
  const value = useEvaluation('<Variant>', feature ?? experiment, (client, input, o) =>
    typeof input == 'string' ? client.evalFeature(input, o).value : client.run(input, o).value,
  );
  return pick(children as VariantChildren<unknown>, value);
}

/**
 * Renders the variant the visitor gets, from a render function or one child per variant:
 *
 * ```tsx
 * <Variant experiment="button-color" alternatives={['red', 'blue']}>{(color) => <Buy color={color} />}</Variant>
 * <Variant experiment={{ key: 'headline', variations: ['a', 'b'] }}>{{ a: <Short />, b: <Long /> }}</Variant>
 * <Variant feature="checkout-layout">{{ classic: <Classic />, compact: <Compact /> }}</Variant>
 * ```
 */
export function Variant<T = unknown>(props: VariantProps<T>): ReactNode {
  return typeof props.experiment == 'string'
    ? createElement(SixpackVariant, props as SixpackProps)
    : createElement(LocalVariant as (p: VariantProps<T>) => ReactNode, props);
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
