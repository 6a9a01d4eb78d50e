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
 * conversions; plugins that store ask `consentGranted(client)` (state.ts). Buckets are computed
 * as usual, so the page renders. On grant, the id cookie is written, the sticky docs are stored,
 * and what waited goes out, once each, in order. On deny, what waited is dropped and nothing is
 * ever stored; participations resolve with the control (`source: 'disabled'`).
 */
import type { Client, ClientOptions } from '../../api';
import { clientIdFromCookieHeader, clientIdSetCookieHeader, generateClientId } from '../../identity';
import { defaultLog } from '../../log';
import type { Plugin, PluginHost } from '../../plugin';
import { indexedDbStickyBucketStore } from '../../sticky-stores';
import type { Experiment, ExperimentResult, ExposureCallback } from '../../types';
import type { SixpackMethods } from '../sixpack';
import { SixpackError, validateParticipation } from '../sixpack/client';
import type { Consent } from './state';
import { consentStickyStore } from './store';
import { pageDocument, pageWindow } from '../../internal/env';

export { consentGranted, type Consent } from './state';
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

/** At most this many exposures, participations and conversions wait for consent; then the oldest are dropped. */
const MAX_WAITING = 1000;
const CONSENTS: readonly Consent[] = ['pending', 'granted', 'denied'];

/** A Sixpack call waiting for consent: sent on grant, answered with `refuse()` on deny. */
interface Waiting {
  send(): Promise<unknown>;
  refuse(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * `options` for a client that waits for consent: `createClient(withConsent({ consent }, options))`.
 * The id: `clientId` if given, else the hydrated one, else the id cookie an earlier grant wrote
 * (read, never written before consent), else a new one kept in memory; on grant it is written to
 * the cookie (`cookie` options; `cookie: false` never writes one).
 */
export function withConsent<const P extends readonly Plugin[] = []>(
  settings: ConsentSettings,
  options: ClientOptions<P> = {},
): ClientOptions<readonly [Plugin<ConsentMethods>, ...P, Plugin]> {
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
  const heldExposures: [Experiment, ExperimentResult][] = [];
  const waitingCalls: Waiting[] = [];
  const bounded = <T>(list: T[], item: T, drop: (item: T) => void) => {
    if (list.push(item) > MAX_WAITING) {
      drop(list.shift()!);
      log('Too much waiting for consent; dropped the oldest');
    }
  };
  /** The core's exposure callback until consent is granted: holds (pending) or drops (denied). */
  const gate: ExposureCallback = (experiment, result) => {
    if (consent == 'pending') bounded(heldExposures, [experiment, result], () => undefined);
  };

  let host: PluginHost | undefined;
  let coreSetOnExposure: Client['setOnExposure'] = () => undefined;
  let destroyed = false;

  const early: Plugin<ConsentMethods & Pick<Client, 'setOnExposure'>> = (captured) => {
    host = captured;
    coreSetOnExposure = captured.client.setOnExposure;
    captured.onDestroy(() => {
      destroyed = true;
      heldExposures.length = 0;
      waitingCalls.splice(0).forEach((call) => call.resolve(call.refuse()));
    });
    return {
      getConsent: () => consent,
      setConsent(next) {
        if (next !== 'granted' && next !== 'denied') throw new TypeError(`setConsent: 'granted' or 'denied', not ${JSON.stringify(next)}`);
        if (next == consent || destroyed) return;
        const was = consent;
        consent = next;
        const calls = waitingCalls.splice(0);
        if (next == 'granted') {
          writeCookie();
          if (store) {
            void store.persist();
            // Load what an earlier visit stored for these identities: stored assignments win.
            host!.client.setAttributes(host!.client.getAttributes());
          }
          coreSetOnExposure(appCallback);
          heldExposures.splice(0).forEach(([experiment, result]) => host!.expose(experiment, result));
          // One at a time: a participation reaches the server before the conversion after it.
          calls.reduce<Promise<unknown>>((previous, call) => previous.then(() => call.send().then(call.resolve, call.reject)), Promise.resolve());
        } else {
          heldExposures.length = 0;
          calls.forEach((call) => call.resolve(call.refuse()));
          if (was == 'granted') {
            writeCookie(0);
            coreSetOnExposure(gate);
          }
        }
        host!.notify();
      },
      setOnExposure(callback) {
        appCallback = callback;
        if (granted()) coreSetOnExposure(callback);
      },
    };
  };

  /** Sixpack calls wait too (this plugin runs last, so the Sixpack methods are on the client by then). */
  const late: Plugin = (captured) => {
    const { participate, convert } = captured.client as Client & Partial<SixpackMethods>;
    if (!participate || !convert) return;
    const wait = (send: () => Promise<unknown>, refuse: () => unknown) =>
      new Promise((resolve, reject) => bounded(waitingCalls, { send, refuse, resolve, reject }, (call) => call.resolve(call.refuse())));
    const methods: Pick<SixpackMethods, 'participate' | 'convert'> = {
      participate(experiment, alternatives, participateOptions) {
        if (granted()) return participate(experiment, alternatives, participateOptions);
        try {
          validateParticipation(experiment, alternatives, participateOptions && participateOptions.trafficFraction);
        } catch (error) {
          return Promise.reject(error);
        }
        const control = () => ({ alternative: alternatives[0]!, experiment, clientId, source: 'disabled' as const });
        return (consent == 'pending' ? wait(() => participate(experiment, alternatives, participateOptions), control) : Promise.resolve(control())) as ReturnType<SixpackMethods['participate']>;
      },
      convert(experiment, convertOptions) {
        if (granted()) return convert(experiment, convertOptions);
        const refused = () => ({ status: 'rejected' as const, error: new SixpackError('disabled', 'the visitor did not consent') });
        return (consent == 'pending' ? wait(() => convert(experiment, convertOptions), refused) : Promise.resolve(refused())) as ReturnType<SixpackMethods['convert']>;
      },
    };
    return methods;
  };

  return {
    ...options,
    clientId,
    cookie: false,
    stickyBucketStore: store || options.stickyBucketStore,
    onExposure: granted() ? appCallback : gate,
    trackingCallback: undefined,
    plugins: [early, ...(options.plugins || []), late] as unknown as readonly [Plugin<ConsentMethods>, ...P, Plugin],
  };
}
