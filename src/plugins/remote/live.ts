/**
 * Live payloads: follow a Server-Sent Events stream of payload changes, in GrowthBook's protocol
 * as its proxy serves it (`GET /sub/{clientKey}`; event `features` carries the whole payload,
 * `features-updated` asks for a refetch; `retry:` sets the reconnection delay; `Last-Event-ID`
 * replays what was missed).
 *
 * - While a stream is open nothing is polled. Each time one opens, the payload is revalidated
 *   (ETag) once, so changes made while disconnected are never missed.
 * - A stream that ends or fails is reopened after a backoff: the server's `retry:` (default 1 s),
 *   doubling per failure up to a minute, jittered; the payload is polled in the meantime.
 * - No stream offered (a 404, an answer that is not `text/event-stream`, or, when `available`
 *   says so, a payload without `x-sse-support: enabled`): the payload is polled, and one line says so.
 * - In browsers everything pauses while the tab is hidden (no open connection, no polling) and
 *   resumes, revalidating at once, when it is visible again.
 */
import type { Logger } from '../../types';
import { openEventStream, StreamError } from './sse';
import { pageDocument } from '../../internal/env';

export interface LiveOptions {
  /** The stream; `undefined`: none can be followed (poll only). */
  url: string | undefined;
  fetch?: typeof fetch;
  log: Logger;
  /** Poll every this many ms while no stream is open. */
  pollMs: number;
  /** Revalidate the payload now (on open, on `features-updated`, when polling). */
  refresh(): Promise<unknown>;
  /** A `features` event: the new payload as JSON text. */
  accept(text: string): void;
  /** Asked before connecting: `false` means the server offers no stream (yet), so poll and ask again. */
  available?: () => boolean;
}

export interface Live {
  destroy(): void;
}

const MAX_DELAY_MS = 60_000;

/** Start following (`options.url`, else polling) now. */
export function followPayloadStream(options: LiveOptions): Live {
  const { log, refresh } = options;
  const doc = pageDocument();
  let connection: AbortController | undefined;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let failures = 0;
  let retryMs = 1000;
  let lastEventId = '';
  let dead = false;
  /** No stream at the URL: poll for good. */
  let unavailable = !options.url;
  let paused = !!doc && doc.visibilityState == 'hidden';

  const pollNow = () =>
    void refresh().then(() => {
      if (!connection && !reconnect) connect();
    });
  const startPolling = () => {
    if (poll || dead || paused) return;
    poll = setInterval(pollNow, options.pollMs);
    (poll as { unref?: () => void }).unref?.();
  };
  const stopPolling = () => {
    clearInterval(poll);
    poll = undefined;
  };

  function connect(): void {
    if (dead || paused || connection) return;
    if (unavailable || (options.available && !options.available())) return startPolling();
    const current = (connection = new AbortController());
    let opened = false;
    openEventStream(options.url!, {
      fetch: options.fetch,
      lastEventId,
      signal: current.signal,
      onOpen() {
        opened = true;
        failures = 0;
        stopPolling();
        void refresh();
      },
      onRetry: (ms) => (retryMs = Math.min(Math.max(ms, 50), MAX_DELAY_MS)),
      onEvent(event) {
        lastEventId = event.lastEventId;
        if (event.type == 'features') options.accept(event.data);
        else if (event.type == 'features-updated') void refresh();
      },
    })
      .then(
        () => undefined,
        (error: unknown) => error,
      )
      .then((error) => {
        // Paused or destroyed meanwhile: whoever aborted it decides what comes next.
        if (connection !== current) return;
        connection = undefined;
        if (error instanceof StreamError && error.unavailable) {
          unavailable = true;
          log(`features: no stream at ${options.url} (${error.message}); polling every ${options.pollMs / 1000} s`);
          return startPolling();
        }
        // A stream the server ended after it opened is reopened after `retry`, as EventSource does.
        failures = opened ? 1 : failures + 1;
        if (error && failures == 1) log(`features: the stream ${options.url} failed (${error}); reconnecting, polling meanwhile`);
        startPolling();
        const delay = Math.min(MAX_DELAY_MS, retryMs * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        reconnect = setTimeout(() => {
          reconnect = undefined;
          connect();
        }, delay);
        (reconnect as { unref?: () => void }).unref?.();
      });
  }

  /** Drop the connection and every timer; `connect()` starts again. */
  function stop(): void {
    const current = connection;
    connection = undefined;
    if (current) current.abort();
    clearTimeout(reconnect);
    reconnect = undefined;
    stopPolling();
  }

  const onVisibility = () => {
    const hidden = doc!.visibilityState == 'hidden';
    if (hidden == paused) return;
    paused = hidden;
    if (hidden) return stop();
    failures = 0;
    // Catch up on what changed while hidden (opening a stream revalidates too).
    if (unavailable || (options.available && !options.available())) pollNow();
    connect();
  };
  if (doc) doc.addEventListener('visibilitychange', onVisibility);
  connect();

  return {
    destroy() {
      dead = true;
      stop();
      if (doc) doc.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
