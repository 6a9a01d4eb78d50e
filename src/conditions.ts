/**
 * Targeting conditions: GrowthBook's Mongo-style rules (`evalCondition`), evaluated with the
 * same semantics as its SDK, including its quirks, so payloads target the same visitors.
 * Departures, all on malformed input only: nothing throws (the rule is simply false), only
 * own properties are ever read, and malformed `$or`/`$and`/`$nor`/`$not` never match.
 */
import { defaultLog } from './log';
import { getPath, testRegex, version } from './operands';
import type { Attributes, ConditionInterface, Logger, SavedGroups } from './types';

export type { Attributes, ConditionInterface, SavedGroups };

const hasOwn = Object.prototype.hasOwnProperty;
const NO_GROUPS: SavedGroups = Object.freeze({}) as SavedGroups;

/** Where the current `evalCondition` call reports problems (set for the length of the call: evaluation is synchronous). */
let log: Logger = defaultLog;

/** An object whose own keys are all operators (`$…`); `{}` is not one and compares by value. */
function isOperatorObject(obj: object): boolean {
  if (Array.isArray(obj)) return false;
  let found = false;
  for (const key in obj) {
    if (!hasOwn.call(obj, key)) continue;
    if (key.charCodeAt(0) !== 36 /* $ */) return false;
    found = true;
  }
  return found;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function matches(obj: unknown, condition: unknown, groups: SavedGroups): boolean {
  if (!isObject(condition)) return false;
  for (const key in condition) {
    if (!hasOwn.call(condition, key)) continue;
    const arg = condition[key];
    switch (key) {
      case '$and':
        if (!Array.isArray(arg)) return false;
        for (let i = 0; i < arg.length; i++) if (!matches(obj, arg[i], groups)) return false;
        break;
      case '$or':
      case '$nor':
        if (!Array.isArray(arg) || matchesAny(obj, arg, groups) === (key === '$nor')) return false;
        break;
      case '$not':
        if (!isObject(arg) || matches(obj, arg, groups)) return false;
        break;
      default:
        // Any other key, `$`-prefixed or not, is an attribute path (e.g. GrowthBook's `$groups`).
        if (!matchValue(arg, getPath(obj, key), groups, false)) return false;
    }
  }
  return true;
}

// An empty list counts as a match, as in GrowthBook: so `$or: []` passes and `$nor: []` fails.
function matchesAny(obj: unknown, conditions: unknown[], groups: SavedGroups): boolean {
  if (conditions.length === 0) return true;
  for (let i = 0; i < conditions.length; i++) if (matches(obj, conditions[i], groups)) return true;
  return false;
}

/** `value` against a condition value: a literal (loosely compared, as GrowthBook) or `{ $op: … }`. */
function matchValue(expected: unknown, value: unknown, groups: SavedGroups, fold: boolean): boolean {
  switch (typeof expected) {
    case 'string':
      return fold ? String(value).toLowerCase() === expected.toLowerCase() : String(value) === expected;
    case 'number':
      // Coerces like GrowthBook's `value * 1`: "8" matches 8, and so do a missing attribute and "" for 0.
      return Number(value) === expected;
    case 'boolean':
      return value !== null && !!value === expected;
    case 'object':
      break;
    default:
      return false;
  }
  if (expected === null) return value === null;
  if (!isOperatorObject(expected)) return JSON.stringify(value) === JSON.stringify(expected);
  for (const op in expected) {
    if (hasOwn.call(expected, op) && !evalOperator(op, value, (expected as Record<string, unknown>)[op], groups)) {
      return false;
    }
  }
  return true;
}

/**
 * Past this many element pairs, array-vs-array set operators index one side first: O(n + m)
 * instead of O(n·m) (two 30,000-item arrays took 5 s). Below it a plain scan allocates nothing.
 */
const SCAN_LIMIT = 64;

/** Case-folded as `$ini`/`$nini`/`$alli` compare: strings lower-cased, the rest as is. */
const folded = (value: unknown): unknown => (typeof value === 'string' ? value.toLowerCase() : value);

function contains(list: unknown[], value: unknown, fold: boolean): boolean {
  if (!fold) return list.includes(value);
  const v = folded(value);
  for (let i = 0; i < list.length; i++) if (folded(list[i]) === v) return true;
  return false;
}

// An array attribute is in the list when any of its elements is (an intersection test).
function isIn(actual: unknown, list: unknown[], fold: boolean): boolean {
  if (!Array.isArray(actual)) return contains(list, actual, fold);
  if (actual.length * list.length > SCAN_LIMIT) {
    // A Set compares as `includes` does (SameValueZero); folded items compare with `===`, which NaN never passes.
    const index = new Set<unknown>();
    for (let i = 0; i < list.length; i++) {
      const item = fold ? folded(list[i]) : list[i];
      if (!fold || item === item) index.add(item);
    }
    for (let i = 0; i < actual.length; i++) if (index.has(fold ? folded(actual[i]) : actual[i])) return true;
    return false;
  }
  for (let i = 0; i < actual.length; i++) if (contains(list, actual[i], fold)) return true;
  return false;
}

function hasAll(actual: unknown, expected: unknown[], groups: SavedGroups, fold: boolean): boolean {
  if (!Array.isArray(actual)) return false;
  if (actual.length * expected.length > SCAN_LIMIT) {
    const index = new ElementIndex(actual, groups, fold);
    for (let i = 0; i < expected.length; i++) if (!index.anyMatches(expected[i])) return false;
    return true;
  }
  outer: for (let i = 0; i < expected.length; i++) {
    for (let j = 0; j < actual.length; j++) if (matchValue(expected[i], actual[j], groups, fold)) continue outer;
    return false;
  }
  return true;
}

/**
 * Answers "does any element match this literal?" as `matchValue` would for each element, from
 * sets of the elements' coerced forms, each built on first need. Operator conditions still
 * test every element.
 */
class ElementIndex {
  private strings?: Set<string>;
  private numbers?: Set<number>;
  private jsons?: Set<string | undefined>;

  constructor(
    private readonly elements: unknown[],
    private readonly groups: SavedGroups,
    private readonly fold: boolean,
  ) {}

  /** The set of `coerce(element)` over all elements (holes read as undefined, as the scan does). */
  private setOf<T>(coerce: (element: unknown) => T): Set<T> {
    const set = new Set<T>();
    for (let i = 0; i < this.elements.length; i++) set.add(coerce(this.elements[i]));
    return set;
  }

  private some(test: (element: unknown) => boolean): boolean {
    for (let i = 0; i < this.elements.length; i++) if (test(this.elements[i])) return true;
    return false;
  }

  anyMatches(expected: unknown): boolean {
    const fold = this.fold;
    switch (typeof expected) {
      case 'string':
        this.strings ||= this.setOf((e) => (fold ? String(e).toLowerCase() : String(e)));
        return this.strings.has(fold ? expected.toLowerCase() : expected);
      case 'number':
        this.numbers ||= this.setOf(Number);
        return expected === expected && this.numbers.has(expected); // NaN equals nothing
      case 'boolean':
        return this.some((e) => e !== null && !!e === expected);
      case 'object':
        if (expected === null) return this.some((e) => e === null);
        if (isOperatorObject(expected)) return this.some((e) => matchValue(expected, e, this.groups, fold));
        this.jsons ||= this.setOf((e) => JSON.stringify(e));
        return this.jsons.has(JSON.stringify(expected));
      default:
        return false;
    }
  }
}

function elemMatch(actual: unknown, expected: unknown, groups: SavedGroups): boolean {
  if (!Array.isArray(actual)) return false;
  // `{ $gt: 10 }` tests each element itself; `{ name: … }` tests each element's fields.
  const onElement = isObject(expected) && isOperatorObject(expected);
  for (let i = 0; i < actual.length; i++) {
    const el: unknown = actual[i];
    if (el == null) continue;
    if (onElement ? matchValue(expected, el, groups, false) : matches(el, expected, groups)) return true;
  }
  return false;
}

// An unknown id has always been an empty group. A malformed entry matches nobody either way,
// since treating it as empty would let `$notInGroup` pass everyone.
function groupValues(groups: SavedGroups, id: unknown): unknown[] | null {
  if (typeof id !== 'string' && typeof id !== 'number') return null;
  const entry: unknown = hasOwn.call(groups, id) ? groups[id] : undefined;
  if (entry === undefined) return [];
  if (Array.isArray(entry)) return entry;
  // GrowthBook's v2 saved-group shape, `{ type: "list", values }` (own fields only, like every read here).
  if (isObject(entry) && hasOwn.call(entry, 'type') && entry.type === 'list') {
    return hasOwn.call(entry, 'values') && Array.isArray(entry.values) ? entry.values : null;
  }
  return null;
}

/** GrowthBook's type names (`$type`, and payload field checks): arrays and null told apart; functions, symbols and bigints are "unknown". */
export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  return t === 'function' || t === 'symbol' || t === 'bigint' ? 'unknown' : t;
}

