/**
 * HTTP plumbing shared by the public and the admin listener: replies, JSON(P), bodies, listening
 * and closing. No experiment logic here.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SixpackError } from './model';
import { pyDumps } from './pyjson';

/** What a route answers; the listener adds the common headers. */
export interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

/**
 * JSONP callbacks: a plain JavaScript identifier or a dotted path of them, nothing else. The
 * reference's `^\w[\w'\-.]*$` let `'` and `-` through, so `callback=self-'` turned the body into a
 * string literal followed by whatever the request echoed (a `client_id` of `';alert(1)//`):
 * runnable script from the server's own origin, which gets past `script-src 'self'`.
 */
const JSONP_CALLBACK_RE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;
const MAX_CALLBACK = 128;

/** Largest admin request body accepted. */
export const MAX_BODY = 64 * 1024;
/** Longest request URI answered; longer ones get a 414 before anything is parsed or written. */
export const MAX_URL = 8 * 1024;

/**
 * JSON as Sixpack's `json_success` / `json_error`, wrapped for JSONP when `callback` is valid.
 * The wrapped argument is JSON and nothing else: pyDumps escapes every non-ASCII character
 * (U+2028 and U+2029 included), and `<` is escaped too, so no `</script>` or `<!--` can appear.
 */
export function jsonReply(status: number, payload: unknown, query: URLSearchParams | null): Reply {
  const json = pyDumps(payload);
  const callback = query?.get('callback');
  if (callback && callback.length <= MAX_CALLBACK && JSONP_CALLBACK_RE.test(callback)) {
    const body = `${callback}(${json.replace(/[<\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)})`;
    return { status, body, contentType: 'application/javascript' };
  }
  return { status, body: json, contentType: 'application/json' };
}

/** `{"status": "failed", "message": ...}` with `status`. */
export const failed = (status: number, message: string, query: URLSearchParams | null): Reply =>
  jsonReply(status, { status: 'failed', message }, query);

/** The request body as UTF-8, refused with a 413 past {@link MAX_BODY}. */
export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new SixpackError('request body too large', 413));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Path (percent-decoded; null when undecodable) and query of a request URL, split by hand: `new URL('//x', base)` would read `x` as a host. */
export function splitUrl(url: string): { path: string | null; query: URLSearchParams } {
  const qAt = url.indexOf('?');
  const rawPath = qAt === -1 ? url : url.slice(0, qAt);
  let path: string | null;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    path = null;
  }
  return { path, query: new URLSearchParams(qAt === -1 ? '' : url.slice(qAt + 1)) };
}

/** Where a listener listens. */
export interface Listening {
  url: string;
  port: number;
}

/** Listens on `host:port` (port 0: a free one) and answers its URL. */
export function listenOn(server: http.Server, port: number, host: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actual = (server.address() as AddressInfo).port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({ url: `http://${shownHost}:${actual}`, port: actual });
    });
  });
}

/** Stops listening and ends open connections, keep-alive ones included. */
export function closeNow(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * Stops accepting connections, lets in-flight requests finish (idle keep-alive sockets are closed at
 * once, busy ones after their response), and after `graceMs` ends whatever is left.
 */
export function closeGracefully(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Requests Node's parser refuses (a request line or headers over its 16 KiB, bad syntax) still
 * get a JSON answer with `headers`: 414 when too large, else 400. The connection closes.
 */
export function answerClientErrors(server: http.Server, headers: () => Record<string, string>, log?: (line: string) => void): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = pyDumps({ status: 'failed', message: tooLarge ? 'request URI too long' : 'bad request' });
    const all = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'X-Content-Type-Options': 'nosniff',
      ...headers(),
      Connection: 'close',
    };
    const head = [`HTTP/1.1 ${tooLarge ? '414 URI Too Long' : '400 Bad Request'}`, ...Object.entries(all).map(([k, v]) => `${k}: ${v}`)];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    log?.(`refused a request: ${err.code ?? err.message}`);
  });
}
