/**
 * `splitflap/consent`: a client that waits for the visitor's consent (GDPR, ePrivacy). Built as
 * middleware around the options, the way Zustand middleware wraps a store's creator, so the core
 * knows nothing of consent:
 *
 * ```ts
 * const client = createClient(withConsent({ consent: 'pending' }, { plugins: [remote({ url })] }));
 * banner.onAccept = () => client.setConsent('granted');
 * banner.onReject = () => client.setConsent('denied');
 * ```
 *
 * Until consent is granted: no cookie is written (`cookie: false`, the id lives in memory, or is
 * the server's, or the one an earlier grant wrote), sticky buckets stay in memory (a gated store,
 * store.ts), exposures wait in memory (a held `onExposure`), and so do Sixpack participations and
 * conversions; plugins that store or report ask the host (`host.consent()`). Buckets are computed
 * as usual, so the page renders. On grant, the id cookie is written, the sticky docs are stored,
 * and what waited goes out, once each, in order. On deny, what waited is dropped and nothing is
 * ever stored; participations resolve with the control (`source: 'disabled'`).
 */
import type { Client, ClientOptions } from '../../api';
import { clientIdFromCookieHeader, clientIdSetCookieHeader, generateClientId } from '../../identity';
import { defaultLog } from '../../log';
import type { Plugin } from '../../plugin';
import { indexedDbStickyBucketStore } from '../../sticky-stores';
import type { Experiment, ExperimentResult, ExposureCallback } from '../../types';
import type { Consent } from '../../types';
import { consentStickyStore } from './store';
import { pageDocument, pageWindow } from '../../internal/env';

export type { Consent } from '../../types';
export { consentStickyStore, type ConsentStickyStore } from './store';

/** The first argument of {@link withConsent}. */
export interface ConsentSettings {
  /** Where the visitor stands now: from your consent banner (CMP), or `pending` until it answers. */
  consent: Consent;
}

/** What {@link withConsent} adds to the client. */
export interface ConsentMethods {
  getConsent(): Consent;
  /**
   * Record the visitor's answer. `granted`: the id cookie is written, sticky buckets stored, and
   * waiting exposures, participations and conversions go out, once each. `denied`: they are
   * dropped and nothing is stored; after a grant, this also deletes the id cookie and stops
   * storing and reporting (what was stored stays until you clear it, see docs/consent.md).
   * Throws a TypeError for any other value.
   */
  setConsent(consent: 'granted' | 'denied'): void;
}

/** At most this many exposures wait for consent; then the oldest are dropped. */
const MAX_WAITING = 1000;
const CONSENTS: readonly Consent[] = ['pending', 'granted', 'denied'];

/**
 * `options` for a client that waits for consent: `createClient(withConsent({ consent }, options))`.
 * The id: `clientId` if given, else the hydrated one, else the id cookie an earlier grant wrote
 * (read, never written before consent), else a new one kept in memory; on grant it is written to
 * the cookie (`cookie` options; `cookie: false` never writes one).
 */
export function withConsent<const P extends readonly Plugin[] = []>(
  settings: ConsentSettings,
  options: ClientOptions<P> = {},
): ClientOptions<readonly [Plugin<ConsentMethods>, ...P]> {
  let consent = settings && settings.consent;
  if (!CONSENTS.includes(consent)) throw new TypeError(`withConsent: consent must be 'pending', 'granted' or 'denied', not ${JSON.stringify(consent)}`);
  const log = options.log || defaultLog;
  const cookie = options.cookie;
  const inBrowser = !!pageDocument();
  const granted = () => consent == 'granted';

  let stored: string | undefined;
  try {
    if (inBrowser && cookie !== false) stored = clientIdFromCookieHeader(document.cookie, cookie && cookie.name);
  } catch {
    // Cookies disabled: the id lives in memory.
  }
  const clientId = options.clientId || (options.hydrate && options.hydrate.clientId) || stored || generateClientId();

  const persistent =
    options.stickyBucketStore || (options.stickyBucketStore !== false && pageWindow() ? indexedDbStickyBucketStore({ log }) : undefined);
  const store = persistent && consentStickyStore(persistent, granted, log);

  /** `days: 0` deletes it. */
  const writeCookie = (days?: number) => {
    if (!inBrowser || cookie === false) return;
    try {
      const options = days === undefined ? cookie : { ...cookie, days };
      document.cookie = clientIdSetCookieHeader(clientId, options, location.protocol == 'https:');
    } catch (error) {
      log('Could not write the id cookie', { error });
    }
  };
  if (granted() && stored !== clientId) writeCookie();

  let appCallback: ExposureCallback | undefined = options.onExposure || options.trackingCallback;
  /** Exposures made while consent is pending, reported again on grant. */
  const held: [Experiment, ExperimentResult][] = [];
  /** The core's exposure callback: the app's once consent is granted; until then held (pending) or dropped (denied). */
  const report: ExposureCallback = (experiment, result) => {
    if (consent == 'granted') appCallback && appCallback(experiment, result);
    else if (consent == 'pending' && held.push([experiment, result]) > MAX_WAITING) {
      held.shift();
      log('Too many exposures waiting for consent; dropped the oldest');
    }
  };

  const plugin: Plugin<ConsentMethods & Pick<Client, 'setOnExposure'>> = (host) => {
    let destroyed = false;
    host.on('destroy', () => {
      destroyed = true;
      held.length = 0;
    });
    return {
      getConsent: () => consent,
      setConsent(next) {
        if (next !== 'granted' && next !== 'denied') throw new TypeError(`setConsent: 'granted' or 'denied', not ${JSON.stringify(next)}`);
        if (next == consent || destroyed) return;
        const was = consent;
        consent = next;
        if (next == 'granted') {
          writeCookie();
          // What an earlier visit stored for these identities is read again (refresh): stored assignments win.
          if (store) void store.persist();
          held.splice(0).forEach(([experiment, result]) => host.expose(experiment, result));
        } else {
          held.length = 0;
          if (was == 'granted') writeCookie(0);
        }
        // Plugins that wait for consent (Sixpack calls, analytics) hear of it here.
        host.refresh();
      },
      setOnExposure(callback) {
        appCallback = callback;
      },
    };
  };

  return {
    ...options,
    clientId,
    cookie: false,
    stickyBucketStore: store || options.stickyBucketStore,
    consent: () => consent,
    onExposure: report,
    trackingCallback: undefined,
    plugins: [plugin, ...(options.plugins || [])] as unknown as readonly [Plugin<ConsentMethods>, ...P],
  };
}
