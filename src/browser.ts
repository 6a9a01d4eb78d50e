/**
 * The script-tag build (`dist/splitflap.global.js`): the global `Splitflap` with what a page
 * without a build step needs. Server- and analysis-side parts of the core (bandit statistics,
 * the baseplate adapter) stay out to keep one <script> small; import them from `splitflap`.
 */
export { createClient } from './client';
export { evalCondition } from './conditions';
export { decrypt, DecryptionError } from './decrypt';
export { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace } from './hash';
export { getQueryStringOverride } from './url';
export { BOT_PATTERN, isBot } from './bots';
export { generateClientId } from './identity';
export { memoryStickyBucketStore } from './sticky';
export { indexedDbStickyBucketStore, localStorageStickyBucketStore } from './stores';
