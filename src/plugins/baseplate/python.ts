/**
 * Python semantics baseplate's bucketing and targeting depend on: `str()` of numbers and
 * booleans, `==` between bools and ints, code-point string order, truthiness, and its sha1 bucket.
 */
import { isObject } from '../../conditions';
import { sha1Hex } from '../../internal/digest';

export type Log = (msg: string, ctx?: object) => void;

export const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

// ---------------------------------------------------------------------------------------------
// Python semantics

/** Python's truthiness for JSON-like values. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true; // NaN too, as in Python
}

/**
 * Python's `str()` of a primitive: `True`/`False`/`None`, integers without exponent, other
 * floats as `repr` (`1e-05`). JS has no int/float split, so integral numbers print as ints: a
 * Python float `1.0` would print "1.0". Objects and arrays give null (no stable Python form).
 */
export function pythonStr(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'number') return null;
  if (Number.isInteger(v)) return BigInt(v).toString();
  if (v !== v) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  // toExponential() gives the shortest round-trip digits, like repr; Python switches to
  // exponent form below 1e-4 (JS only below 1e-6) and pads the exponent to two digits.
  const [mantissa, e] = v.toExponential().split('e');
  const exp = Number(e);
  if (exp >= -4) return String(v);
  return `${mantissa}e-${String(-exp).padStart(2, '0')}`;
}

// Python orders strings by code point, JS by UTF-16 unit; they differ only where a surrogate
// meets U+E000–U+FFFF, and comparing code points at the first differing unit fixes that.
export function compareStr(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
  }
  return a.length - b.length;
}

export const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined;

/** Python `==`: True == 1, None == None, lists and dicts by value. */
export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined || y !== undefined) return x === y;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => pyEq(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => hasOwn(b, k) && pyEq(a[k], b[k]));
  }
  return false;
}

/** Sign of Python's `a <=> b`, or null where Python raises TypeError (which we treat as false). */
export function pyCompare(a: unknown, b: unknown): number | null {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x - y; // NaN: every comparison false, as in Python
  if (typeof a === 'string' && typeof b === 'string') return compareStr(a, b);
  return null;
}

/** Python's `x in container` for the containers a JSON config can hold. */
export function pyIn(x: unknown, container: unknown): boolean {
  if (Array.isArray(container)) return container.some((v) => pyEq(v, x));
  if (typeof container === 'string') return typeof x === 'string' && container.includes(x);
  if (isObject(container)) return typeof x === 'string' && hasOwn(container, x);
  return false; // Python raises TypeError, which EqualNode turns into False
}

// ---------------------------------------------------------------------------------------------
// Hashing

/**
 * Baseplate's bucket: `int(sha1(seed + value).hexdigest(), 16) % numBuckets`, the full 160-bit
 * digest reduced digit by digit (Horner) so no BigInt is needed. `numBuckets` ≤ 2^48.
 */
export function sha1ModBucket(seed: string, value: string, numBuckets: number): number {
  const hex = sha1Hex(seed + value);
  let r = 0;
  for (let i = 0; i < hex.length; i++) r = (r * 16 + parseInt(hex[i], 16)) % numBuckets;
  return r;
}

