/**
 * Live payloads: follow a Server-Sent Events stream of payload changes, in GrowthBook's protocol
 * as its proxy serves it (`GET /sub/{clientKey}`; event `features` carries the whole payload,
 * `features-updated` asks for a refetch; `retry:` sets the reconnection delay; `Last-Event-ID`
 * replays what was missed).
 *
 * - While a stream is open nothing is polled. The first time one opens, the payload is revalidated
 *   (ETag) once; on a reconnection only when the stream was down `catchUpMs` or more (an update
 *   could have been missed), so a server that drops streams cannot turn each reconnect into a fetch.
 * - A stream that ends or fails is reopened after a backoff: the server's `retry:` (floored at
 *   `minRetryMs`, 1 s), doubling per failure up to `maxRetryMs` (a minute), jittered (×1 to ×1.5).
 *   The failure count starts over only after a stream stayed healthy (open, not ended by an error)
 *   for `healthyMs`: a stream that opens and closes at once still backs off. The payload is polled
 *   while no stream is open.
 * - A watchdog ends a stream that sent nothing, not even a comment, for `silenceMs`: it is then
 *   reconnected like a failed one, polling meanwhile.
 * - No stream offered (a 404, an answer that is not `text/event-stream`, or, when `available`
 *   says so, a payload without `x-sse-support: enabled`): the payload is polled, and one line says so.
 * - In browsers everything pauses while the tab is hidden (no open connection, no polling) and
 *   resumes, revalidating at once, when it is visible again.
 */
import type { Logger } from '../../types';
import { openEventStream, StreamError } from './sse';
import { pageDocument } from '../../internal/env';

/** How a followed stream is timed; every field optional (defaults in brackets). */
export interface StreamTimings {
  /** The least reconnection delay, whatever the server's `retry:` says [1,000 ms]. */
  minRetryMs?: number;
  /** The longest reconnection delay the backoff grows to [60,000 ms]. */
  maxRetryMs?: number;
  /** A stream open this long without an error counts as healthy: the backoff starts over [30,000 ms]. */
  healthyMs?: number;
  /** Revalidate the payload on reconnecting only when the stream was down at least this long [2,000 ms]. */
  catchUpMs?: number;
  /** End (and reconnect) a stream that sent nothing, not even a comment, this long [90,000 ms]. */
  silenceMs?: number;
  /** The longest wait for the stream's answer [10,000 ms]. */
  connectTimeoutMs?: number;
}

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
  /** Origins besides the stream URL's own that a redirect may lead to. */
  allowedOrigins?: readonly string[];
  timings?: StreamTimings;
}

export interface Live {
  destroy(): void;
}

/** The delay before reconnection attempt number `failures` (1, 2, …): `base` doubled per failure, jittered, capped. */
export const backoffDelay = (base: number, failures: number, max: number, random = Math.random): number =>
  Math.min(max, base * 2 ** Math.min(failures - 1, 30) * (1 + random() / 2));

/** Start following (`options.url`, else polling) now. */
export function followPayloadStream(options: LiveOptions): Live {
  const { log, refresh } = options;
  const t = options.timings || {};
  const minRetry = t.minRetryMs ?? 1000, maxRetry = t.maxRetryMs ?? 60_000, healthyMs = t.healthyMs ?? 30_000, catchUpMs = t.catchUpMs ?? 2000;
  const doc = pageDocument();
  let connection: AbortController | undefined;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let failures = 0;
  let retryMs = minRetry;
  let lastEventId = '';
  let dead = false;
  /** When the payload was last known to be the server's (a stream live until then, or a poll); unset: never. */
  let syncedAt: number | undefined;
  /** No stream at the URL: poll for good. */
  let unavailable = !options.url;
  let paused = !!doc && doc.visibilityState == 'hidden';

  const pollNow = () =>
    void refresh().then(() => {
      syncedAt = Date.now();
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
    let openedAt: number | undefined;
    openEventStream(options.url!, {
      fetch: options.fetch,
      lastEventId,
      signal: current.signal,
      allowedOrigins: options.allowedOrigins,
      silenceMs: t.silenceMs,
      connectTimeoutMs: t.connectTimeoutMs,
      onOpen() {
        openedAt = Date.now();
        stopPolling();
        if (syncedAt === undefined || openedAt - syncedAt >= catchUpMs) void refresh();
      },
      onRetry: (ms) => (retryMs = Math.min(Math.max(ms, minRetry), maxRetry)),
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
        if (openedAt !== undefined) syncedAt = Date.now();
        ended(error, openedAt);
      });
  }

  /** The connection ended (`error`: how it failed); `openedAt`: when it had opened, if it did. */
  function ended(error: unknown, openedAt: number | undefined): void {
    if (error instanceof StreamError && error.unavailable) {
      unavailable = true;
      log(`features: no stream at ${options.url} (${error.message}); polling every ${options.pollMs / 1000} s`);
      return startPolling();
    }
    if (!error && openedAt !== undefined && Date.now() - openedAt >= healthyMs) failures = 0;
    failures++;
    const delay = backoffDelay(retryMs, failures, maxRetry);
    if (error && (failures == 1 || (error instanceof StreamError && error.notable))) {
      log(`features: the stream ${options.url} failed (${error}); reconnecting in ${Math.round(delay / 100) / 10} s, polling meanwhile`);
    }
    startPolling();
    reconnect = setTimeout(() => {
      reconnect = undefined;
      connect();
    }, delay);
    (reconnect as { unref?: () => void }).unref?.();
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
    syncedAt = undefined;
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
