/** Reading a payload for the command line: a file, or an http(s) URL fetched with a time limit. */
import { readFile } from 'node:fs/promises';

/** A failure to report as is (exit code 2): unreadable input, bad arguments. */
export class UsageError extends Error {}

/** Whether `source` names a URL rather than a file. */
export const isUrl = (source: string): boolean => /^https?:\/\//i.test(source);

/** The text of `source`: the file, or the body of a GET to the URL (2xx only, within `timeoutMs`). */
export async function readSource(source: string, timeoutMs: number): Promise<string> {
  if (!isUrl(source)) {
    try {
      return await readFile(source, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  let response: Response;
  try {
    response = await fetch(source, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new UsageError(timedOut ? `no answer from ${source} within ${timeoutMs} ms` : `cannot fetch ${source}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) throw new UsageError(`${source} answered ${response.status}`);
  try {
    return await response.text();
  } catch (error) {
    throw new UsageError(`cannot read the answer of ${source}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `text` parsed as JSON, or a usage error naming `source`. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${source} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The payload of `source` as an object with a `features` object, or a usage error. */
export async function readPayload(source: string, timeoutMs: number): Promise<{ features: Record<string, unknown>; savedGroups?: Record<string, unknown[]> }> {
  const payload = parseJson(await readSource(source, timeoutMs), source);
  const features = payload && typeof payload === 'object' ? (payload as { features?: unknown }).features : undefined;
  if (!features || typeof features !== 'object' || Array.isArray(features)) throw new UsageError(`${source} has no features object (run splitflap check ${source})`);
  return payload as { features: Record<string, unknown>; savedGroups?: Record<string, unknown[]> };
}
