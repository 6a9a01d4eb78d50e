/**
 * Sixpack mode: `participate` / `convert` against a Sixpack-compatible server, framework-free and
 * isomorphic. Contract: shared/specs/sixpack-protocol.md; client rules from Sixpack's CLIENTSPEC.
 *
 * Decisions:
 * - Bad names, fewer than 2 alternatives and a traffic fraction outside (0, 1] are programmer
 *   errors: the call REJECTS with a `SixpackError` before any request, naming the bad value.
 * - Everything that goes wrong at run time (HTTP errors, timeout, connection failure, a body that is
 *   not Sixpack's JSON) RESOLVES: `participate` with the control (`alternatives[0]`),
 *   `source: 'fallback'` and `error`; `convert` with `{ status, error }`. Nothing rejects then.
 * - `convert` persists the request in the queue first, then makes one attempt (queued requests
 *   before it go first, in order) and resolves with `sent` (2xx), `rejected` (final: a 4xx other
 *   than 408/429, e.g. "this client was not participating", or a 2xx body that is not Sixpack's
 *   JSON) or `queued` (network, timeout, 5xx, 408, 429: retried later with backoff, see queue.ts).
 * - A participation that fails for a retryable reason is queued too (once, and not a prefetch), so
 *   the server still counts it and a later conversion is credited; the page shows the control.
 * - Stickiness: answers are remembered in `stickyStore` in a doc of their own
 *   (`sixpack_client_id` || clientId, key `sixpack:<experiment>__0`), never shared with the local
 *   evaluator's doc, so neither can overwrite the other. Answers to a `force` option are not
 *   remembered (they are not the visitor's assignment), and a remembered answer is not used then.
 * - Nothing touches `window`, `document` or storage until the first call; the first call also
 *   starts the queue (browser listeners, and delivery of what an earlier page left).
 * - `?sixpack-force-EXP=ALT` is read from `options.url`, else `location.href`; on by default
 *   wherever there is such a URL. `user_agent` defaults to `navigator.userAgent` in browsers, as
 *   sixpack-js does, so bots that run scripts are not counted.
 */
import { fetchText, FetchTimeoutError, type FetchedText } from '../../internal/fetch';
import { stickyExperimentKey } from '../../sticky';
import type { Logger, StickyBucketStore } from '../../types';
import { createOutbox } from './outbox';
import { DEFAULT_QUEUE_LIMIT, type Delivery, indexedDbQueue, memoryQueue, type RequestQueue } from './queue';
import { browserUserAgent, indexedDb, pageURL } from '../../internal/env';

export interface SixpackOptions {
  /** The server, e.g. `https://ab.example.com` or `https://example.com/sixpack/`. */
  baseUrl: string;
  /** Per request; default 1,000 ms (CLIENTSPEC: short timeouts). */
  timeoutMs?: number;
  /** Forwarded as `user_agent` (bots get the control, unrecorded); default `navigator.userAgent` in browsers. */
  userAgent?: string;
  /** Forwarded as `ip_address`. */
  ip?: string;
  /** Honour `?sixpack-force-EXP=ALT`; default true (through the `sixpack()` plugin: the client's `allowUrlOverrides`). */
  allowUrlForce?: boolean;
  /** The page URL for URL forcing (or a function giving the current one); default `location.href`. */
  url?: string | (() => string | undefined);
  fetch?: typeof fetch;
  /** Default: `indexedDbQueue()` where IndexedDB exists, else `memoryQueue()`. */
  queue?: RequestQueue;
  /** The most requests kept for delivery while the server is unreachable; beyond it the oldest are dropped, with a log line. Default 1,000. */
  maxQueued?: number;
  log?: Logger;
  /** Remembers the server's answers so a reload renders them at once. */
  stickyStore?: StickyBucketStore;
}

export interface ParticipateOptions {
  trafficFraction?: number;
  /** Sent as `force`: the server returns it if it is one of the alternatives. */
  force?: string;
  /** Sent as `record_force=true`: the forced alternative is counted. */
  recordForce?: boolean;
  /** Sent as `prefetch=true`: the assignment is returned but not counted. */
  prefetch?: boolean;
}

export interface ParticipateResult {
  alternative: string;
  experiment: string;
  clientId: string;
  /** `disabled`: experiments are off for this client (`enabled: false`, QA mode, a bot); nothing was sent. */
  source: 'server' | 'force' | 'sticky' | 'fallback' | 'disabled';
  error?: SixpackError;
}

export interface ConvertResult extends Delivery {
  error?: SixpackError;
}

export type SixpackErrorCode =
  | 'invalid-name'
  | 'invalid-alternatives'
  | 'invalid-kpi'
  | 'invalid-traffic-fraction'
  | 'timeout'
  | 'network'
  | 'http'
  | 'bad-response'
  | 'disabled';

