/**
 * `splitflap/openfeature`: Splitflap as an OpenFeature provider, for `@openfeature/web-sdk` (and
 * `@openfeature/react-sdk`) and for `@openfeature/server-sdk`. Only types come from OpenFeature,
 * so this entry bundles no SDK; install the one you use.
 *
 * ```ts
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { SplitflapWebProvider } from 'splitflap/openfeature';
 *
 * await OpenFeature.setProviderAndWait(new SplitflapWebProvider(createClient({ features })));
 * ```
 */
export { SplitflapWebProvider, TRACK_NEEDS_SIXPACK } from './web';
export { SplitflapServerProvider, type SplitflapServerProviderOptions } from './server';
export { contextAttributes } from './context';
export { typedFlags, type FlagKeyOf, type OpenFeatureEvaluations, type ProviderFlags, type TypedFlagClient } from './typed';
export { resolution, type FlagType, type FlagValue, type ResolveInputs } from './resolve';
