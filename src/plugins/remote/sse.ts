/**
 * Server-Sent Events over `fetch` and a `ReadableStream`, so one client works in browsers and in
 * Node (which has no `EventSource`), and can send headers (`Last-Event-ID`). The parser follows
 * the HTML standard's event-stream rules: `event`, `data` (lines joined by `\n`), `id`, `retry`,
 * comments, and any of `\r\n`, `\n`, `\r` as line ends, across chunk boundaries.
 *
 * A hostile or broken stream cannot grow memory without bound: a line or an event's data past
 * `maxChars` ends the stream with an error, and it cannot hold a connection that says nothing: a
 * watchdog ends a stream silent for `silenceMs`.
 */
import { guardedFetch } from '../../internal/fetch';

/** One dispatched event. `type` is `message` when the stream named none. */
export interface StreamEvent {
  type: string;
  data: string;
  /** The last event id the stream set (sent back as `Last-Event-ID` on reconnection). */
  lastEventId: string;
}

/** What the parser reports besides events. */
export interface StreamHandlers {
  onEvent(event: StreamEvent): void;
  /** The server's `retry:` (reconnection delay, ms). */
  onRetry?(ms: number): void;
}

/** Longest line, or event data, accepted: 4 MiB of characters (payloads are far smaller). */
const MAX_CHARS = 4 * 1024 * 1024;

/**
 * A push parser: feed it decoded text as it arrives. Linear in its input: each chunk is scanned
 * once for line ends (the next `\n` and `\r` are looked up once each, not per line), and a line
 * split over chunks is kept as a list of its pieces, joined once when it ends, so a 5 MiB line fed
 * in 16 KiB chunks costs what one pass over it costs. Throws a {@link StreamError} as soon as a
 * line, or an event's data, passes `maxChars`: memory stays bounded by the limit.
 */
export function createEventParser(handlers: StreamHandlers, lastEventId = '', maxChars = MAX_CHARS): (text: string) => void {
  /** The pieces of the line not ended yet, and their total length. */
  let pending: string[] = [];
  let pendingLength = 0;
  /** The last chunk ended with `\r`: a `\n` starting the next one belongs to it. */
  let afterCR = false;
  let type = '';
  /** Each data line plus `\n`, as the standard keeps it: `""` means no data, so no event. */
  let data = '';
  const tooLong = (what: string) => new StreamError(`${what} too long (over ${maxChars} characters)`, false, true);

  const line = (text: string) => {
    if (!text) {
      if (data) handlers.onEvent({ type: type || 'message', data: data.slice(0, -1), lastEventId });
      type = data = '';
      return;
    }
    // `field: value` (one space dropped), `field` alone, or `: comment` (field "", ignored).
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(text[colon + 1] == ' ' ? colon + 2 : colon + 1);
    if (field == 'event') type = value;
    else if (field == 'data') data += value + '\n';
    else if (field == 'id' && value.indexOf('\0') < 0) lastEventId = value;
    else if (field == 'retry' && /^\d+$/.test(value) && handlers.onRetry) handlers.onRetry(+value);
    if (data.length > maxChars) throw tooLong('event data');
  };

  return (text) => {
    let start = afterCR && text[0] == '\n' ? 1 : 0;
    if (text) afterCR = false;
    // Positions of the next LF and CR at or after `start` (-1: none left in this chunk).
    let lf = -2;
    let cr = -2;
    for (;;) {
      if (lf != -1 && lf < start) lf = text.indexOf('\n', start);
      if (cr != -1 && cr < start) cr = text.indexOf('\r', start);
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) break;
      if (pendingLength + end - start > maxChars) throw tooLong('line');
      const piece = text.slice(start, end);
      const whole = pending.length ? (pending.push(piece), pending.join('')) : piece;
      pending = [];
      pendingLength = 0;
      start = end + 1;
      if (end == cr) {
        if (end + 1 == text.length) afterCR = true;
        else if (text[end + 1] == '\n') start++;
      }
      line(whole);
    }
    if (start < text.length) {
      pendingLength += text.length - start;
      if (pendingLength > maxChars) throw tooLong('line');
      pending.push(start ? text.slice(start) : text);
    }
  };
}

/** Why a stream could not be followed: `unavailable` when the server offers none at that URL. */
export class StreamError extends Error {
  override name = 'StreamError';
  constructor(
    message: string,
    /** `true` for answers that say there is no stream (a 4xx other than 408/429, or not `text/event-stream`). */
    readonly unavailable: boolean,
    /** `true` for what the stream itself did wrong once open (silent too long, a line too long): worth a line each time. */
    readonly notable = false,
  ) {
    super(message);
  }
}

export interface OpenStreamOptions extends StreamHandlers {
  fetch?: typeof fetch;
  /** Sent as `Last-Event-ID`, so a server that keeps history replays what was missed. */
  lastEventId?: string;
  /** Called once the server answered with an event stream. */
  onOpen?(): void;
  /** Aborts the request (and ends the stream) when it fires. */
  signal: AbortSignal;
  /** Origins besides the stream URL's own that a redirect may lead to (see `guardedFetch`). */
  allowedOrigins?: readonly string[];
  /** The longest wait for the stream's answer (its headers); default 10 s. */
  connectTimeoutMs?: number;
  /** The watchdog: an open stream that sends nothing (not even a comment) this long is ended with an error; default 90 s. */
  silenceMs?: number;
  /** Longest line or event data, in characters; default 4 MiB. */
  maxChars?: number;
}

/**
 * Follow the event stream at `url` until it ends. Resolves when the server closes it (or
 * `signal` aborts it); rejects with a {@link StreamError} when the server answers something else
 * than an event stream, nothing in time, nothing for `silenceMs` once open, or a line past the
 * limit; or with the network error (a refused redirect included).
 */
export async function openEventStream(url: string, options: OpenStreamOptions): Promise<void> {
  const { signal } = options;
  const abort = new AbortController();
  let why = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** (Re)arm the one timer: the connect timeout, then the silence watchdog. */
  const arm = (ms: number, reason: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => ((why = reason), abort.abort()), ms);
  };
  const forward = () => abort.abort();
  signal.addEventListener('abort', forward);
  const connectMs = options.connectTimeoutMs ?? 10_000;
  const silenceMs = options.silenceMs ?? 90_000;
  const silent = `no data for ${silenceMs} ms`;
  arm(connectMs, `no answer within ${connectMs} ms`);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
  try {
    if (signal.aborted) return;
    const response = await guardedFetch(url, { headers, cache: 'no-store', signal: abort.signal }, options.allowedOrigins, options.fetch);
    const type = response.headers.get('content-type') || '';
    const body = response.body;
    if (!response.ok || !/^text\/event-stream/i.test(type) || !body) {
      void (body && body.cancel().catch(() => undefined));
      const status = response.status;
      throw new StreamError(`HTTP ${status} ${type}`, status < 500 && status != 408 && status != 429);
    }
    arm(silenceMs, silent);
    if (options.onOpen) options.onOpen();
    const parse = createEventParser(options, options.lastEventId, options.maxChars);
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        arm(silenceMs, silent);
        parse(decoder.decode(chunk.value, { stream: true }));
      }
    } finally {
      void reader.cancel().catch(() => undefined);
    }
  } catch (error) {
    if (signal.aborted) return;
    throw why ? new StreamError(why, false, why == silent) : error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', forward);
  }
}