export class SixpackError extends Error {
  override name = 'SixpackError';
  constructor(
    readonly code: SixpackErrorCode,
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface SixpackClient {
  participate(experiment: string, alternatives: string[], options?: ParticipateOptions): Promise<ParticipateResult>;
  convert(experiment: string, options?: { kpi?: string }): Promise<ConvertResult>;
  /** Sends every queued request now. */
  flush(): Promise<void>;
  /** Stops retries and removes listeners. */
  destroy(): void;
}

/** What a Sixpack server answers (only the fields read here). */
interface SixpackBody {
  status?: string;
  message?: string;
  alternative?: { name?: string };
}

/** CLIENTSPEC's experiment rule (spaces allowed); the server's rule for alternatives and KPIs. */
const EXPERIMENT_RE = /^[a-z0-9][a-z0-9\-_ ]*$/i;
const NAME_RE = /^[a-z0-9][a-z0-9\-_]*$/i;
/**
 * Sixpack answers live in a sticky doc of their own, `sixpack_client_id||<id>`, key
 * `sixpack:<experiment>__0`, so writes never race the local evaluator's doc for the same visitor.
 */
export const STICKY_ATTRIBUTE = 'sixpack_client_id';
export const stickyKey = (experiment: string): string => stickyExperimentKey('sixpack:' + experiment);

function check(re: RegExp, value: unknown, code: SixpackErrorCode, what: string): void {
  if (typeof value != 'string' || !re.test(value)) throw new SixpackError(code, `invalid ${what} ${JSON.stringify(value)}`);
}

/** 4xx answers are final (except timeout / rate limit); no status means it never got an answer. */
const retryable = (e: SixpackError) => !(e.status! < 500) || e.status == 408 || e.status == 429;

/** Throws a {@link SixpackError} for invalid names, fewer than 2 alternatives or a traffic fraction outside (0, 1]. */
export function validateParticipation(experiment: unknown, alternatives: unknown, trafficFraction?: number): void {
  check(EXPERIMENT_RE, experiment, 'invalid-name', 'experiment name');
  if (!Array.isArray(alternatives) || alternatives.length < 2) {
    throw new SixpackError('invalid-alternatives', 'need 2 alternatives or more, got ' + JSON.stringify(alternatives));
  }
  for (const a of alternatives) check(NAME_RE, a, 'invalid-alternatives', 'alternative name');
  if (trafficFraction !== undefined && !(trafficFraction > 0 && trafficFraction <= 1)) {
    throw new SixpackError('invalid-traffic-fraction', `invalid traffic fraction ${trafficFraction}, not in (0, 1]`);
  }
}

export function createSixpackClient(clientId: string, options: SixpackOptions): SixpackClient {
  const { timeoutMs = 1000, log, stickyStore } = options;
  const base = options.baseUrl.replace(/\/*$/, '/');
  const inflight = new Map<string, Promise<{ alternative?: string; error?: SixpackError }>>();
  let stickyWrites: Promise<void> = Promise.resolve();

  /** `path?query` in the order the reference documents; unset values are left out. */
  function path(endpoint: string, params: Record<string, unknown>): string {
    const q = new URLSearchParams();
    params.user_agent = options.userAgent ?? browserUserAgent() ?? null;
    params.ip_address = options.ip;
    for (const k in params) for (const v of [params[k]].flat()) if (v != null && v !== false) q.append(k, String(v));
    return endpoint + '?' + q;
  }

  /** GET with CORS and no cookies; resolves with Sixpack's JSON or throws a SixpackError. */
  async function request(path: string): Promise<SixpackBody> {
    let res: FetchedText;
    try {
      // keepalive: a request made just before the page navigates away (a click that converts) still goes out.
      res = await fetchText(base + path, { mode: 'cors', credentials: 'omit', keepalive: true }, timeoutMs, options.fetch);
    } catch (e) {
      throw e instanceof FetchTimeoutError ? new SixpackError('timeout', e.message) : new SixpackError('network', String((e as Error).cause || e));
    }
    let body: SixpackBody | undefined;
    try {
      body = JSON.parse(res.text);
    } catch {}
    if (!res.ok) throw new SixpackError('http', `HTTP ${res.status}${body?.message ? ': ' + body.message : ''}`, res.status);
    if (body?.status != 'ok') throw new SixpackError('bad-response', 'not Sixpack JSON', res.status);
    return body;
  }

  const deliver = (path: string): Promise<Delivery> =>
    request(path).then(
      () => ({ status: 'sent' }),
      (error: SixpackError) => ({ status: retryable(error) ? 'queued' : 'rejected', error }),
    );

  let limit = options.maxQueued ?? DEFAULT_QUEUE_LIMIT;
  if (!(Number.isInteger(limit) && limit >= 1)) {
    log?.('Sixpack: maxQueued must be a positive integer; using ' + DEFAULT_QUEUE_LIMIT, { maxQueued: limit });
    limit = DEFAULT_QUEUE_LIMIT;
  }
  const outbox = createOutbox(options.queue || (indexedDb() ? indexedDbQueue({ log }) : memoryQueue()), deliver, log, limit);
  /** Participations in flight by experiment: a conversion of the experiment is sent after its participation. */
  const participating = new Map<string, Promise<unknown>>();

  /** The remembered assignments; a store that fails or holds junk just means no memory. */
  const recall = (): Promise<Record<string, unknown>> =>
    Promise.resolve()
      .then(() => stickyStore?.getAssignments(STICKY_ATTRIBUTE, clientId))
      .then(
        (doc) => Object(doc?.assignments),
        (error) => (log?.('Sixpack: sticky store failed', { error }), {}),
      );

  /** Read-merge-write, one at a time, so concurrent experiments never overwrite each other. */
  const remember = (experiment: string, alternative: string): Promise<void> =>
    (stickyWrites = stickyWrites.then(async () => {
      const assignments = await recall();
      if (assignments[stickyKey(experiment)] != alternative) {
        await stickyStore!.saveAssignments({
          attributeName: STICKY_ATTRIBUTE,
          attributeValue: clientId,
          assignments: { ...assignments, [stickyKey(experiment)]: alternative } as Record<string, string>,
        });
      }
    }).catch((error) => log?.('Sixpack: sticky store failed', { error })));

  return {
    async participate(experiment, alternatives, o = {}) {
      validateParticipation(experiment, alternatives, o.trafficFraction);
      const tf = o.trafficFraction;
      outbox.start();
      const result = (alternative: string, source: ParticipateResult['source'], error?: SixpackError): ParticipateResult =>
        ({ alternative, experiment, clientId, source, error });

      // URL forcing is for QA: shown, never sent.
      const given = typeof options.url == 'function' ? options.url() : options.url;
      const page = given ?? pageURL() ?? '';
      const forced = options.allowUrlForce !== false && new URLSearchParams(page.split('#')[0]!.split('?')[1]).get('sixpack-force-' + experiment);
      if (forced && alternatives.includes(forced)) return result(forced, 'force');

      const url = path('participate', {
        experiment,
        alternatives,
        client_id: clientId,
        traffic_fraction: tf,
        force: o.force,
        record_force: o.recordForce,
        prefetch: o.prefetch,
      });
      // Identical concurrent calls share one request. It never rejects.
      let answer = inflight.get(url);
      if (!answer) {
        // Journaled while in flight (not a prefetch, which is never counted): a page that goes away
        // before the answer leaves it for the next page, ahead of any conversion made meanwhile.
        const noted = o.prefetch ? undefined : outbox.note(url);
        inflight.set(
          url,
          (answer = request(url)
            .then(
              (body) => {
                outbox.forget(noted);
                const alternative = body.alternative?.name;
                if (!alternative || !alternatives.includes(alternative)) throw new SixpackError('bad-response', 'unknown alternative ' + alternative, 200);
                return alternative;
              },
              (error: SixpackError) => {
                if (retryable(error) && !o.prefetch) void outbox.retryLater(url, noted);
                else outbox.forget(noted);
                throw error;
              },
            )
            .then(async (alternative) => {
              // A forced answer is not the visitor's own assignment: not remembered.
              if (stickyStore && o.force == null) await remember(experiment, alternative);
              return { alternative };
            })
            .catch((error: SixpackError) => {
              log?.('Sixpack participate failed', { experiment, error });
              return { error };
            })),
        );
        if (!o.prefetch) participating.set(experiment, answer);
        answer.then(() => {
          inflight.delete(url);
          if (participating.get(experiment) === answer) participating.delete(experiment);
        });
      }
      // Render the remembered answer at once; the request still goes out, so the server keeps counting.
      const remembered = o.force == null && (await recall())[stickyKey(experiment)];
      if (alternatives.includes(remembered as string)) return result(remembered as string, 'sticky');
      const { alternative, error } = await answer;
      // A forced answer is not the visitor's own assignment: say so, as a URL force does.
      return alternative ? result(alternative, o.force != null ? 'force' : 'server') : result(alternatives[0]!, 'fallback', error);
    },

    async convert(experiment, o) {
      const kpi = o ? o.kpi : undefined;
      check(EXPERIMENT_RE, experiment, 'invalid-name', 'experiment name');
      if (kpi !== undefined) check(NAME_RE, kpi, 'invalid-kpi', 'KPI');
      outbox.start();
      // Synchronously journaled (and, with nothing ahead of it, on the wire) before this returns.
      return outbox.send(path('convert', { experiment, client_id: clientId, kpi }), participating.get(experiment)) as Promise<ConvertResult>;
    },

    flush() {
      outbox.start();
      return outbox.flush();
    },

    destroy: outbox.destroy,
  };
}
