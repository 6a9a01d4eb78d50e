/**
 * One HTTP listener (the public API or the admin API): size check, OPTIONS, an optional guard,
 * routing, errors turned into JSON, common headers, one event per request, graceful shutdown.
 */
import http from 'node:http';
import { answerClientErrors, closeGracefully, closeNow, failed, type Listening, listenOn, MAX_URL, type Reply, splitUrl } from './http-kit';
import { SixpackError } from './model';
import { StoreUnavailableError } from './store';

/** A route: answers a request whose path is already decoded. */
export type Route = (req: http.IncomingMessage, path: string, q: URLSearchParams) => Promise<Reply>;

/** One answered request, for logs and metrics. */
export interface RequestEvent {
  listener: 'public' | 'admin';
  method: string;
  /** The request URL as received (path and query). */
  url: string;
  /** Decoded path; null when it could not be decoded. */
  path: string | null;
  status: number;
  /** Milliseconds from the request to the end of the answer. */
  ms: number;
  /** The store (Redis) was unavailable: the request got a 503. */
  storeUnavailable: boolean;
}

/** A listener: the public API, or the admin API. */
export interface Listener {
  server: http.Server;
  /** Port 0 (the default) picks a free port; host defaults to 127.0.0.1. */
  listen(port?: number, host?: string): Promise<Listening>;
  /** Stops listening and ends open connections, keep-alive ones included. */
  close(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish (at most `graceMs`), then closes. */
  drain(graceMs: number): Promise<void>;
}

export interface ListenerOptions {
  name: RequestEvent['listener'];
  route: Route;
  /** Headers on every answer, given the request's `Origin` (CORS). */
  headers: (origin: string | undefined) => Record<string, string>;
  /** Checked before routing (OPTIONS included); a Reply refuses the request. */
  guard?: (req: http.IncomingMessage) => Reply | null;
  /** Internal errors and refused requests. */
  log?: (line: string) => void;
  onRequest?: (event: RequestEvent) => void;
}

/** A thrown error as the client sees it: its own 4xx, the reference's 503, or an opaque 500 (logged). */
function errorReply(err: unknown, query: URLSearchParams, log?: (line: string) => void): Reply {
  if (err instanceof SixpackError) return failed(err.status, err.message, query);
  // Never JSONP-wrapped, as in the reference; the message is the reference's.
  if (err instanceof StoreUnavailableError) return failed(503, 'redis is not available', null);
  log?.(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return failed(500, 'an internal error has occurred', query);
}

function routeOrOptions(req: http.IncomingMessage, path: string | null, query: URLSearchParams, route: Route): Promise<Reply> {
  if (req.method === 'OPTIONS') return Promise.resolve({ status: 200, body: '200 Ok', contentType: 'text/plain' });
  return path === null ? Promise.resolve(failed(404, 'not found', query)) : route(req, path, query);
}

/** Answers one request: size check, OPTIONS, guard, route, errors; then the common headers. */
async function answer(req: http.IncomingMessage, res: http.ServerResponse, options: ListenerOptions, draining: () => boolean): Promise<void> {
  const started = performance.now();
  const url = req.url ?? '/';
  const { path, query } = splitUrl(url);
  let reply: Reply;
  let storeUnavailable = false;
  try {
    // Only the query string is read, whatever the method (as the reference: a form body is ignored).
    if (url.length > MAX_URL) reply = failed(414, 'request URI too long', null);
    else reply = options.guard?.(req) ?? (await routeOrOptions(req, path, query, options.route));
  } catch (err) {
    storeUnavailable = err instanceof StoreUnavailableError;
    reply = errorReply(err, query, options.log);
  }
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    // A JSON answer is never run as a script, whatever page includes it.
    'X-Content-Type-Options': 'nosniff',
    ...options.headers(req.headers.origin),
    ...reply.headers,
    // While shutting down, keep-alive clients are told to reconnect (to another instance).
    ...(draining() ? { Connection: 'close' } : {}),
  });
  res.end(reply.body);
  const ms = performance.now() - started;
  options.onRequest?.({ listener: options.name, method: req.method ?? 'GET', url, path, status: reply.status, ms, storeUnavailable });
}

/** An http.Server answering through `options`, with JSON answers to requests Node refuses. */
export function createListener(options: ListenerOptions): Listener {
  let draining = false;
  const server = http.createServer((req, res) => {
    answer(req, res, options, () => draining).catch((err: unknown) => {
      // Only reachable if writing the response itself failed.
      options.log?.(`response failed: ${String(err)}`);
      res.destroy();
    });
  });
  answerClientErrors(server, () => options.headers(undefined), options.log);
  return {
    server,
    listen: (port = 0, host = '127.0.0.1') => listenOn(server, port, host),
    close: () => closeNow(server),
    drain: (graceMs) => {
      draining = true;
      return closeGracefully(server, graceMs);
    },
  };
}
