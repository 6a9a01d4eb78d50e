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
  /** Each data line plus `\n`, as the standard keeps it: `""` means no data, so no event. */
  let data = '';

  const line = (text: string) => {
    if (!text) {
      if (data) handlers.onEvent({ type: type || 'message', data: data.slice(0, -1), lastEventId });
      type = data = '';
      return;
    }
    // `field: value` (one space dropped), `field` alone, or `: comment` (field "", ignored).
    const [, field, , value] = /^([^:]*)(:? ?)(.*)$/s.exec(text)!;
    if (field == 'event') type = value!;
    else if (field == 'data') data += value + '\n';
    else if (field == 'id' && value!.indexOf('\0') < 0) lastEventId = value!;
    else if (field == 'retry' && /^\d+$/.test(value!) && handlers.onRetry) handlers.onRetry(+value!);
    if (data.length > maxChars) throw new Error('event data too long');
  };

  return (text) => {
    buffer += text;
    // A CR at the very end may be half of a CR LF: it waits for the next chunk.
    const end = buffer[buffer.length - 1] == '\r' ? buffer.length - 1 : buffer.length;
    const lines = buffer.slice(0, end).split(/\r\n?|\n/);
    buffer = lines.pop()! + buffer.slice(end);
    lines.forEach(line);
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
}

/** The longest wait for the stream's answer (its headers). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Follow the event stream at `url` until it ends. Resolves when the server closes it (or
 * `signal` aborts it); rejects with a {@link StreamError} when the server answers something else
 * than an event stream or nothing in time, or with the network error.
 */
export async function openEventStream(url: string, options: OpenStreamOptions): Promise<void> {
  const { signal } = options;
  const abort = new AbortController();
  const forward = () => abort.abort();
  signal.addEventListener('abort', forward);
  const timer = setTimeout(forward, CONNECT_TIMEOUT_MS);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
  try {
    if (signal.aborted) return;
    const response = await (options.fetch || fetch)(url, { headers, cache: 'no-store', signal: abort.signal }).finally(() => clearTimeout(timer));
    const type = response.headers.get('content-type') || '';
    const body = response.body;
    if (!response.ok || !/^text\/event-stream/i.test(type) || !body) {
      void (body && body.cancel().catch(() => undefined));
      const status = response.status;
      throw new StreamError(`HTTP ${status} ${type}`, status < 500 && status != 408 && status != 429);
    }
    if (options.onOpen) options.onOpen();
    const parse = createEventParser(options, options.lastEventId);
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) parse(decoder.decode(chunk.value, { stream: true }));
    } finally {
      void reader.cancel().catch(() => undefined);
    }
  } catch (error) {
    if (signal.aborted) return;
    throw abort.signal.aborted ? new StreamError('no answer in time', false) : error;
  } finally {
    signal.removeEventListener('abort', forward);
  }
}
