/**
 * The DevTools' state for one browser tab, in sessionStorage under `splitflap:devtools`: that the
 * panel was turned on by its URL parameter, and the values forced in it. It never leaves the
 * browser (no request carries it) and ends with the tab. Its own module, so the script tag can
 * decide whether to load the panel's code without loading it.
 */

const KEY = 'splitflap:devtools';
const OFF = /^(0|false|off)$/i;

/** Forced feature values (feature key → value) and variations (experiment key → index). */
export interface ForcedValues {
  features: Record<string, unknown>;
  variations: Record<string, number>;
}

/**
 * Whether the panel is wanted: `?<urlParam>` in `url` (any value but `0`, `false`, `off`) turns it
 * on for the rest of the tab's session, `?<urlParam>=0` turns it off; without the parameter, the
 * session decides. No `urlParam`: never (the app did not allow one). With a `token`, only
 * `?<urlParam>=<token>` turns it on: a link without the token (a third party's) opens nothing.
 */
export function devtoolsRequested(urlParam: string | undefined, url: string | undefined, token?: string): boolean {
  if (!urlParam) return false;
  let value: string | null = null;
  try {
    value = new URL(url || '', 'http://localhost').searchParams.get(urlParam);
  } catch {
    // Not a URL: the session decides.
  }
  // With a token, a parameter that does not carry it (and is no "off") counts as absent.
  if (token && value !== null && value !== token && !OFF.test(value)) value = null;
  try {
    if (value === null) return sessionStorage.getItem(KEY) != null;
    if (OFF.test(value)) sessionStorage.removeItem(KEY);
    else if (sessionStorage.getItem(KEY) == null) sessionStorage.setItem(KEY, '{}');
  } catch {
    // No sessionStorage (sandboxed frames): only the URL decides.
  }
  return value !== null && !OFF.test(value);
}

/** The script tag's `data-devtools` parameter. */
export const DEVTOOLS_PARAM = 'splitflap-devtools';

/**
 * The script tag's `data-devtools`: `true`/`"true"` always; `""` with `?splitflap-devtools`; any
 * other text is a token the link must carry (`?splitflap-devtools=<token>`); absent or `"false"`: never.
 */
export function devtoolsAllowed(setting: unknown, url: string | undefined): boolean {
  if (setting === true || setting === 'true') return true;
  if (typeof setting != 'string' || setting == 'false') return false;
  return devtoolsRequested(DEVTOOLS_PARAM, url, setting || undefined);
}

const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value == 'object' && !Array.isArray(value);

/** The forced values of this tab; anything malformed in storage is dropped. */
export function readForced(): ForcedValues {
  const forced: ForcedValues = { features: Object.create(null), variations: Object.create(null) };
  try {
    const stored: unknown = JSON.parse(sessionStorage.getItem(KEY) || '{}');
    if (!isRecord(stored)) return forced;
    if (isRecord(stored.features)) Object.assign(forced.features, stored.features);
    if (isRecord(stored.variations)) {
      for (const [key, index] of Object.entries(stored.variations)) if (Number.isInteger(index) && (index as number) >= 0) forced.variations[key] = index as number;
    }
  } catch {
    // Unreadable or corrupt: nothing forced.
  }
  return forced;
}

/** Keep `forced` for this tab (which also keeps the panel on for it). */
export function writeForced(forced: ForcedValues): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(forced));
  } catch {
    // No sessionStorage: forced for this page only.
  }
}
