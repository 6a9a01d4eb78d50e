/**
 * URL targeting of auto experiments (GrowthBook's `urlPatterns`), so its payloads target the same
 * pages. A pattern is `simple` (a URL where `*` stands for anything: host, path, query parameters
 * and hash compared part by part, case-insensitively, a trailing slash optional) or `regex` (tested
 * on the whole URL and on its path). `include: false` excludes. A visitor is targeted when no
 * exclusion matches and an inclusion does (or there are only exclusions).
 *
 * Simple patterns are matched without building a RegExp (a payload's text never becomes code);
 * regex patterns go through the `$regex` guard (src/regex.ts), so a hostile one never matches
 * rather than stalling the page.
 */
import { compileSafeRegex, type SafeRegex } from '../../regex';
import type { Logger } from '../../types';

/** One entry of an experiment's `urlPatterns`. */
export interface UrlPattern {
  type: 'simple' | 'regex';
  /** `false`: a URL matching it is left out. Default `true`. */
  include?: boolean;
  pattern: string;
}

/** Stands for `*` while a simple pattern is parsed as a URL (`*` is not valid in every part). */
const WILD = '_____';
const BASE = `https://${WILD}`;

/** Whether `text` matches `glob` (`WILD` matching any run of characters), ignoring case. Linear in practice, no RegExp. */
export function globMatch(glob: string, text: string): boolean {
  const parts = glob.toLowerCase().split(WILD);
  const value = text.toLowerCase();
  const first = parts[0]!;
  if (parts.length == 1) return value == first;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = value.indexOf(parts[i]!, at);
    if (found < 0 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}

/** A path without one leading and one trailing slash: `/home/` and `/home` are the same page. */
const trimSlashes = (path: string) => path.replace(/^\//, '').replace(/\/$/, '');

/** A simple pattern against a parsed URL: host (when the pattern names one), path, hash (when given), each query parameter it names. */
function simpleMatch(actual: URL, pattern: string): boolean {
  let expected: URL;
  try {
    // `www.example.com/home` names a host, as GrowthBook reads it; `/home` is a path on any host.
    const absolute = pattern.replace(/^([^:/?]*)\./, 'https://$1.').split('*').join(WILD);
    expected = new URL(absolute, BASE);
  } catch {
    return false;
  }
  if (expected.host != WILD && !globMatch(expected.host, actual.host)) return false;
  if (!globMatch(trimSlashes(expected.pathname), trimSlashes(actual.pathname))) return false;
  if (expected.hash && !globMatch(expected.hash, actual.hash)) return false;
  let queryMatches = true;
  expected.searchParams.forEach((value, name) => {
    if (!globMatch(value, actual.searchParams.get(name) ?? '')) queryMatches = false;
  });
  return queryMatches;
}

/** Compiled regex patterns, by source (payloads repeat them across reloads of the same client). */
const regexCache = new Map<string, SafeRegex>();

function regexMatch(actual: URL, pattern: string, log: Logger): boolean {
  let safe = regexCache.get(pattern);
  if (!safe) {
    safe = compileSafeRegex(pattern, false);
    if (regexCache.size < 500) regexCache.set(pattern, safe);
    if (safe.refused) log('A urlPatterns regex was refused; it never matches', { pattern, reason: safe.refused });
  }
  if (!safe.regex) return false;
  const { regex, maxInputLength } = safe;
  const path = actual.href.slice(actual.origin.length);
  return (actual.href.length <= maxInputLength && regex.test(actual.href)) || (path.length <= maxInputLength && regex.test(path));
}

/** Whether `value` is a well-formed {@link UrlPattern}. */
const isPattern = (value: unknown): value is UrlPattern => {
  const p = value as UrlPattern;
  return !!p && typeof p == 'object' && (p.type == 'simple' || p.type == 'regex') && typeof p.pattern == 'string';
};

/**
 * Whether `url` is targeted by `patterns`. Anything malformed (patterns not an array, an entry
 * without a known type or a string pattern, a URL that does not parse) targets nothing, logged.
 */
export function isUrlTargeted(url: string | undefined, patterns: unknown, log: Logger): boolean {
  if (patterns == null || (Array.isArray(patterns) && !patterns.length)) return false;
  if (!Array.isArray(patterns) || !patterns.every(isPattern)) {
    log('Ignored an experiment: malformed urlPatterns', { patterns });
    return false;
  }
  let actual: URL;
  try {
    actual = new URL(url || '');
  } catch {
    return false;
  }
  const matches = (p: UrlPattern) => (p.type == 'regex' ? regexMatch(actual, p.pattern, log) : simpleMatch(actual, p.pattern));
  const includes = patterns.filter((p) => p.include !== false);
  if (patterns.some((p) => p.include === false && matches(p))) return false;
  return !includes.length || includes.some(matches);
}
