/**
 * A small Sixpack-compatible HTTP server (routing, CORS, JSONP, errors). No dependencies
 * beyond node:http and node:crypto; the experiment logic is in model.ts, storage in store.ts.
 *
 * Contract: shared/specs/sixpack-protocol.md. Client-visible answers match the reference
 * byte for byte (same JSON spacing and key order, same messages); where the reference
 * answers an HTML 500, this server answers a JSON 400/404 with the CORS headers.
 * Deliberate differences are listed in README.md.
 */
import { adminRoute, bearerCheck, unauthorized } from './admin';
import { banditChoice, whiplashByDefault } from './bandit';
import { DASHBOARD_CSP, dashboardFile, isDashboardFile } from './dashboard';
import { failed, jsonReply, type Reply, splitUrl } from './http-kit';
import { createListener, type Listener, type RequestEvent, type Route } from './listener';
import { Metrics, routeLabel, type StoreGauges } from './metrics';
import { checkClientId, checkExperimentName, createModel, type ServerLimits, type SixpackModel } from './model';
import { checkDatetimeWindow, compileRobotRegex, isExcludedVisitor, parseDatetime, parseTrafficFraction, toBool } from './params';
import { experimentList, experimentView } from './stats-view';
import { memoryStore, type SixpackStore } from './store';

export type { Listener, RequestEvent } from './listener';
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
  /** The other CORS headers (Sixpack's `cors_*` settings); `origin` here overrides `corsOrigin`. */
  cors?: Partial<CorsSettings>;
  /** Sixpack's `enable_whiplash`: experiments without a bandit of their own run Whiplash. Default false. */
  enableWhiplash?: boolean;
  /** One line per request (`METHOD /path?query STATUS`) and internal errors. Default: silent. */
  log?: (line: string) => void;
  /** Every answered request, on either listener (structured logs); `log` still gets its line. */
  onRequest?: (event: RequestEvent) => void;
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

/** The CORS headers of the public API, as Sixpack's `cors_*` settings name them. */
export interface CorsSettings {
  /** `Access-Control-Allow-Origin`: `*`, an origin, or a pattern with `*` (echoed when it matches). Default `*`. */
  origin: string;
  /** `Access-Control-Allow-Headers`. Default `Origin, ...` (Sixpack's literal default). */
  headers: string;
  /** `Access-Control-Allow-Credentials`. Default `true`. */
  credentials: string;
  /** `Access-Control-Allow-Methods`. Default `GET`. */
  methods: string;
  /** `Access-Control-Expose-Headers`. Default `...`. */
  exposeHeaders: string;
}

const DEFAULT_CORS: CorsSettings = { origin: '*', headers: 'Origin, ...', credentials: 'true', methods: 'GET', exposeHeaders: '...' };

/**
 * The server: `listen` is the public API (participate, convert, read-only status and results;
 * it can change no configuration), `admin` the admin API on a listener of its own.
 */
