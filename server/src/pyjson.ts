/**
 * JSON exactly as the reference server writes it, so that responses are byte-compatible.
 *
 * Sixpack (Python) uses `json.dumps` with its defaults: `", "` and `": "` separators,
 * every non-ASCII character escaped as `\uXXXX`, and floats that keep their `.0`
 * (`1.0`, `50.0`). JavaScript has one number type, so values that Python holds as
 * floats are marked with {@link pyFloat}.
 */

/** A number Python would hold as a float: written `1.0`, not `1`. */
export class PyFloat {
  constructor(readonly value: number) {}
  /** So that `JSON.stringify` (and tests) still see a plain number. */
  toJSON(): number {
    return this.value;
  }
}

export const pyFloat = (value: number): PyFloat => new PyFloat(value);

/** `json.dumps(value)` as Python writes it. `undefined` object members are left out. */
export function pyDumps(value: unknown): string {
  const dump = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (v instanceof PyFloat) return floatRepr(v.value);
    switch (typeof v) {
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        return Number.isInteger(v) ? String(v) : floatRepr(v);
      case 'string':
        return asciiString(v);
      case 'object': {
        if (Array.isArray(v)) return '[' + v.map(dump).join(', ') + ']';
        const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
        return '{' + entries.map(([k, x]) => asciiString(k) + ': ' + dump(x)).join(', ') + '}';
      }
      default:
        throw new TypeError(`pyDumps: cannot serialise a ${typeof v}`);
    }
  };
  return dump(value);
}

/** Python's `repr(float)`: shortest round-trip digits, like JS, but exponent form outside [1e-4, 1e16). */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e16) {
    const [mantissa, exp] = x.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const s = String(x); // never exponent form in this range
  return s.includes('.') ? s : `${s}.0`;
}

/** A JSON string with `ensure_ascii`: everything outside printable ASCII (DEL included) as `\uXXXX`. */
function asciiString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}
