/**
 * The one fetch with a timeout, used by every request the SDK makes (payloads, Sixpack, bandit
 * stats): the body is read within the time too, and a timeout aborts the request. Payload and
 * stream requests also pass through {@link guardedFetch}, which keeps redirects on their origin.
 */
import { pageDocument, pageURL } from './env';

/** A response read to the end. */
export interface FetchedText {
  status: number;
  ok: boolean;
  headers: Headers;
  text: string;
}

/** Thrown (rejected) when no full answer came within the time. */
export class FetchTimeoutError extends Error {
  override name = 'FetchTimeoutError';
}

/** Thrown (rejected) when a redirect leads off the requested URL's origin (and the allowed ones). */
export class RedirectRefusedError extends Error {
  override name = 'RedirectRefusedError';
}

/** Most redirects followed for one request (browsers allow 20; a payload URL needs one or two). */
const MAX_HOPS = 5;

/** The origin of `url`, relative ones resolved against the page's URL (a script tag's `features.json`). */
const originOf = (url: string): string => {
  try {
    return new URL(url, pageURL()).origin;
  } catch {
    return '';
  }
};

/**
 * `fetch(url, init)`, following redirects only to `url`'s own origin or one of `allowedOrigins`
 * (e.g. `https://cdn.example.com`); anything else rejects with a {@link RedirectRefusedError}.
 *
 * Outside browsers (Node, edge runtimes) redirects are followed here, by hand: `redirect: 'manual'`
 * hands over the 3xx answer with its `Location`, each hop is checked before it is requested, and
 * at most {@link MAX_HOPS} are taken, so a refused origin is never even asked. Browsers cannot do
 * that: `manual` gives an opaque answer (status 0, no `Location`) by design, so there the browser
 * follows (`redirect: 'follow'`, its own limit and CORS apply: another origin must also allow this
 * page to read it) and the final `response.url` is checked: an answer from another origin is
 * discarded, unread, so it is never applied.
 */
export async function guardedFetch(url: string, init: RequestInit, allowedOrigins: readonly string[] = [], fetchImpl: typeof fetch = fetch): Promise<Response> {
  const allowed = new Set([originOf(url), ...allowedOrigins.map(originOf)]);
  const refuse = (to: string, response: Response) => {
    void (response.body && response.body.cancel().catch(() => undefined));
    return new RedirectRefusedError(`redirect from ${url} to ${originOf(to) || to} refused (not its origin; allow it in allowedOrigins)`);
  };
  if (pageDocument()) {
    const response = await fetchImpl(url, { ...init, redirect: 'follow' });
    if (response.url && !allowed.has(originOf(response.url))) throw refuse(response.url, response);
    return response;
  }
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await fetchImpl(current, { ...init, redirect: 'manual' });
    const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
    if (location === null) return response;
    const next = new URL(location, current).href;
    if (!allowed.has(originOf(next))) throw refuse(next, response);
    void (response.body && response.body.cancel().catch(() => undefined));
    if (hop + 1 >= MAX_HOPS) throw new RedirectRefusedError(`more than ${MAX_HOPS} redirects from ${url}`);
    current = next;
  }
}

/**
 * `fetch(url, init)` and its body as text, aborted after `timeoutMs`. Rejects on network errors and
 * timeouts. With `allowedOrigins` (the requested URL's own origin is always allowed), redirects
 * are kept on those origins ({@link guardedFetch}); without, they are followed as `init` says.
 */
export async function fetchText(url: string, init: RequestInit, timeoutMs: number, fetchImpl?: typeof fetch, allowedOrigins?: readonly string[]): Promise<FetchedText> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const signalled = { ...init, signal: abort.signal };
    const response = await (allowedOrigins ? guardedFetch(url, signalled, allowedOrigins, fetchImpl) : (fetchImpl || fetch)(url, signalled));
    return { status: response.status, ok: response.ok, headers: response.headers, text: await response.text() };
  } catch (error) {
    throw abort.signal.aborted ? new FetchTimeoutError(`no answer within ${timeoutMs} ms`) : error;
  } finally {
    clearTimeout(timer);
  }
}
