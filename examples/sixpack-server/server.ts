/**
 * A small Sixpack-compatible HTTP server (routing, CORS, JSONP, errors). No dependencies
 * beyond node:http and node:crypto; the experiment logic is in model.ts, storage in store.ts.
 *
 * Contract: shared/specs/sixpack-protocol.md. Client-visible answers match the reference
 * byte for byte (same JSON spacing and key order, same messages); where the reference
 * answers an HTML 500, this server answers a JSON 400/404 with the CORS headers.
 * Deliberate differences are listed in README.md.
 */
import http from 'node:http';
import { adminRoute, bearerCheck, unauthorized } from './admin';
import { banditChoice } from './bandit';
import { answerClientErrors, closeNow, failed, jsonReply, type Listening, listenOn, MAX_URL, type Reply, splitUrl } from './http-kit';
import { checkClientId, checkExperimentName, createModel, type ServerLimits, SixpackError, type SixpackModel } from './model';
import { checkDatetimeWindow, compileRobotRegex, isExcludedVisitor, parseDatetime, parseTrafficFraction, toBool } from './params';
import { experimentList, experimentView } from './stats-view';
import { memoryStore, type SixpackStore, StoreUnavailableError } from './store';

export { MAX_URL } from './http-kit';

export const SIXPACK_VERSION = '2.7.0';

export interface SixpackServerOptions {
  /** Default: a fresh {@link memoryStore}. */
  store?: SixpackStore;
  /** `ip_address` values treated like bots (exact string match). Default: none. */
  ignoredIps?: string[];
  /** Default: {@link DEFAULT_ROBOT_REGEX}. A string is compiled case-insensitively. */
  robotRegex?: RegExp | string;
  /** Uniform [0, 1) source for the traffic-fraction draw; inject one for deterministic tests. */
  random?: () => number;
  /** Clock for created_at and date buckets (UTC). */
  now?: () => Date;
  /** `*` (default), an exact origin, or a pattern with `*` wildcards that is echoed back when it matches. */
  corsOrigin?: string;
  /** One line per request (`METHOD /path?query STATUS`) and internal errors. Default: silent. */
  log?: (line: string) => void;
  /** Caps on experiments and on KPIs per experiment; see {@link ServerLimits}. */
  limits?: Partial<ServerLimits>;
  /**
   * How many days before today a `datetime` parameter may date a participation or conversion.
   * Default 0: no backfill (today, give or take a day for time zones); past it, a 400.
   */
  backfillDays?: number;
  /**
   * When set, every admin request needs `Authorization: Bearer <adminToken>` (else a 401).
   * The admin listener is separate from the public one whether or not a token is set.
   */
  adminToken?: string;
}

/** A listener: the public API, or the admin API. */
export interface Listener {
  server: http.Server;
  /** Port 0 (the default) picks a free port; host defaults to 127.0.0.1. */
  listen(port?: number, host?: string): Promise<Listening>;
  /** Stops listening and ends open connections, keep-alive ones included. */
  close(): Promise<void>;
}

/**
 * The server: `listen` is the public API (participate, convert, read-only status and results;
 * it can change no configuration), `admin` the admin API on a listener of its own.
 */
export interface SixpackServer extends Listener {
  /** The admin API (`/_admin/…`): start it with `admin.listen()`, on a private address. */
  admin: Listener;
  /** The experiment logic both listeners share. */
  model: SixpackModel;
  /** Closes both listeners. */
  close(): Promise<void>;
}

/** The reference's ASCII art for `/`. */
const HOME = `
                 ,-"-.__,-"-.__,-"-..
                ( C>  )( C>  )( C>  ))
               /.\`-_-'||\`-_-'||\`-_-'/
              /-"-.--,-"-.--,-"-.--/|
             ( C>  )( C>  )( C>  )/ |
            (|\`-_-',.\`-_-',.\`-_-'/  |
             \`-----++-----++----'|  |
             |     ||     ||     |-'
             |     ||     ||     |
             |     ||     ||     |
              \`-_-'  \`-_-'  \`-_-'
        https://github.com/seatgeek/sixpack`;

type Route = (req: http.IncomingMessage, path: string, q: URLSearchParams) => Promise<Reply>;

