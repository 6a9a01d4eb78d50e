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
import type { AddressInfo } from 'node:net';
import { checkClientId, checkExperimentName, createModel, SixpackError, type SixpackModel } from './model';
import { compileRobotRegex, isExcludedVisitor, parseDatetime, parseTrafficFraction, toBool } from './params';
import { pyDumps, pyFloat } from './pyjson';
import { experimentList, experimentView } from './stats-view';
import { banditChoice, isServerBandit } from './bandit';
import { type ExperimentPatch, memoryStore, type SixpackStore, StoreUnavailableError } from './store';

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
}

export interface SixpackServer {
  server: http.Server;
  /** Port 0 (the default) picks a free port; host defaults to 127.0.0.1. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops listening and ends open connections, keep-alive ones included. */
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

/**
 * JSONP callbacks: a plain JavaScript identifier or a dotted path of them, nothing else. The
 * reference's `^\w[\w'\-.]*$` let `'` and `-` through, so `callback=self-'` turned the body into a
 * string literal followed by whatever the request echoed (a `client_id` of `';alert(1)//`):
 * runnable script from the server's own origin, which gets past `script-src 'self'`.
 */
const JSONP_CALLBACK_RE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;
const MAX_CALLBACK = 128;

/** Largest admin request body accepted. */
const MAX_BODY = 64 * 1024;
/** Longest request URI answered; longer ones get a 414 before anything is parsed or written. */
export const MAX_URL = 8 * 1024;

interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

/**
 * JSON as Sixpack's `json_success` / `json_error`, wrapped for JSONP when `callback` is valid.
 * The wrapped argument is JSON and nothing else: pyDumps escapes every non-ASCII character
 * (U+2028 and U+2029 included), and `<` is escaped too, so no `</script>` or `<!--` can appear.
 */
function jsonReply(status: number, payload: unknown, query: URLSearchParams | null): Reply {
  const json = pyDumps(payload);
  const callback = query?.get('callback');
  if (callback && callback.length <= MAX_CALLBACK && JSONP_CALLBACK_RE.test(callback)) {
    const body = `${callback}(${json.replace(/[<\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)})`;
    return { status, body, contentType: 'application/javascript' };
  }
  return { status, body: json, contentType: 'application/json' };
}

const failed = (status: number, message: string, query: URLSearchParams | null) =>
  jsonReply(status, { status: 'failed', message }, query);

const MAX_DESCRIPTION = 10_000;

/**
 * Admin body fields and their JSON types; anything else is a 400, so typos do not pass silently.
 * A Map, so that `__proto__`, `valueOf` or `hasOwnProperty` are unknown fields, not inherited checks.
 */
const ADMIN_FIELDS = new Map<string, (v: unknown) => boolean>([
  ['winner', (v) => v === null || typeof v === 'string'],
  ['description', (v) => v === null || (typeof v === 'string' && v.length <= MAX_DESCRIPTION)],
  ['archived', (v) => typeof v === 'boolean'],
  ['paused', (v) => typeof v === 'boolean'],
  ['enabled', (v) => typeof v === 'boolean'],
  ['bandit', isServerBandit], // (#7)
]);

/**
 * Cross-site request forgery guard for the admin endpoint's writes. A page on another origin can
 * POST without CORS (`mode: 'no-cors'`), but only with a `text/plain`, form or multipart body, and
 * the browser names its origin. So a write needs `Content-Type: application/json` (which forces a
 * CORS preflight, and the preflight allows no such header) and, when the browser sent `Origin`,
 * an origin whose host is this request's `Host`. Command-line tools send no `Origin`.
 */
function checkAdminWrite(req: http.IncomingMessage): void {
  const origin = req.headers.origin;
  let sameOrigin = origin === undefined;
  if (origin !== undefined) {
    try {
      sameOrigin = new URL(origin).host === req.headers.host;
    } catch {
      sameOrigin = false; // `Origin: null` (sandboxed frames, file:) or junk
    }
  }
  const site = req.headers['sec-fetch-site'];
  if (!sameOrigin || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
    throw new SixpackError('cross-origin admin requests are refused', 403);
  }
  if (req.method === 'POST') {
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/json') throw new SixpackError('admin bodies must be sent as Content-Type: application/json', 415);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
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

export function createSixpackServer(options: SixpackServerOptions = {}): SixpackServer {
  const model: SixpackModel = createModel({
    store: options.store ?? memoryStore(),
    random: options.random ?? Math.random,
    now: options.now ?? (() => new Date()),
    choose: banditChoice, // (#7) Sixpack's hash unless the experiment is a bandit
  });
  const robotRegex = compileRobotRegex(options.robotRegex);
  const ignoredIps = new Set(options.ignoredIps ?? []);
  const corsOrigin = options.corsOrigin ?? '*';
  // A wildcard pattern must match the whole origin (the reference's prefix match let
  // `https://example.com.evil.net` through for `https://example.com`).
  const corsPattern =
    corsOrigin === '*' || !corsOrigin.includes('*')
      ? null
      : new RegExp('^' + corsOrigin.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  const log = options.log;

  /** The reference's five CORS headers, literally its env defaults. */
  function corsHeaders(origin: string | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': corsPattern ? (origin && corsPattern.test(origin) ? origin : 'null') : corsOrigin,
      'Access-Control-Allow-Headers': 'Origin, ...',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET',
      'Access-Control-Expose-Headers': '...',
    };
    if (corsPattern) headers['Vary'] = 'Origin';
    return headers;
  }

  async function participate(q: URLSearchParams): Promise<Reply> {
    const experiment = q.get('experiment');
    const clientId = q.get('client_id');
    if (experiment === null || clientId === null) return failed(400, 'missing arguments', q);
    checkExperimentName(experiment);
    checkClientId(clientId);
    const trafficFraction = parseTrafficFraction(q.get('traffic_fraction'));
    const date = parseDatetime(q.get('datetime'));

    const alternative = isExcludedVisitor(q, robotRegex, ignoredIps)
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
    return jsonReply(
      200,
      { status: 'ok', alternative: { name: alternative }, experiment: { name: experiment }, client_id: clientId },
      q,
    );
  }

  async function convert(q: URLSearchParams): Promise<Reply> {
    // First of all, as in the reference: even without arguments or experiment.
    if (isExcludedVisitor(q, robotRegex, ignoredIps)) return jsonReply(200, { status: 'ok', excluded: 'true' }, q);
    const experiment = q.get('experiment');
    const clientId = q.get('client_id');
    if (experiment === null || clientId === null) return failed(400, 'missing arguments', q);
    checkExperimentName(experiment);
    checkClientId(clientId);
    const date = parseDatetime(q.get('datetime'));
    const kpi = q.get('kpi');
    const alternative = await model.convert({ experiment, clientId, kpi, date });
    return jsonReply(
      200,
      {
        status: 'ok',
        alternative: { name: alternative },
        experiment: { name: experiment },
        conversion: { value: null, kpi },
        client_id: clientId,
      },
      q,
    );
  }

  async function admin(req: http.IncomingMessage, name: string, q: URLSearchParams): Promise<Reply> {
    const recordView = async () => {
      const exp = await model.getExperiment(name);
      if (!exp) throw new SixpackError('experiment not found', 404);
      return {
        status: 'ok',
        experiment: {
          name: exp.name,
          alternatives: exp.alternatives,
          created_at: exp.createdAt,
          traffic_fraction: pyFloat(exp.trafficFraction),
          description: exp.description,
          winner: exp.winner,
          archived: exp.archived,
          paused: exp.paused,
          enabled: exp.enabled,
          ...(exp.bandit ? { bandit: exp.bandit } : {}),
        },
      };
    };
    switch (req.method) {
      case 'GET':
      case 'HEAD':
        return jsonReply(200, await recordView(), q);
      case 'DELETE':
        checkAdminWrite(req);
        await model.deleteExperiment(name);
        return jsonReply(200, { status: 'ok' }, q);
      case 'POST': {
        checkAdminWrite(req);
        let patch: unknown;
        try {
          patch = JSON.parse(await readBody(req));
        } catch (e) {
          if (e instanceof SixpackError) throw e;
          throw new SixpackError('body must be a JSON object');
        }
        if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
          throw new SixpackError('body must be a JSON object');
        }
        for (const [key, value] of Object.entries(patch)) {
          const check = ADMIN_FIELDS.get(key);
          if (!check) throw new SixpackError(`unknown field: ${key}`);
          if (!check(value)) throw new SixpackError(`invalid value for ${key}`);
        }
        await model.updateExperiment(name, patch as ExperimentPatch);
        return jsonReply(200, await recordView(), q);
      }
      default: {
        const reply = failed(405, 'method not allowed', q);
        return { ...reply, headers: { Allow: 'GET, POST, DELETE, OPTIONS' } };
      }
    }
  }

  async function route(req: http.IncomingMessage, path: string, q: URLSearchParams): Promise<Reply> {
    switch (path) {
      case '/':
        return { status: 200, body: HOME, contentType: 'text/plain; charset=utf-8' };
      case '/favicon.ico':
        return { status: 200, body: '', contentType: 'text/plain; charset=utf-8' };
      case '/_status':
        await model.store.ping?.();
        return jsonReply(200, { status: 'ok', version: SIXPACK_VERSION }, q);
      case '/participate':
        return participate(q);
      case '/convert':
        return convert(q);
      case '/experiments.json':
        return jsonReply(200, await experimentList(model, { period: q.get('period') }), q);
    }
    // Names contain no `/` or `.`, so `NAME.json` (sixpack-web's form) is unambiguous.
    const details = /^\/experiments\/([^/]+?)(\.json)?$/.exec(path);
    if (details) {
      const view = await experimentView(model, details[1] as string, { kpi: q.get('kpi'), period: q.get('period') });
      return jsonReply(200, view, q);
    }
    if (path === '/_admin/experiments') {
      return jsonReply(200, { status: 'ok', experiments: await model.store.listExperiments() }, q);
    }
    const adminPath = /^\/_admin\/experiments\/([^/]+)$/.exec(path);
    if (adminPath) return admin(req, adminPath[1] as string, q);
    return failed(404, 'not found', q);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const url = req.url ?? '/';
    // Split by hand: `new URL('//x', base)` would read `x` as a host.
    const qAt = url.indexOf('?');
    const rawPath = qAt === -1 ? url : url.slice(0, qAt);
    // Only the query string is read, whatever the method (as the reference: a form body is ignored).
    const query = new URLSearchParams(qAt === -1 ? '' : url.slice(qAt + 1));

    let reply: Reply;
    if (url.length > MAX_URL) {
      reply = failed(414, 'request URI too long', null);
    } else if (req.method === 'OPTIONS') {
      reply = { status: 200, body: '200 Ok', contentType: 'text/plain' };
    } else {
      try {
        let path: string | null;
        try {
          path = decodeURIComponent(rawPath);
        } catch {
          path = null;
        }
        reply = path === null ? failed(404, 'not found', query) : await route(req, path, query);
      } catch (err) {
        if (err instanceof SixpackError) {
          reply = failed(err.status, err.message, query);
        } else if (err instanceof StoreUnavailableError) {
          // Never JSONP-wrapped, as in the reference; the message is the reference's.
          reply = failed(503, 'redis is not available', null);
        } else {
          log?.(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          reply = failed(500, 'an internal error has occurred', query);
        }
      }
    }

    res.writeHead(reply.status, {
      'Content-Type': reply.contentType,
      'Content-Length': Buffer.byteLength(reply.body),
      // A JSON answer is never run as a script, whatever page includes it.
      'X-Content-Type-Options': 'nosniff',
      ...corsHeaders(req.headers.origin),
      ...reply.headers,
    });
    res.end(reply.body);
    log?.(`${req.method} ${url} ${reply.status} ${Date.now() - started}ms`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable if writing the response itself failed.
      log?.(`response failed: ${String(err)}`);
      res.destroy();
    });
  });

  // Requests Node's parser refuses (a request line or headers over its 16 KiB, bad syntax) still
  // get a JSON answer with the CORS headers: 414 when too large, else 400. The connection closes.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = pyDumps({ status: 'failed', message: tooLarge ? 'request URI too long' : 'bad request' });
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'X-Content-Type-Options': 'nosniff',
      ...corsHeaders(undefined),
      Connection: 'close',
    };
    const head = [`HTTP/1.1 ${tooLarge ? '414 URI Too Long' : '400 Bad Request'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    log?.(`refused a request: ${err.code ?? err.message}`);
  });

  return {
    server,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const actual = (server.address() as AddressInfo).port;
          const shownHost = host.includes(':') ? `[${host}]` : host;
          resolve({ url: `http://${shownHost}:${actual}`, port: actual });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((err) => (err ? reject(err) : resolve()));
        // close() waits for keep-alive sockets; end them now.
        server.closeAllConnections();
      });
    },
  };
}
