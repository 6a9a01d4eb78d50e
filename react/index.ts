'use client';
/**
 * React bindings for Splitflap (`splitflap/react`): a provider, hooks over
 * `useSyncExternalStore(client.subscribe, client.getSnapshot)`, `<Flag>`, `<Variant>`,
 * and `<SplitflapReady>`. No evaluation logic lives here: every result comes from the core client.
 * Server components import `splitflap` (the core) instead. Sixpack mode's hooks live with its
 * plugin (`splitflap/sixpack/react`), and `<TestSplitflapProvider>` with the tests that use it
 * (`splitflap/react/testing`), so neither is in an app's bundle.
 */
export { SplitflapProvider, useClient, type FeatureKey, type Features, type Register, type SplitflapProviderProps } from './context';
export {
  useExperiment,
  useFeature,
  useFeatureIsOn,
  useFeatureValue,
  useSplitflapReady,
  type EvaluationHookOptions,
  type WithReady,
} from './hooks';
export { Flag, SplitflapReady, Variant, type FlagProps, type SplitflapReadyProps, type VariantChildren, type VariantProps } from './components';
export { createClient } from '../src/index';
export type { Client, ClientOptions, EvalOptions, FeatureResult, ExperimentResult, Experiment, HydrationSnapshot } from '../src/index';
