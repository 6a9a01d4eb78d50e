/**
 * Server-Sent Events over `fetch` and a `ReadableStream`, so one client works in browsers and in
 * Node (which has no `EventSource`), and can send headers (`Last-Event-ID`). The parser follows
 * the HTML standard's event-stream rules: `event`, `data` (lines joined by `\n`), `id`, `retry`,
 * comments, and any of `\r\n`, `\n`, `\r` as line ends, across chunk boundaries.
 *
 * A hostile or broken stream cannot grow memory without bound: a line or an event's data past
 * `maxBytes` ends the stream with an error.
 */

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
 * A push parser: feed it decoded text as it arrives. Throws when a line or an event's data
 * exceeds `maxChars`.
 */
export function createEventParser(handlers: StreamHandlers, lastEventId = '', maxChars = MAX_CHARS): (text: string) => void {
  let buffer = '';
  let type = '';
  let data = '';
  let hasData = false;
  /** A chunk that ended in `\r`: a `\n` starting the next chunk belongs to the same line end. */
  let skipLineFeed = false;

  const dispatch = () => {
    if (hasData) handlers.onEvent({ type: type || 'message', data, lastEventId });
    type = data = '';
    hasData = false;
  };

  const line = (text: string) => {
    if (!text) return dispatch();
    if (text[0] == ':') return; // a comment (servers send them as keep-alives)
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value[0] == ' ') value = value.slice(1);
    if (field == 'event') type = value;
    else if (field == 'data') {
      data = hasData ? data + '\n' + value : value;
      hasData = true;
      if (data.length > maxChars) throw new Error('event data too long');
    } else if (field == 'id') {
      if (value.indexOf('\0') < 0) lastEventId = value;
    } else if (field == 'retry') {
      if (/^\d+$/.test(value) && handlers.onRetry) handlers.onRetry(+value);
    }
  };

  return (text) => {
    if (skipLineFeed && text[0] == '\n') text = text.slice(1);
    skipLineFeed = false;
    buffer += text;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const char = buffer[i];
      if (char != '\n' && char != '\r') continue;
      line(buffer.slice(start, i));
      if (char == '\r') {
        if (i + 1 == buffer.length) skipLineFeed = true;
        else if (buffer[i + 1] == '\n') i++;
      }
      start = i + 1;
    }
    buffer = buffer.slice(start);
    if (buffer.length > maxChars) throw new Error('line too long');
  };
}

/** Why a stream could not be followed: `unavailable` when the server offers none at that URL. */
export class StreamError extends Error {
  override name = 'StreamError';
  constructor(
    message: string,
    /** `true` for answers that say there is no stream (a 4xx other than 408/429, or not `text/event-stream`). */
    readonly unavailable: boolean,
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
  /** Give up when no answer (headers) came within this many ms; default 10,000. */
  connectTimeoutMs?: number;
}

/**
 * Follow the event stream at `url` until it ends. Resolves when the server closes it (or
 * `signal` aborts it); rejects with a {@link StreamError} when the server answers something else
 * than an event stream, or with the network error.
 */
export async function openEventStream(url: string, options: OpenStreamOptions): Promise<void> {
  const { signal } = options;
  const abort = new AbortController();
  const forward = () => abort.abort();
  if (signal.aborted) return;
  signal.addEventListener('abort', forward);
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), abort.abort()), options.connectTimeoutMs ?? 10_000);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
  try {
    let response: Response;
    try {
      response = await (options.fetch || fetch)(url, { headers, cache: 'no-store', signal: abort.signal });
    } finally {
      clearTimeout(timer);
    }
    const type = response.headers.get('content-type') || '';
    if (!response.ok || !/^text\/event-stream/i.test(type) || !response.body) {
      void response.body?.cancel().catch(() => undefined);
      const transient = response.status >= 500 || response.status == 408 || response.status == 429;
      throw new StreamError(`HTTP ${response.status} ${type || 'without a content type'}`, !transient && response.status > 0);
    }
    options.onOpen?.();
    const parse = createEventParser(options, options.lastEventId);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parse(decoder.decode(value, { stream: true }));
      }
    } finally {
      void reader.cancel().catch(() => undefined);
    }
  } catch (error) {
    if (signal.aborted) return;
    throw timedOut ? new StreamError('no answer within the connect timeout', false) : error;
  } finally {
    signal.removeEventListener('abort', forward);
  }
}
