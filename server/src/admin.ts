/**
 * The admin API, served only by the admin listener (never the public one): read, update and
 * delete experiments. Optionally guarded by a bearer token; writes are always refused to other
 * origins (cross-site request forgery).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isServerBandit } from './bandit';
import { failed, jsonReply, readBody, type Reply } from './http-kit';
import { SixpackError, type SixpackModel } from './model';
import { pyFloat } from './pyjson';
import { experimentView } from './stats-view';
import type { ExperimentPatch } from './store';

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
export function checkAdminWrite(req: http.IncomingMessage): void {
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

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * A bearer-token check in constant time (both sides hashed first, so lengths do not leak).
 * Null when no token is configured: the admin listener's address is then its only protection.
 */
export function bearerCheck(token: string | undefined): ((req: http.IncomingMessage) => boolean) | null {
  if (token === undefined || token === '') return null;
  const expected = digest(token);
  return (req) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    return match !== null && timingSafeEqual(digest(match[1] as string), expected);
  };
}

/** 401 with the challenge a client needs to retry. */
export function unauthorized(): Reply {
  return { ...failed(401, 'admin token required', null), headers: { 'WWW-Authenticate': 'Bearer realm="splitflap-admin"' } };
}

async function recordView(model: SixpackModel, name: string) {
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
}

/** A validated patch from a JSON body: a 400 for anything but an object of known, well-typed fields. */
async function readPatch(req: http.IncomingMessage): Promise<ExperimentPatch> {
  let patch: unknown;
  try {
    patch = JSON.parse(await readBody(req));
  } catch (e) {
    if (e instanceof SixpackError) throw e;
    throw new SixpackError('body must be a JSON object');
  }
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new SixpackError('body must be a JSON object');
  for (const [key, value] of Object.entries(patch)) {
    const check = ADMIN_FIELDS.get(key);
    if (!check) throw new SixpackError(`unknown field: ${key}`);
    if (!check(value)) throw new SixpackError(`invalid value for ${key}`);
  }
  return patch as ExperimentPatch;
}

/** `/_admin/experiments/NAME`: GET the record, POST a patch, DELETE the experiment and its data. */
async function experimentRoute(model: SixpackModel, req: http.IncomingMessage, name: string, q: URLSearchParams): Promise<Reply> {
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return jsonReply(200, await recordView(model, name), q);
    case 'DELETE':
      checkAdminWrite(req);
      await model.deleteExperiment(name);
      return jsonReply(200, { status: 'ok' }, q);
    case 'POST': {
      checkAdminWrite(req);
      await model.updateExperiment(name, await readPatch(req));
      return jsonReply(200, await recordView(model, name), q);
    }
    default:
      return { ...failed(405, 'method not allowed', q), headers: { Allow: 'GET, POST, DELETE' } };
  }
}

/** A CSV field: quoted when it holds a separator, a quote or a line break. */
const csvField = (v: string | number) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

/** `NAME.csv`: per period and alternative, participants, conversions and rate (for `kpi`, `period`). */
async function csvExport(model: SixpackModel, name: string, q: URLSearchParams): Promise<Reply> {
  const view = await experimentView(model, name, { kpi: q.get('kpi'), period: q.get('period') });
  const rows: (string | number)[][] = [['period', 'alternative', 'participants', 'conversions', 'conversion_rate']];
  for (const alt of view.alternatives) {
    for (const point of alt.data) {
      const participants = Number(point.participants);
      const conversions = Number(point.conversions);
      rows.push([point.date, alt.name, participants, conversions, participants ? ((conversions / participants) * 100).toFixed(2) : '0.00']);
    }
    rows.push(['all', alt.name, alt.participant_count, alt.completed_count, Number(alt.conversion_rate).toFixed(2)]);
  }
  const file = `${name}${view.kpi ? `-${view.kpi}` : ''}-${view.period}.csv`.replace(/[^\w.-]/g, '_');
  return {
    status: 200,
    body: `${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`,
    contentType: 'text/csv; charset=utf-8',
    headers: { 'Content-Disposition': `attachment; filename="${file}"` },
  };
}

/** `POST /_admin/experiments/NAME/reset`: the counts start again (see `resetExperiment`). */
async function resetRoute(model: SixpackModel, req: http.IncomingMessage, name: string, q: URLSearchParams): Promise<Reply> {
  if (req.method !== 'POST') return { ...failed(405, 'method not allowed', q), headers: { Allow: 'POST' } };
  checkAdminWrite(req);
  await model.resetExperiment(name);
  return jsonReply(200, await recordView(model, name), q);
}

/** The admin routes; null when `path` is not one of them. */
export async function adminRoute(model: SixpackModel, req: http.IncomingMessage, path: string, q: URLSearchParams): Promise<Reply | null> {
  if (path === '/_admin/experiments') {
    return jsonReply(200, { status: 'ok', experiments: await model.store.listExperiments() }, q);
  }
  const csv = /^\/_admin\/experiments\/([^/]+)\.csv$/.exec(path);
  if (csv) return csvExport(model, csv[1] as string, q);
  const reset = /^\/_admin\/experiments\/([^/]+)\/reset$/.exec(path);
  if (reset) return resetRoute(model, req, reset[1] as string, q);
  const match = /^\/_admin\/experiments\/([^/]+)$/.exec(path);
  return match ? experimentRoute(model, req, match[1] as string, q) : null;
}
