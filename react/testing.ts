'use client';
/**
 * `splitflap/react/testing`, `<TestSplitflapProvider>`: components under test get the flag values and variants the test
 * sets, with no network, storage, cookies or hashing in the way.
 */
import { createElement, useEffect, useRef, type ReactNode } from 'react';
import { createClient, type Attributes, type Client, type ExposureCallback, type FeatureMap } from '../src/index';
import { same, SplitflapProvider, useStable, type FeatureKey, type Features } from './context';

/** Props of {@link TestSplitflapProvider}. */
export interface TestSplitflapProviderProps {
  /** Feature values by key (`source: 'override'`); features not listed are unknown (off, fallback). */
  features?: { [K in FeatureKey]?: Features[K] };
  /**
   * Experiment key → the variant to show: a variation value or meta key for local experiments
   * (`useExperiment`, `<Variant experiment={…}>`), an alternative for Sixpack ones
   * (`useParticipate`, `<SixpackVariant>` of `splitflap/sixpack/react`). Unlisted experiments give the control.
   */
  variants?: Record<string, unknown>;
  /** Attributes for targeting; default `{ id: 'test-client' }`. */
  attributes?: Attributes;
  /** Receives exposures of local experiments that really hash (forced variants are not exposures). */
  onExposure?: ExposureCallback;
  /** Receives `convert` calls (nothing is sent). */
  onConvert?: (experiment: string, options?: { kpi?: string }) => void;
  children?: ReactNode;
}

/** Sixpack mode's methods, as the test client answers them (structurally: this module imports no plugin). */
interface TestSixpack {
  participate(experiment: string, alternatives: string[]): Promise<{ experiment: string; alternative: string; clientId: string; source: 'force' }>;
  convert(experiment: string, options?: { kpi?: string }): Promise<{ status: 'sent' }>;
  getParticipation(experiment: string): string | undefined;
}

/**
 * A provider for tests and stories: set flags and variants directly.
 *
 * ```tsx
 * render(<TestSplitflapProvider features={{ headline: true }} variants={{ 'button-color': 'blue' }}><Page /></TestSplitflapProvider>);
 * ```
 *
 * Props may change between renders; components re-render with the new values.
 */
export function TestSplitflapProvider(props: TestSplitflapProviderProps): ReactNode {
  const latest = useRef(props);
  latest.current = props;
  const ref = useRef<(Client<FeatureMap> & TestSixpack) | null>(null);
  if (!ref.current) {
    const base = createClient({
      clientId: 'test-client',
      cookie: false,
      stickyBucketStore: false,
      allowUrlOverrides: false,
      excludeBots: false,
      attributes: props.attributes,
      forcedFeatures: props.features,
      onExposure: (experiment, result) => latest.current.onExposure?.(experiment, result),
      log: () => undefined,
    });
    const variant = (key: string): unknown => (latest.current.variants || {})[key];
    const alternative = (experiment: string, alternatives: string[]) => {
      const wanted = variant(experiment);
      return alternatives.indexOf(wanted as string) >= 0 ? (wanted as string) : alternatives[0]!;
    };
    const testClient: Client<FeatureMap> & TestSixpack = {
      ...base,
      run(experiment, options) {
        const wanted = variant(experiment.key);
        const index = experiment.variations.findIndex((value, i) => same(value, wanted) || (experiment.meta && experiment.meta[i]?.key) === wanted);
        // `force` skips targeting, exposure and sticky buckets: the variant is simply shown.
        return base.run(index < 0 ? experiment : { key: experiment.key, variations: experiment.variations, meta: experiment.meta, force: index }, options);
      },
      getParticipation: (experiment) => {
        const wanted = variant(experiment);
        return typeof wanted == 'string' ? wanted : undefined;
      },
      participate: (experiment, alternatives) =>
        Promise.resolve({ experiment, alternative: alternative(experiment, alternatives), clientId: base.clientId, source: 'force' as const }),
      convert(experiment, options) {
        latest.current.onConvert?.(experiment, options);
        return Promise.resolve({ status: 'sent' as const });
      },
    };
    ref.current = testClient;
  }
  const client = ref.current;
  const features = useStable(props.features);
  const variants = useStable(props.variants);
  const attributes = useStable(props.attributes);
  const mounted = useRef(false);
  useEffect(() => {
    // Later prop changes: update the client (which tells the hooks).
    if (!mounted.current) return void (mounted.current = true);
    client.setForcedFeatures(features || {});
    client.setAttributes(attributes || { id: client.clientId });
  }, [client, features, variants, attributes]);
  return createElement(SplitflapProvider, { client }, props.children);
}