export interface SixpackServer extends Listener {
  /** The admin API (`/_admin/…`, `/metrics`): start it with `admin.listen()`, on a private address. */
  admin: Listener;
  /** The experiment logic both listeners share. */
  model: SixpackModel;
  /** Request counters and latencies, as `/metrics` on the admin listener shows them. */
  metrics: Metrics;
  /** Closes both listeners at once. */
  close(): Promise<void>;
  /**
   * Graceful shutdown of both listeners: `/readyz` answers 503 from now on, no new connections are
   * accepted, in-flight requests finish (at most `graceMs`), keep-alive clients are told to close.
   */
  drain(graceMs: number): Promise<void>;
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

/** The reference's five CORS headers (by default literally its env defaults); an origin pattern with `*` must match whole. */
function corsHeadersFor(cors: CorsSettings): (origin: string | undefined) => Record<string, string> {
  const corsOrigin = cors.origin;
  // The reference's prefix match let `https://example.com.evil.net` through for `https://example.com`.
  const pattern =
    corsOrigin === '*' || !corsOrigin.includes('*')
      ? null
      : new RegExp('^' + corsOrigin.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return (origin) => ({
    'Access-Control-Allow-Origin': pattern ? (origin && pattern.test(origin) ? origin : 'null') : corsOrigin,
    'Access-Control-Allow-Headers': cors.headers,
    'Access-Control-Allow-Credentials': cors.credentials,
    'Access-Control-Allow-Methods': cors.methods,
    'Access-Control-Expose-Headers': cors.exposeHeaders,
    ...(pattern ? { Vary: 'Origin' } : {}),
  });
}

/** Shared by both listeners: health, and the read-only views of the experiments. */
interface ReadContext {
  model: SixpackModel;
  /** True once shutting down: readiness fails so that load balancers stop sending. */
  draining: () => boolean;
}

/**
 * Health: `/healthz` (liveness) answers 200 while the process can answer at all, whatever Redis
 * does (restarting the process would not bring Redis back); `/readyz` (readiness) pings the store
 * and answers 503 while it is unreachable or the server is shutting down.
 */
async function healthRoute({ model, draining }: ReadContext, path: string): Promise<Reply | null> {
  if (path === '/healthz') return jsonReply(200, { status: 'ok' }, null);
  if (path !== '/readyz') return null;
  if (draining()) return failed(503, 'shutting down', null);
  await model.store.ping?.();
  return jsonReply(200, { status: 'ok' }, null);
}

/** Routes both listeners serve: health, status and read-only views of the experiments. */
async function readRoute(ctx: ReadContext, path: string, q: URLSearchParams): Promise<Reply | null> {
  const { model } = ctx;
  if (path === '/_status') {
    await model.store.ping?.();
    return jsonReply(200, { status: 'ok', version: SIXPACK_VERSION }, q);
  }
  if (path === '/experiments.json') return jsonReply(200, await experimentList(model, { period: q.get('period') }), q);
  // Names contain no `/` or `.`, so `NAME.json` (sixpack-web's form) is unambiguous.
  const details = /^\/experiments\/([^/]+?)(\.json)?$/.exec(path);
  if (details) return jsonReply(200, await experimentView(model, details[1] as string, { kpi: q.get('kpi'), period: q.get('period') }), q);
  return healthRoute(ctx, path);
}

/** The `datetime` parameter's buckets, within the configured window; null when absent. */
function datetimeParam(q: URLSearchParams, now: () => Date, backfillDays: number) {
  const date = parseDatetime(q.get('datetime'));
  if (date) checkDatetimeWindow(date, now(), backfillDays);
  return date;
}

interface PublicContext extends ReadContext {
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
    return (await readRoute(ctx, path, q)) ?? failed(404, 'not found', q);
  };
}

/** The store's size for `/metrics`; null when it cannot be read (Redis down). */
async function storeGauges(store: SixpackStore): Promise<StoreGauges | null> {
  try {
    const experiments = (await store.listExperiments()).length;
    const usedMemoryBytes = await store.usedMemory?.();
    return { experiments, ...(usedMemoryBytes === undefined ? {} : { usedMemoryBytes }) };
  } catch {
    return null;
  }
}

/** The admin listener: the dashboard, the admin API, `/metrics`, and the read-only views. */
function adminListener(ctx: ReadContext, metrics: Metrics, options: SixpackServerOptions, onRequest: (e: RequestEvent) => void): Listener {
  const authorized = bearerCheck(options.adminToken);
  const route: Route = async (req, path, q) => {
    const file = dashboardFile(path, authorized !== null);
    if (file) return file;
    if (path === '/metrics') {
      return { status: 200, body: metrics.render(await storeGauges(ctx.model.store)), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
    }
    return (await adminRoute(ctx.model, req, path, q)) ?? (await readRoute(ctx, path, q)) ?? failed(404, 'not found', q);
  };
  return createListener({
    name: 'admin',
    route,
    // Same-origin only: no CORS headers, and never framed.
    headers: () => ({ 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY', 'Content-Security-Policy': DASHBOARD_CSP }),
    guard: (req) => (authorized && !isDashboardFile(splitUrl(req.url ?? '/').path) && !authorized(req) ? unauthorized() : null),
    log: options.log && ((line) => options.log?.(`admin: ${line}`)),
    onRequest,
  });
}

/** Counts every request in `metrics`, then passes it to the configured log and hook. */
function requestObserver(metrics: Metrics, options: SixpackServerOptions): (event: RequestEvent) => void {
  return (event) => {
    metrics.observe(event.listener, routeLabel(event.path), event.status, event.ms / 1000);
    if (event.storeUnavailable) metrics.storeError();
    const prefix = event.listener === 'admin' ? 'admin: ' : '';
    options.log?.(`${prefix}${event.method} ${event.url} ${event.status} ${Math.round(event.ms)}ms`);
    options.onRequest?.(event);
  };
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
    choose: options.enableWhiplash ? whiplashByDefault : banditChoice, // (#7) Sixpack's hash unless the experiment is a bandit
    limits: options.limits,
  });
  const robotRegex = compileRobotRegex(options.robotRegex);
  const ignoredIps = new Set(options.ignoredIps ?? []);
  const cors = corsHeadersFor({ ...DEFAULT_CORS, ...(options.corsOrigin ? { origin: options.corsOrigin } : {}), ...options.cors });
  const backfillDays = options.backfillDays ?? 0;
  let draining = false;
  const ctx: PublicContext = {
    model,
    draining: () => draining,
    isExcluded: (q) => isExcludedVisitor(q, robotRegex, ignoredIps),
    datetime: (q) => datetimeParam(q, now, backfillDays),
  };
  const metrics = new Metrics();
  const onRequest = requestObserver(metrics, options);
  const pub = createListener({ name: 'public', route: publicRoute(ctx), headers: cors, log: options.log, onRequest });
  const admin = adminListener(ctx, metrics, options, onRequest);
  return {
    ...pub,
    admin,
    model,
    metrics,
    close: async () => {
      await Promise.all([pub.close(), admin.close()]);
    },
    drain: async (graceMs) => {
      draining = true;
      await Promise.all([pub.drain(graceMs), admin.drain(graceMs)]);
    },
  };
}