/** The reference's five CORS headers, literally its env defaults; an origin pattern with `*` must match whole. */
function corsHeadersFor(corsOrigin: string): (origin: string | undefined) => Record<string, string> {
  // The reference's prefix match let `https://example.com.evil.net` through for `https://example.com`.
  const pattern =
    corsOrigin === '*' || !corsOrigin.includes('*')
      ? null
      : new RegExp('^' + corsOrigin.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return (origin) => ({
    'Access-Control-Allow-Origin': pattern ? (origin && pattern.test(origin) ? origin : 'null') : corsOrigin,
    'Access-Control-Allow-Headers': 'Origin, ...',
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Methods': 'GET',
    'Access-Control-Expose-Headers': '...',
    ...(pattern ? { Vary: 'Origin' } : {}),
  });
}

/** A thrown error as the client sees it: its own 4xx, the reference's 503, or an opaque 500 (logged). */
function errorReply(err: unknown, query: URLSearchParams, log?: (line: string) => void): Reply {
  if (err instanceof SixpackError) return failed(err.status, err.message, query);
  // Never JSONP-wrapped, as in the reference; the message is the reference's.
  if (err instanceof StoreUnavailableError) return failed(503, 'redis is not available', null);
  log?.(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return failed(500, 'an internal error has occurred', query);
}

interface ListenerOptions {
  route: Route;
  /** Headers on every answer, given the request's `Origin` (CORS). */
  headers: (origin: string | undefined) => Record<string, string>;
  /** Checked before routing (OPTIONS included); a Reply refuses the request. */
  guard?: (req: http.IncomingMessage) => Reply | null;
  log?: (line: string) => void;
}

/** Answers one request: size check, OPTIONS, guard, route, errors; then the common headers. */
async function answer(req: http.IncomingMessage, res: http.ServerResponse, options: ListenerOptions): Promise<void> {
  const started = Date.now();
  const url = req.url ?? '/';
  const { path, query } = splitUrl(url);
  let reply: Reply;
  try {
    // Only the query string is read, whatever the method (as the reference: a form body is ignored).
    if (url.length > MAX_URL) reply = failed(414, 'request URI too long', null);
    else reply = options.guard?.(req) ?? (await routeOrOptions(req, path, query, options.route));
  } catch (err) {
    reply = errorReply(err, query, options.log);
  }
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    // A JSON answer is never run as a script, whatever page includes it.
    'X-Content-Type-Options': 'nosniff',
    ...options.headers(req.headers.origin),
    ...reply.headers,
  });
  res.end(reply.body);
  options.log?.(`${req.method} ${url} ${reply.status} ${Date.now() - started}ms`);
}

function routeOrOptions(req: http.IncomingMessage, path: string | null, query: URLSearchParams, route: Route): Promise<Reply> {
  if (req.method === 'OPTIONS') return Promise.resolve({ status: 200, body: '200 Ok', contentType: 'text/plain' });
  return path === null ? Promise.resolve(failed(404, 'not found', query)) : route(req, path, query);
}

