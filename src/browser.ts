/**
 * The script-tag build (`dist/splitflap.global.js`): the global `Splitflap` with what a page
 * without a build step needs. Server- and analysis-side parts of the core (the bandit functions'
 * exports, the baseplate adapter) stay out to keep one <script> small; import them from `splitflap`.
 * The client's bandit runtime (weights from stats, `data-bandit`) is inline, as an IIFE cannot
 * load chunks on first use (about 10 KB minified, 4 KB gzipped).
 *
 * Configured by `data-*` attributes on its own <script> tag or by `window.splitflapConfig` set
 * before it (tag managers, where `document.currentScript` is missing), it starts a client as
 * `Splitflap.client` and applies declarative markup (src/dom.ts). Callbacks queued in
 * `window.splitflapQueue` run once it has loaded, with `(Splitflap.client, Splitflap)`; later
 * pushes run at once.
 */
import type { Client } from './client';
import { readConfig, runQueue, start as startPage, type ScriptConfig } from './dom';

export { createClient } from './client';
export { evalCondition } from './conditions';
export { decrypt, DecryptionError } from './decrypt';
export { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace } from './hash';
export { getQueryStringOverride } from './url';
export { BOT_PATTERN, isBot } from './bots';
export { generateClientId } from './identity';
export { memoryStickyBucketStore } from './sticky';
export { indexedDbStickyBucketStore, localStorageStickyBucketStore } from './stores';
export type { ScriptConfig };

/** The page's client, once started from the script tag, `window.splitflapConfig` or {@link start}. */
export let client: Client | undefined;

/** Start the page's client and apply declarative markup. Once per page: later calls return the same client. */
export function start(config?: ScriptConfig): Client {
  return (client ||= startPage(config));
}

if (typeof document != 'undefined') {
  const win = window as unknown as Record<string, unknown>;
  const config = readConfig(document.currentScript, win.splitflapConfig);
  if (config) start(config);
  // After this script has run, so the global `Splitflap` exists when the callbacks do.
  Promise.resolve().then(() => runQueue(win, () => [client, win.Splitflap]));
}
