/**
 * `splitflap/sixpack`: Sixpack mode, `participate`/`convert` against a Sixpack-compatible server,
 * with the control on any failure and a durable queue for conversions (see client.ts, queue.ts).
 *
 * ```ts
 * const client = createClient({ plugins: [sixpack({ baseUrl: 'https://ab.example.com' })] });
 * const { alternative } = await client.participate('button-color', ['grey', 'red']);
 * ```
 */
import type { Plugin } from '../../plugin';
import { stickyAttributeKey } from '../../sticky';
import { consentGranted } from '../consent/state';
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

/** Sixpack mode against `options.baseUrl`. */
export function sixpack(options: Omit<SixpackOptions, 'stickyStore' | 'log'>): Plugin<SixpackMethods> {
  return (host) => {
    let client: SixpackClient | undefined;
    const connection = () => {
      if (!options || typeof options.baseUrl != 'string' || !options.baseUrl) throw new TypeError('sixpack() needs a baseUrl');
      return connectionTo();
    };
    const connectionTo = () =>
      (client ||= createSixpackClient(host.clientId, {
        userAgent: host.userAgent,
        url: host.getURL,
        ...options,
        // The client's `allowUrlOverrides` by default: off where there is no window, so a server's request cannot force its own alternative.
        allowUrlForce: options.allowUrlForce ?? host.urlOverridesAllowed,
        log: host.log,
        stickyStore: host.stickyStore,
      }));
    const docKey = stickyAttributeKey(STICKY_ATTRIBUTE, host.clientId);
    const getParticipation = (experiment: string, o?: { hydrating?: boolean }) => {
      const doc = host.getStickyDocs(o && o.hydrating)[docKey];
      return doc ? doc.assignments[stickyKey(experiment)] : undefined;
    };
    // Remembered answers render at once: their doc loads with the visitor's own.
    host.watchStickyIdentity(STICKY_ATTRIBUTE, host.clientId);
    host.onDestroy(() => client && client.destroy());
    // Deliver what an earlier page left in the queue (a conversion made while offline); not
    // before consent, as opening the queue's database would store something.
    if (pageWindow() && host.experimentsEnabled && options && options.baseUrl && consentGranted(host.client)) connection().flush();
    return {
      participate(experiment, alternatives, participateOptions) {
        if (!host.experimentsEnabled) {
          try {
            validateParticipation(experiment, alternatives, participateOptions && participateOptions.trafficFraction);
          } catch (error) {
            return Promise.reject(error);
          }
          return Promise.resolve({ alternative: alternatives[0], experiment, clientId: host.clientId, source: 'disabled' as const });
        }
        return Promise.resolve()
          .then(() => connection().participate(experiment, alternatives, participateOptions))
          .then((result) => {
            // Answers the visitor really has are kept in memory too (and so in the hydration snapshot).
            if ((result.source == 'server' || result.source == 'sticky') && getParticipation(experiment) !== result.alternative) {
              host.rememberStickyDoc({ attributeName: STICKY_ATTRIBUTE, attributeValue: host.clientId, assignments: { [stickyKey(experiment)]: result.alternative } });
            }
            return result;
          });
      },
      convert(experiment, convertOptions) {
        if (!host.experimentsEnabled) return Promise.resolve({ status: 'rejected' as const, error: new SixpackError('disabled', 'experiments are off for this client') });
        // In the caller's task, not a later one: a click that converts and navigates journals it before the page can go.
        try {
          return connection().convert(experiment, convertOptions);
        } catch (error) {
          return Promise.reject(error);
        }
      },
      getParticipation,
    };
  };
}
