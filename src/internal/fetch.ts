/**
 * The one fetch with a timeout, used by every request the SDK makes (payloads, Sixpack, bandit
 * stats): the body is read within the time too, and a timeout aborts the request.
 */

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

/** `fetch(url, init)` and its body as text, aborted after `timeoutMs`. Rejects on network errors and timeouts. */
export async function fetchText(url: string, init: RequestInit, timeoutMs: number, fetchImpl?: typeof fetch): Promise<FetchedText> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await (fetchImpl || fetch)(url, { ...init, signal: abort.signal });
    return { status: response.status, ok: response.ok, headers: response.headers, text: await response.text() };
  } catch (error) {
    throw abort.signal.aborted ? new FetchTimeoutError(`no answer within ${timeoutMs} ms`) : error;
  } finally {
    clearTimeout(timer);
  }
}