// Comparisons use JavaScript's loose relational semantics on purpose ("8" > 5, null < 10), as GrowthBook.
function evalOperator(op: string, actual: unknown, expected: unknown, groups: SavedGroups): boolean {
  const a = actual as number;
  const e = expected as number;
  switch (op) {
    case '$eq': return actual === expected;
    case '$ne': return actual !== expected;
    case '$lt': return a < e;
    case '$lte': return a <= e;
    case '$gt': return a > e;
    case '$gte': return a >= e;
    case '$veq': return version(actual) === version(expected);
    case '$vne': return version(actual) !== version(expected);
    case '$vlt': return version(actual) < version(expected);
    case '$vlte': return version(actual) <= version(expected);
    case '$vgt': return version(actual) > version(expected);
    case '$vgte': return version(actual) >= version(expected);
    case '$exists': return expected ? actual != null : actual == null;
    case '$in': return Array.isArray(expected) && isIn(actual, expected, false);
    case '$nin': return Array.isArray(expected) && !isIn(actual, expected, false);
    case '$ini': return Array.isArray(expected) && isIn(actual, expected, true);
    case '$nini': return Array.isArray(expected) && !isIn(actual, expected, true);
    case '$all': return Array.isArray(expected) && hasAll(actual, expected, groups, false);
    case '$alli': return Array.isArray(expected) && hasAll(actual, expected, groups, true);
    case '$elemMatch': return elemMatch(actual, expected, groups);
    case '$size': return Array.isArray(actual) && matchValue(expected, actual.length, groups, false);
    case '$not': return !matchValue(expected, actual, groups, false);
    case '$type': return typeOf(actual) === expected;
    case '$regex':
      return typeof expected === 'string' && testRegex(expected, actual, false, log);
    case '$regexi':
      return typeof expected === 'string' && testRegex(expected, actual, true, log);
    case '$inGroup':
    case '$notInGroup': {
      const values = groupValues(groups, expected);
      return values !== null && isIn(actual, values, false) === (op === '$inGroup');
    }
    default:
      return false;
  }
}

/**
 * Whether `attributes` satisfy the Mongo-style `condition`, with GrowthBook's semantics:
 * dotted attribute paths, `$and`/`$or`/`$nor`/`$not`, comparison, set, array, regex, type,
 * version (`$v…`) and saved-group (`$inGroup`/`$notInGroup`, looked up in `savedGroups`) operators.
 * `{}` matches everyone. Never throws: malformed input (a non-object condition, an unknown
 * operator, an invalid regex, an unstringifiable value) makes the condition false.
 * A regex that could backtrack catastrophically never matches, nor does one tested on an input
 * longer than its safe length (see regex.ts); `log` hears of each such pattern once.
 */
export function evalCondition(
  attributes: Attributes,
  condition: ConditionInterface,
  savedGroups?: SavedGroups,
  logger: Logger = defaultLog,
): boolean {
  const outer = log;
  log = logger;
  try {
    return matches(attributes, condition, savedGroups || NO_GROUPS);
  } catch {
    return false;
  } finally {
    log = outer;
  }
}
