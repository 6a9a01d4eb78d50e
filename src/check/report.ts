/**
 * What the payload checker reports: problems, each with a code, a severity and the path of the
 * value at fault (`features["button-color"].rules[1].weights`).
 */

/** `error`: the payload does not do what it says (CI should fail); `warning`: probably a mistake. */
export type Severity = 'error' | 'warning';

/** Every kind of problem the checker finds. */
export type ProblemCode =
  | 'invalid-payload'
  | 'invalid-feature'
  | 'invalid-condition'
  | 'unknown-operator'
  | 'invalid-regex'
  | 'unsafe-regex'
  | 'unknown-group'
  | 'weights-sum'
  | 'weights-length'
  | 'coverage-range'
  | 'namespace-range'
  | 'prerequisite-missing'
  | 'prerequisite-cycle'
  | 'duplicate-experiment'
  | 'unreachable-rule'
  | 'value-type'
  | 'payload-size';

/** One problem of a payload. */
export interface Problem {
  severity: Severity;
  code: ProblemCode;
  /** Where: a JavaScript-like path from the payload's root, e.g. `features.headline.rules[0].coverage`. */
  path: string;
  message: string;
}

/**
 * The severity of each code. Errors are what the core cannot evaluate as written (it drops,
 * ignores or never matches the part); warnings are almost certainly unintended but have a result
 * every GrowthBook SDK agrees on (its conformance vectors hold payloads with a prerequisite cycle,
 * a missing prerequisite and forced values of another type than the default's on purpose).
 * `npx splitflap check --strict` fails on warnings too.
 */
export const SEVERITY: Record<ProblemCode, Severity> = {
  'invalid-payload': 'error',
  'invalid-feature': 'error',
  'invalid-condition': 'error',
  'unknown-operator': 'error',
  'invalid-regex': 'error',
  'unsafe-regex': 'error',
  'unknown-group': 'warning',
  'weights-sum': 'error',
  'weights-length': 'error',
  'coverage-range': 'error',
  'namespace-range': 'error',
  'prerequisite-missing': 'warning',
  'prerequisite-cycle': 'warning',
  'duplicate-experiment': 'error',
  'unreachable-rule': 'warning',
  'value-type': 'warning',
  'payload-size': 'error',
};

/** Collects problems as they are found. */
export class Problems {
  readonly list: Problem[] = [];
  add(code: ProblemCode, path: string, message: string): void {
    this.list.push({ severity: SEVERITY[code], code, path, message });
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `base` with the property `key` (dotted when `key` is an identifier, else `["…"]`) or the index `key`. */
export function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const step = IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return base ? base + step : step.replace(/^\./, '');
}

/** A plain object (not null, not an array). */
export const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** The type name used in messages and type comparisons: `null`, `array`, `object`, or `typeof`. */
export const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
