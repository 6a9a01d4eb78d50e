/**
 * Any HTTP endpoint: events are batched and POSTed as `{"events": [...]}` (JSON, sent as
 * `text/plain` in `no-cors` mode, so a collector on another origin needs no CORS headers; its
 * status is then unreadable, and only network failures are retried). A batch goes out when it is
 * full or `flushIntervalMs` after its first event, with `fetch(..., { keepalive: true })`, which
 * outlives the page; when the page is hidden or left, everything waiting goes with
 * `navigator.sendBeacon` (falling back to keepalive fetch). Failed batches are retried with the
 * next one, up to `maxQueued` events (the oldest are dropped past it, with a log line).
 */
import type { Plugin } from '../../plugin';
import type { AnalyticsEvent } from './events';
import { forwarder, type AnalyticsMethods, type ForwardOptions } from './forward';
import { pageNavigator } from '../../internal/env';

/** Options of {@link endpoint}. */
export interface EndpointOptions extends ForwardOptions {
  /** Where batches are POSTed. */
  url: string;
  /** Send once this many events wait; default 20. */
  batchSize?: number;
  /** Send this long after the first waiting event at the latest; default 5,000 ms. */
  flushIntervalMs?: number;
  /** Most events kept while the endpoint fails; default 1,000. */
  maxQueued?: number;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/** Beacons and keepalive requests share a 64 KiB budget per page: stay under it per request. */
const MAX_BODY_BYTES = 60_000;
const HEADERS = { 'content-type': 'text/plain;charset=UTF-8' };

/** `events` as request bodies of at most MAX_BODY_BYTES each (an oversized event goes alone). */
export function batchBodies(events: AnalyticsEvent[]): { body: string; events: AnalyticsEvent[] }[] {
  const bodies: { body: string; events: AnalyticsEvent[] }[] = [];
  let batch: AnalyticsEvent[] = [];
  let parts: string[] = [];
  let size = 0;
  const encoder = new TextEncoder();
  const close = () => {
    if (batch.length) bodies.push({ body: `{"events":[${parts.join(',')}]}`, events: batch });
    batch = [];
    parts = [];
    size = 0;
  };
  for (const event of events) {
    const json = JSON.stringify(event);
    const bytes = encoder.encode(json).length + 1;
    if (batch.length && size + bytes > MAX_BODY_BYTES - 16) close();
    batch.push(event);
    parts.push(json);
    size += bytes;
  }
  close();
  return bodies;
}

/** Forward exposures and conversions to `options.url`, batched, with nothing lost when the page closes. */
export function endpoint(options: EndpointOptions): Plugin<AnalyticsMethods> {
  if (!options || typeof options.url != 'string' || !options.url) throw new TypeError('endpoint() needs a url');
  const batchSize = Math.max(1, options.batchSize || 20);
  const interval = options.flushIntervalMs ?? 5_000;
  const maxQueued = options.maxQueued || 1_000;
  return forwarder('endpoint:' + options.url, options, (host) => {
    let queue: AnalyticsEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;

    const keep = (events: AnalyticsEvent[]) => {
      queue = events.concat(queue);
      if (queue.length > maxQueued) {
        host.log('Analytics (endpoint): too many unsent events; dropped the oldest', { dropped: queue.length - maxQueued });
        queue = queue.slice(queue.length - maxQueued);
      }
    };

    const post = (body: string) => {
      const doFetch = options.fetch || (typeof fetch == 'function' ? fetch : undefined);
      if (!doFetch) return Promise.reject(new Error('no fetch'));
      // no-cors: a collector on another origin needs no CORS headers (its answer is then opaque).
      return doFetch(options.url, { method: 'POST', body, headers: HEADERS, keepalive: true, mode: 'no-cors' });
    };

    function schedule(): void {
      if (timer || closed || !queue.length) return;
      timer = setTimeout(() => {
        timer = undefined;
        void flush(false);
      }, interval);
    }

    async function flush(leaving: boolean): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const events = queue;
      queue = [];
      const failed: AnalyticsEvent[] = [];
      await Promise.all(
        batchBodies(events).map(async ({ body, events: batch }) => {
          const navigator = pageNavigator();
          const beacon = leaving && !!navigator && typeof navigator.sendBeacon == 'function';
          try {
            if (beacon && navigator!.sendBeacon(options.url, body)) return;
            const response = await post(body);
            // Another origin's answer cannot be read: it arrived, which is all that can be known.
            if (response.type === 'opaque') return;
            // The collector refused the batch itself: resending the same events cannot help.
            if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
              host.log('Analytics (endpoint): batch refused', { status: response.status, events: batch.length });
            } else if (!response.ok) failed.push(...batch);
          } catch (error) {
            host.log('Analytics (endpoint): send failed; will retry', { error, events: batch.length });
            failed.push(...batch);
          }
        }),
      );
      if (failed.length) {
        keep(failed);
        schedule();
      }
    }

    return {
      send(event) {
        queue.push(event);
        if (queue.length >= batchSize) void flush(false);
        else schedule();
      },
      flush,
      close() {
        closed = true;
        if (timer) clearTimeout(timer);
        timer = undefined;
      },
    };
  });
}
