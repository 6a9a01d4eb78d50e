/**
 * A payload served live, the way a GrowthBook proxy serves one, for the demo site (site.ts):
 *
 * - `GET /api/features/<key>` (and any alias the site routes here): the payload, with an ETag
 *   (`If-None-Match` → 304) and `x-sse-support: enabled`;
 * - `GET /sub/<key>`: a Server-Sent Events stream (`retry:` first, a `features` event with the
 *   whole payload on every change, `id:` per event and `Last-Event-ID` replay of the latest one,
 *   a comment every 15 s to keep proxies from closing it);
 * - `POST /api/features/<key>/flip` with JSON `{ "feature": "free-shipping", "value": true }`: the
 *   demo's switch, giving that feature one value for everyone (and telling every stream). JSON
 *   only, so a cross-site form cannot flip it (browsers preflight JSON from other origins).
 */
import type http from 'node:http';
import { createHash } from 'node:crypto';

export interface LivePayload {
  /** Answers the request if it is one of this payload's routes; `false` otherwise. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Replace the payload and tell every stream. */
  set(payload: Record<string, unknown>): void;
  readonly payload: Record<string, unknown>;
  /** End every stream (before closing the server). */
  close(): void;
}

const MAX_BODY = 16 * 1024;

export function createLivePayload(key: string, initial: Record<string, unknown>, aliases: string[] = []): LivePayload {
  let payload = initial;
  let text = JSON.stringify(payload);
  let version = 1;
  const etag = () => `"${createHash('sha1').update(text).digest('hex').slice(0, 16)}"`;
  const streams = new Set<http.ServerResponse>();
  const event = () => `id: ${version}\nevent: features\ndata: ${text}\n\n`;
  const keepAlive = setInterval(() => streams.forEach((res) => res.write(': keep-alive\n\n')), 15_000);
  keepAlive.unref();

  const set = (next: Record<string, unknown>) => {
    payload = next;
    text = JSON.stringify(next);
    version++;
    streams.forEach((res) => res.write(event()));
  };

  function subscribe(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    // A client that missed the latest version gets it at once.
    const seen = Number(req.headers['last-event-id']);
    if (Number.isInteger(seen) && seen < version) res.write(event());
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  function flip(req: http.IncomingMessage, res: http.ServerResponse): void {
    const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return void answer(415, { error: 'send JSON' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) req.destroy();
    });
    req.on('end', () => {
      let change: { feature?: unknown; value?: unknown };
      try {
        change = JSON.parse(body);
      } catch {
        return answer(400, { error: 'not JSON' });
      }
      const features = (payload.features ?? {}) as Record<string, unknown>;
      const name = change && change.feature;
      if (typeof name != 'string' || !Object.prototype.hasOwnProperty.call(features, name) || !('value' in change)) {
        return answer(400, { error: 'name a feature of the payload and give a value' });
      }
      set({ ...payload, features: { ...features, [name]: { defaultValue: change.value } } });
      answer(200, { feature: name, value: change.value, version });
    });
  }

  const payloadPaths = new Set([`/api/features/${key}`, ...aliases]);
  return {
    get payload() {
      return payload;
    },
    set,
    handle(req, res) {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method == 'GET' && payloadPaths.has(pathname)) {
        const tag = etag();
        const headers = { etag: tag, 'x-sse-support': 'enabled', 'access-control-expose-headers': 'x-sse-support', 'cache-control': 'no-cache' };
        if (req.headers['if-none-match'] == tag) res.writeHead(304, headers).end();
        else res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(text);
      } else if (req.method == 'GET' && pathname == `/sub/${key}`) subscribe(req, res);
      else if (req.method == 'POST' && pathname == `/api/features/${key}/flip`) flip(req, res);
      else return false;
      return true;
    },
    close() {
      clearInterval(keepAlive);
      streams.forEach((res) => res.end());
      streams.clear();
    },
  };
}
