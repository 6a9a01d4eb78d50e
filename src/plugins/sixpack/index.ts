/**
 * `splitflap/sixpack`: Sixpack mode, `participate`/`convert` against a Sixpack-compatible server,
 * with the control on any failure and a durable queue for conversions (see client.ts, queue.ts).
 *
 * ```ts
 * const client = createClient({ plugins: [sixpack({ baseUrl: 'https://ab.example.com' })] });
 * const { alternative } = await client.participate('button-color', ['grey', 'red']);
 * ```
 */
import type { Plugin, PluginHost } from '../../plugin';
import { stickyAttributeKey } from '../../sticky';
import {
  createSixpackClient,
  SixpackError,
  STICKY_ATTRIBUTE,
  stickyKey,
  validateParticipation,
  type ConvertResult,
  type ParticipateOptions,
  type ParticipateResult,
  type SixpackClient,
  type SixpackOptions,
} from './client';
import { pageWindow } from '../../internal/env';

export { createSixpackClient, SixpackError } from './client';
export type { ConvertResult, ParticipateOptions, ParticipateResult, SixpackClient, SixpackErrorCode, SixpackOptions } from './client';
export { indexedDbQueue, memoryQueue } from './queue';
export type { Delivery, QueuedRequest, RequestQueue } from './queue';


/** What {@link sixpack} adds to the client. */
export interface SixpackMethods {
  /**
   * The visitor's alternative of `experiment` from the server. The first alternative is the
   * control, returned on any failure (`source: 'fallback'`, with `error`) and, without a request,
   * while experiments are off (`enabled: false`, QA mode, bots: `source: 'disabled'`). Rejects
   * only on programmer errors: invalid names or fewer than 2 alternatives (a `SixpackError`).
   */
  participate(experiment: string, alternatives: string[], options?: ParticipateOptions): Promise<ParticipateResult>;
  /** Count a conversion (optionally for a KPI); queued and retried until the server has it. Nothing is sent while experiments are off. */
  convert(experiment: string, options?: { kpi?: string }): Promise<ConvertResult>;
  /**
   * The alternative of `experiment` this client already knows (remembered in the sticky store,
   * answered earlier, or from `hydrate`), synchronously; `undefined` if none yet. `hydrating`
   * reads the state the client was hydrated with.
   */
  getParticipation(experiment: string, options?: { hydrating?: boolean }): string | undefined;
}

/** At most this many participations and conversions wait for consent; then the oldest are refused. */
const MAX_WAITING = 1000;

/** A call waiting for consent: sent on grant, answered with `refuse()` on deny. */
interface Waiting {
  send(): Promise<unknown>;
  refuse(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Calls that wait while the host's consent is `pending`: on grant they go out one at a time, in
 * order (a participation reaches the server before the conversion after it); on deny, or when
 * the client is destroyed, each gets its refusal.
 */
function consentQueue(host: PluginHost) {
  const waiting: Waiting[] = [];
  const refuseAll = () => waiting.splice(0).forEach((call) => call.resolve(call.refuse()));
  host.on('change', () => {
    const consent = host.read().consent;
    if (consent == 'denied') refuseAll();
    else if (consent == 'granted') {
      waiting.splice(0).reduce<Promise<unknown>>((previous, call) => previous.then(() => call.send().then(call.resolve, call.reject)), Promise.resolve());
    }
  });
  host.on('destroy', refuseAll);
  /** `send()` now if granted, its refusal if denied, else once consent is answered. */
  return <T>(send: () => Promise<T>, refuse: () => T): Promise<T> => {
    const consent = host.read().consent;
    if (consent == 'granted') return send();
    if (consent == 'denied') return Promise.resolve(refuse());
    return new Promise<T>((resolve, reject) => {
      if (waiting.push({ send, refuse, resolve: resolve as (value: unknown) => void, reject }) > MAX_WAITING) {
        const oldest = waiting.shift()!;
        oldest.resolve(oldest.refuse());
        host.log('Too many Sixpack calls waiting for consent; refused the oldest');
      }
    });
  };
}

/** Sixpack mode against `options.baseUrl`. */
export function sixpack(options: Omit<SixpackOptions, 'stickyStore' | 'log'>): Plugin<SixpackMethods> {
  return (host) => {
    const { clientId, experimentsEnabled } = host.settings;
    let client: SixpackClient | undefined;
    const connection = () => {
      if (!options || typeof options.baseUrl != 'string' || !options.baseUrl) throw new TypeError('sixpack() needs a baseUrl');
      return (client ||= createSixpackClient(clientId, {
        userAgent: host.settings.userAgent,
        url: () => host.read().url,
        ...options,
        // The client's `allowUrlOverrides` by default: off where there is no window, so a server's request cannot force its own alternative.
        allowUrlForce: options.allowUrlForce ?? host.settings.urlOverridesAllowed,
        log: host.log,
        stickyStore: host.settings.stickyStore,
      }));
    };
    const docKey = stickyAttributeKey(STICKY_ATTRIBUTE, clientId);
    const getParticipation = (experiment: string, o?: { hydrating?: boolean }) => {
      const doc = host.read(o && o.hydrating).stickyDocs[docKey];
      return doc ? doc.assignments[stickyKey(experiment)] : undefined;
    };
    const remember = (assignments: Record<string, string>) => host.keepStickyDoc({ attributeName: STICKY_ATTRIBUTE, attributeValue: clientId, assignments });
    // Remembered answers render at once: their doc loads with the visitor's own.
    remember({});
    host.on('destroy', () => client && client.destroy());
    const afterConsent = consentQueue(host);
    // Deliver what an earlier page left in the queue (a conversion made while offline); not
    // before consent, as opening the queue's database would store something.
    if (pageWindow() && experimentsEnabled && options && options.baseUrl && host.read().consent == 'granted') connection().flush();
    const control = (experiment: string, alternatives: string[]) => ({ alternative: alternatives[0]!, experiment, clientId, source: 'disabled' as const });
    const participate: SixpackMethods['participate'] = (experiment, alternatives, participateOptions) => {
      try {
        validateParticipation(experiment, alternatives, participateOptions && participateOptions.trafficFraction);
      } catch (error) {
        return Promise.reject(error);
      }
      const send = () =>
        Promise.resolve()
          .then(() => connection().participate(experiment, alternatives, participateOptions))
          .then((result) => {
            // Answers the visitor really has are kept in memory too (and so in the hydration snapshot).
            if ((result.source == 'server' || result.source == 'sticky') && getParticipation(experiment) !== result.alternative) remember({ [stickyKey(experiment)]: result.alternative });
            return result;
          });
      const answer = experimentsEnabled ? afterConsent<ParticipateResult>(send, () => control(experiment, alternatives)) : Promise.resolve(control(experiment, alternatives));
      return answer.then((result) => (host.emit('participation', { experiment, alternatives, alternative: result.alternative, source: result.source }), result));
    };
    const refused = (reason: string) => ({ status: 'rejected' as const, error: new SixpackError('disabled', reason) });
    const convert: SixpackMethods['convert'] = (experiment, convertOptions) => {
      host.emit('conversion', experiment, convertOptions && convertOptions.kpi);
      if (!experimentsEnabled) return Promise.resolve(refused('experiments are off for this client'));
      // In the caller's task, not a later one: a click that converts and navigates journals it before the page can go.
      const send = () => {
        try {
          return connection().convert(experiment, convertOptions);
        } catch (error) {
          return Promise.reject(error);
        }
      };
      return afterConsent<ConvertResult>(send, () => refused('the visitor did not consent'));
    };
    return { participate, convert, getParticipation };
  };
}