/** An http.Server answering through `options`, with JSON answers to requests Node refuses. */
function createListener(options: ListenerOptions): Listener {
  const server = http.createServer((req, res) => {
    answer(req, res, options).catch((err: unknown) => {
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
  };
}

/** Routes both listeners serve: read-only views of the experiments. */
async function readRoute(model: SixpackModel, path: string, q: URLSearchParams): Promise<Reply | null> {
  if (path === '/_status') {
    await model.store.ping?.();
    return jsonReply(200, { status: 'ok', version: SIXPACK_VERSION }, q);
  }
  if (path === '/experiments.json') return jsonReply(200, await experimentList(model, { period: q.get('period') }), q);
  // Names contain no `/` or `.`, so `NAME.json` (sixpack-web's form) is unambiguous.
  const details = /^\/experiments\/([^/]+?)(\.json)?$/.exec(path);
  if (!details) return null;
  return jsonReply(200, await experimentView(model, details[1] as string, { kpi: q.get('kpi'), period: q.get('period') }), q);
}

/** The `datetime` parameter's buckets, within the configured window; null when absent. */
function datetimeParam(q: URLSearchParams, now: () => Date, backfillDays: number) {
  const date = parseDatetime(q.get('datetime'));
  if (date) checkDatetimeWindow(date, now(), backfillDays);
  return date;
}

interface PublicContext {
  model: SixpackModel;
  isExcluded: (q: URLSearchParams) => boolean;
  datetime: (q: URLSearchParams) => ReturnType<typeof parseDatetime>;
}

async function participate({ model, isExcluded, datetime }: PublicContext, q: URLSearchParams): Promise<Reply> {
  const experiment = q.get('experiment');
  const clientId = q.get('client_id');
  if (experiment === null || clientId === null) return failed(400, 'missing arguments', q);
  checkExperimentName(experiment);
  checkClientId(clientId);
  const trafficFraction = parseTrafficFraction(q.get('traffic_fraction'));
  const date = datetime(q);
  const alternative = isExcluded(q)
    ? await model.participateExcludedVisitor(experiment)
    : await model.participate({
        experiment,
        alternatives: q.getAll('alternatives'),
        clientId,
        force: q.get('force'),
        recordForce: toBool(q.get('record_force')),
        trafficFraction,
        prefetch: toBool(q.get('prefetch')),
        date,
      });
  return jsonReply(200, { status: 'ok', alternative: { name: alternative }, experiment: { name: experiment }, client_id: clientId }, q);
}

async function convert({ model, isExcluded, datetime }: PublicContext, q: URLSearchParams): Promise<Reply> {
  // First of all, as in the reference: even without arguments or experiment.
  if (isExcluded(q)) return jsonReply(200, { status: 'ok', excluded: 'true' }, q);
  const experiment = q.get('experiment');
  const clientId = q.get('client_id');
  if (experiment === null || clientId === null) return failed(400, 'missing arguments', q);
  checkExperimentName(experiment);
  checkClientId(clientId);
  const date = datetime(q);
  const kpi = q.get('kpi');
  const alternative = await model.convert({ experiment, clientId, kpi, date });
  const conversion = { value: null, kpi };
  return jsonReply(200, { status: 'ok', alternative: { name: alternative }, experiment: { name: experiment }, conversion, client_id: clientId }, q);
}

/** The public routes: nothing here changes an experiment's configuration (no `/_admin`). */
function publicRoute(ctx: PublicContext): Route {
  return async (_req, path, q) => {
    switch (path) {
      case '/':
        return { status: 200, body: HOME, contentType: 'text/plain; charset=utf-8' };
      case '/favicon.ico':
        return { status: 200, body: '', contentType: 'text/plain; charset=utf-8' };
      case '/participate':
        return participate(ctx, q);
      case '/convert':
        return convert(ctx, q);
    }
    return (await readRoute(ctx.model, path, q)) ?? failed(404, 'not found', q);
  };
}

/** The admin listener's routes: the admin API and the read-only views. */
function adminListener(model: SixpackModel, options: SixpackServerOptions): Listener {
  const authorized = bearerCheck(options.adminToken);
  return createListener({
    route: async (req, path, q) => (await adminRoute(model, req, path, q)) ?? (await readRoute(model, path, q)) ?? failed(404, 'not found', q),
    // Same-origin only: no CORS headers, and never framed.
    headers: () => ({ 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY' }),
    guard: (req) => (authorized && !authorized(req) ? unauthorized() : null),
    log: options.log && ((line) => options.log?.(`admin: ${line}`)),
  });
}

/**
 * The Sixpack-compatible server: a public listener (`listen`) and an admin listener
 * (`admin.listen`), sharing one model and store. Neither listens until asked.
 */
export function createSixpackServer(options: SixpackServerOptions = {}): SixpackServer {
  const now = options.now ?? (() => new Date());
  const model: SixpackModel = createModel({
    store: options.store ?? memoryStore(),
    random: options.random ?? Math.random,
    now,
    choose: banditChoice, // (#7) Sixpack's hash unless the experiment is a bandit
    limits: options.limits,
  });
  const robotRegex = compileRobotRegex(options.robotRegex);
  const ignoredIps = new Set(options.ignoredIps ?? []);
  const cors = corsHeadersFor(options.corsOrigin ?? '*');
  const backfillDays = options.backfillDays ?? 0;
  const ctx: PublicContext = {
    model,
    isExcluded: (q) => isExcludedVisitor(q, robotRegex, ignoredIps),
    datetime: (q) => datetimeParam(q, now, backfillDays),
  };
  const pub = createListener({ route: publicRoute(ctx), headers: cors, log: options.log });
  const admin = adminListener(model, options);
  return {
    ...pub,
    admin,
    model,
    close: async () => {
      await Promise.all([pub.close(), admin.close()]);
    },
  };
}
