'use client';
/**
 * React bindings for Splitflap (`splitflap/react`): a provider, hooks over
 * `useSyncExternalStore(client.subscribe, client.getSnapshot)`, `<Flag>`, `<Variant>`,
 * `<SplitflapReady>` and `<TestSplitflapProvider>`. No evaluation logic lives here: every result
 * comes from the core client. Server components import `splitflap` (the core) instead.
 */
export { SplitflapProvider, useClient, type FeatureKey, type Features, type Register, type SplitflapProviderProps } from './context';
export {
  useConvert,
  useExperiment,
  useFeature,
  useFeatureIsOn,
  useFeatureValue,
  useParticipate,
  useSplitflapReady,
  type EvaluationHookOptions,
  type ParticipateState,
  type WithReady,
} from './hooks';
export { Flag, SplitflapReady, Variant, type FlagProps, type SplitflapReadyProps, type VariantChildren, type VariantProps } from './components';
export { TestSplitflapProvider, type TestSplitflapProviderProps } from './testing';
export { createClient } from '../src/index';
export type { Client, ClientOptions, EvalOptions, FeatureResult, ExperimentResult, Experiment, HydrationSnapshot } from '../src/index';
export type { ConvertResult, ParticipateOptions, ParticipateResult } from '../src/plugins/sixpack';
