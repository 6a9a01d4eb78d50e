/**
 * Splitflap core: `createClient()` plus the building blocks of local evaluation.
 * Importing this module has no side effects: nothing touches `window`, `document` or storage
 * until a client is created.
 */
export { createClient } from './client';
export type { Client, ClientOptions, ClientSnapshot, ExperimentDefinition, FeatureMap, WidenPrimitives } from './client';
export type { EvalOptions, HydrationSnapshot } from './client';
export type { BanditState } from './client';
export { evalCondition } from './conditions';
export { decrypt, DecryptionError } from './decrypt';
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
export { indexedDbStickyBucketStore, localStorageStickyBucketStore } from './stores';
export { loadBaseplateConfig } from './baseplate';
export type { ForcedBucket } from './edx';
export { banditWeights, chooseArm, detectWinner } from './bandit';
export type { ArmStats, BanditOptions, BanditPolicy, WinnerOptions, WinnerResult } from './bandit';
export type * from './types';
