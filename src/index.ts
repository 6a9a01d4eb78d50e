/**
 * Splitflap core: `createClient()` (local evaluation, identity, sticky buckets, exposures,
 * subscriptions, hydration) plus the building blocks of local evaluation. Every other capability
 * is a plugin with its own entry point (`splitflap/remote`, `splitflap/sixpack`, …), so nothing
 * here pulls one in. Importing this module has no side effects: nothing touches `window`,
 * `document` or storage until a client is created.
 */
export { createClient } from './client';
export type { Client, ClientOptions, ClientSnapshot, EvalOptions, FeatureMap, FlagTypes, Register, RegisteredFeatures, TypedFeatureDefinitions, WidenPrimitives } from './api';
export type { HydrationSnapshot } from './hydration';
export type { Plugin, PluginExtensions, PluginHost } from './plugin';
export { evalCondition } from './conditions';
export { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace } from './hash';
export { getQueryStringOverride } from './url';
export { BOT_PATTERN, isBot } from './bots';
export {
  clientIdFromCookieHeader,
  clientIdSetCookieHeader,
  DEFAULT_COOKIE_NAME,
  generateClientId,
  type CookieOptions,
} from './identity';
export { memoryStickyBucketStore } from './sticky';
export { indexedDbStickyBucketStore, localStorageStickyBucketStore } from './sticky-stores';
export type * from './types';
