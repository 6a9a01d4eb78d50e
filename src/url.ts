/**
 * The variation index forced by `?<experimentKey>=<index>` in `url`, or `null`.
 * Only the first occurrence of the key counts; out-of-range or non-numeric values are ignored.
 */
export function getQueryStringOverride(id: string, url: string, numVariations: number): number | null {
  if (!url) return null;
  const search = url.split('?')[1];
  if (!search) return null;
  for (const pair of search.replace(/#.*/, '').split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) !== id) continue;
    const n = parseInt(eq < 0 ? '' : pair.slice(eq + 1), 10);
    return n >= 0 && n < numVariations ? n : null;
  }
  return null;
}

/** Whether `url` (or its path) matches `pattern`. A string pattern that is not a valid regex never matches. */
export function urlMatches(pattern: RegExp | string, url: string | undefined): boolean {
  if (!url) return false;
  let re: RegExp;
  try {
    re = typeof pattern === 'string' ? new RegExp(pattern) : pattern;
  } catch {
    return false;
  }
  const path = url.replace(/^https?:\/\//, '').replace(/^[^/]*\//, '/');
  return re.test(url) || re.test(path);
}
