/**
 * Condition operands: an attribute at a dotted path, and those worth caching, a `$regex`
 * pattern's verdict (see regex.ts) and a padded version string. Both repeat across every
 * evaluation; caching them keeps the hot path allocation-free.
 */
import { compileSafeRegex, type SafeRegex } from './regex';
import type { Logger } from './types';

const hasOwn = Object.prototype.hasOwnProperty;

// Bounded because attribute values (e.g. app versions) are unbounded.
const CACHE_LIMIT = 500;
/** A pattern's verdict (see regex.ts), cached per pattern string, and whether its problem was logged. */
type CachedRegex = SafeRegex & { logged?: boolean };
const regexCache = new Map<string, CachedRegex>();
const regexiCache = new Map<string, CachedRegex>();
const versionCache = new Map<string, string>();

function remember<T>(cache: Map<string, T>, key: string, make: (key: string) => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = make(key);
    // Evict the oldest entry: Map iterates in insertion order.
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
  }
  return value;
}

// GrowthBook escapes unescaped `/` first; without the `u` flag `\/` and `/` are the same, so we don't.
const compileCase = (pattern: string): CachedRegex => compileSafeRegex(pattern, false);
const compileNoCase = (pattern: string): CachedRegex => compileSafeRegex(pattern, true);

/**
 * `$regex`/`$regexi`: a refused pattern (invalid, or able to backtrack catastrophically) never
 * matches, nor does an input longer than the pattern's safe length; each is logged once per pattern.
 */
export function testRegex(pattern: string, actual: unknown, ignoreCase: boolean, log: Logger): boolean {
  const compiled = remember(ignoreCase ? regexiCache : regexCache, pattern, ignoreCase ? compileNoCase : compileCase);
  if (compiled.regex === null) {
    if (!compiled.logged) log('Regex never matches: ' + compiled.refused, { pattern });
    compiled.logged = true;
    return false;
  }
  // A template literal stringifies as `test` does (a symbol throws), so a missing attribute is
  // tested as "null", as in GrowthBook.
  const text = `${actual as string}`;
  if (text.length > compiled.maxInputLength) {
    if (!compiled.logged) log('Input too long for regex: no match', { pattern, length: text.length, maxInputLength: compiled.maxInputLength });
    compiled.logged = true;
    return false;
  }
  return compiled.regex.test(text);
}

const VERSION_STRIP = /(^v|\+.*$)/g;
const VERSION_SPLIT = /[-.]/;
const DIGITS = /^[0-9]+$/;

// "v1.2.3-rc.1+build" → "    1-    2-    3-rc-    1": numeric parts are left-padded so plain
// string comparison orders them numerically, and a release gets "~" (the highest printable
// ASCII) in place of a pre-release tag so 1.0.0 sorts above 1.0.0-beta.
function padVersion(input: string): string {
  const parts = input.replace(VERSION_STRIP, '').split(VERSION_SPLIT);
  if (parts.length === 3) parts.push('~');
  for (let i = 0; i < parts.length; i++) {
    if (DIGITS.test(parts[i])) parts[i] = parts[i].padStart(5, ' ');
  }
  return parts.join('-');
}

/** `input` as a version string that orders as versions do under plain string comparison. */
export function version(input: unknown): string {
  const s = typeof input === 'number' ? input + '' : input;
  return remember(versionCache, typeof s === 'string' && s !== '' ? s : '0', padVersion);
}


/** Value at a dotted path, following own properties only; missing → `null` (as GrowthBook). */
export function getPath(obj: unknown, path: string): unknown {
  let current = obj;
  let start = 0;
  for (;;) {
    const dot = path.indexOf('.', start);
    const key = dot < 0 ? (start === 0 ? path : path.slice(start)) : path.slice(start, dot);
    if (current === null || typeof current !== 'object' || !hasOwn.call(current, key)) return null;
    current = (current as Record<string, unknown>)[key];
    if (dot < 0) return current;
    start = dot + 1;
  }
}

