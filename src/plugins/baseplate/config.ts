/**
 * Reddit baseplate experiments (`baseplate/lib/experiments`, read at f69f44bc), as Splitflap
 * "variant experiments": a loader for baseplate's experiment config file and a pure chooser
 * that gives the same variant as baseplate for the same inputs.
 *
 * Python is the reference for hashing and comparisons, so this module reproduces `str()` of
 * numbers/booleans, `==` between bools and ints, and code-point string order. Where baseplate
 * crashes at call time on a bad config (division by zero, `None` comparisons, a missing name),
 * the loader rejects the experiment instead, and where it raises on mismatched types in a
 * comparison, the comparison is false.
 */
import type { NamedExperiment as ExperimentDefinition } from './index';
import { isObject } from '../../conditions';
import { sha1Hex } from '../../internal/digest';
import type { Experiment, ExperimentResult } from '../../types';

/** Baseplate's experiment types (`type` is matched case-insensitively); `unknown` always gives null. */
export type VariantExperimentType =
  | 'single_variant'
  | 'multi_variant'
  | 'feature_rollout'
  | 'range_variant'
  | 'r2'
  | 'feature_flag'
  | 'unknown';

/** A compiled targeting tree. Field names are lowercased at load time; attribute names are not. */
export type TargetingNode =
  | { op: 'all' | 'any'; nodes: TargetingNode[] }
  | { op: 'not'; node: TargetingNode }
  | { op: 'override'; value: boolean }
  /** Python's `attribute in values`: a list (membership), a string (substring) or an object (key). */
  | { op: 'eq'; field: string; values: unknown }
  | { op: 'gt' | 'ge' | 'lt' | 'le' | 'ne'; field: string; value: unknown };

/**
 * Which variant a bucket gets. Bounds are integer buckets, already ⌊s·N⌋:
 * - `ranges`: the first `[start, end)` containing the bucket (multi, range and rollout types);
 * - `twoEnded`: `low` below `lowEnd`, `high` from `highStart` up (single_variant);
 * - `interleaved`: r2's scheme, `names` in code-point order and `percents` alongside.
 */
export type VariantAllocator =
  | { kind: 'ranges'; ranges: Array<{ variant: string; start: number; end: number }> }
  | { kind: 'twoEnded'; low: string; lowEnd: number; high: string; highStart: number }
  | { kind: 'interleaved'; names: string[]; percents: number[] };

/** r2/feature_flag settings that have no tree-targeting equivalent. */
export interface R2Settings {
  /** Lowercased param → allowed values (strings lowercased unless the param is case-sensitive). */
  targeting: Array<[param: string, allowed: unknown[]]>;
  /** Lowercased param → (value → variant), in config order: the first param that yields a variant wins. */
  overrides: Array<[param: string, values: Record<string, unknown>]>;
  caseSensitiveTargeting: string[];
  caseSensitiveOverrides: string[];
  /** With `logged_in` targeting, only users whose `user_created` is later than this are targeted. */
  newerThan: number | null;
}

/** A Splitflap variant experiment: the unified model's shape for baseplate-style experiments. */
export interface VariantExperiment {
  /** The config's `name` (used in the seed and the bucketing id), else its key in the file. */
  name: string;
  id: number;
  owner: string | null;
  /** `experiment_version` for simple types, the top-level `version` for r2/feature_flag. */
  version: string | number | null;
  type: VariantExperimentType;
  /** Epoch seconds; the experiment runs in `[startTs, stopTs)`. */
  startTs: number;
  stopTs: number;
  enabled: boolean;
  /**
   * When present (even null), everyone gets this value and no event is logged. For simple
   * types it wins even over `enabled` and the schedule; r2/feature_flag check those first.
   */
  globalOverride?: string | null;
  hash: { kind: 'sha1_mod'; seed: string; bucketVal: string; numBuckets: number };
  allocator: VariantAllocator;
  logBucketing: boolean;
  /** Simple types: who may be bucketed (a missing tree compiles to "everyone"). */
  targeting: TargetingNode;
  /** Simple types: `[{variant: tree}]`, first match wins, even for a variant not in the set. */
  overrides: Array<{ variant: string; targeting: TargetingNode }>;
  r2?: R2Settings;
}

/** Why `chooseVariant` returned what it did. */
export type VariantReason =
  | 'disabled'
  | 'schedule'
  | 'globalOverride'
  | 'unknownType'
  | 'missingBucketValue'
  | 'invalidBucketValue'
  | 'override'
  | 'notTargeted'
  | 'bucketed'
  | 'notAllocated';

/** The outcome of `chooseVariant`. */
export interface VariantChoice {
  variant: string | null;
  /**
   * Whether baseplate would log a `choose` event, before the per-request checks the caller owns:
   * `bucketing_event_override=False` and dedupe on `bucketingId()` within the request.
   */
  log: boolean;
  bucket?: number;
  reason: VariantReason;
}

type Log = (msg: string, ctx?: object) => void;

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const LEGACY = new Set(['r2', 'feature_flag']);
const SIMPLE = new Set(['single_variant', 'multi_variant', 'feature_rollout', 'range_variant']);
// Horner reduction mod N stays exact while N·16 < 2^53.
const MAX_BUCKETS = 2 ** 48;

// ---------------------------------------------------------------------------------------------
// Python semantics

/** Python's truthiness for JSON-like values. */
function truthy(v: unknown): boolean {
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
function compareStr(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
  }
  return a.length - b.length;
}

const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined;

/** Python `==`: True == 1, None == None, lists and dicts by value. */
function pyEq(a: unknown, b: unknown): boolean {
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
function pyCompare(a: unknown, b: unknown): number | null {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x - y; // NaN: every comparison false, as in Python
  if (typeof a === 'string' && typeof b === 'string') return compareStr(a, b);
  return null;
}

/** Python's `x in container` for the containers a JSON config can hold. */
function pyIn(x: unknown, container: unknown): boolean {
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

// ---------------------------------------------------------------------------------------------
// Targeting trees (`targeting/tree_targeting.py`)

// Validation failures throw; loadBaseplateConfig catches them per experiment. (A function
// declaration, so TypeScript narrows after `if (…) fail()`.)
function fail(msg: string): never {
  throw new Error(msg);
}
// Shared by many definitions, hence frozen.
const EVERYONE: TargetingNode = Object.freeze({ op: 'override', value: true });
const NO_ONE: TargetingNode = Object.freeze({ op: 'override', value: false });

/** `create_targeting_tree`: one operator key per node, operator names case-insensitive. */
function compileTree(node: unknown): TargetingNode {
  if (!isObject(node)) return fail('a targeting node must be an object');
  const keys = Object.keys(node);
  if (keys.length !== 1) return fail('a targeting node must have exactly one operator');
  const op = keys[0].toLowerCase();
  const arg = node[keys[0]];
  const fieldNode = (valueKeys: string[]) => {
    if (!isObject(arg) || Object.keys(arg).length !== 2 || !valueKeys.some((k) => hasOwn(arg, k))) {
      return fail(`${op} expects {field, ${valueKeys.join('|')}}`);
    }
    if (typeof arg.field !== 'string') return fail(`${op} expects a string field`);
    return { field: arg.field.toLowerCase(), arg };
  };
  switch (op) {
    case 'all':
    case 'any':
      if (!Array.isArray(arg)) return fail(`${op} expects a list`);
      return { op, nodes: arg.map(compileTree) };
    case 'not':
      if (!isObject(arg) || Object.keys(arg).length !== 1) return fail('not expects one node');
      return { op, node: compileTree(arg) };
    case 'override':
      return { op, value: arg === true };
    case 'eq': {
      const { field, arg: a } = fieldNode(['value', 'values']);
      // Python: `values or [value]`, so an empty `values` list accepts None (a missing attribute).
      return { op, field, values: truthy(a.values) ? a.values : [a.value] };
    }
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
    case 'ne': {
      const { field, arg: a } = fieldNode(['value']);
      return { op, field, value: a.value };
    }
    default:
      return fail(`unknown targeting operator ${keys[0]}`);
  }
}

/** Evaluate a compiled tree against attributes (looked up by exact, case-sensitive name). */
export function evalTargeting(node: TargetingNode, attributes: Record<string, unknown>): boolean {
  switch (node.op) {
    case 'all':
      return node.nodes.every((n) => evalTargeting(n, attributes));
    case 'any':
      return node.nodes.some((n) => evalTargeting(n, attributes));
    case 'not':
      return !evalTargeting(node.node, attributes);
    case 'override':
      return node.value;
    case 'eq':
      return pyIn(get(attributes, node.field), node.values);
  }
  const v = get(attributes, node.field);
  if (v === null && node.value == null) return false; // baseplate: None vs None is false
  if (node.op === 'ne') return !pyEq(v, node.value);
  const c = pyCompare(v, node.value);
  if (c === null) return false;
  return node.op === 'gt' ? c > 0 : node.op === 'ge' ? c >= 0 : node.op === 'lt' ? c < 0 : c <= 0;
}

// `kwargs.get(name)`: own properties only, a missing or undefined value is None.
function get(attrs: Record<string, unknown>, key: string): unknown {
  return hasOwn(attrs, key) && attrs[key] !== undefined ? attrs[key] : null;
}

/** `_generate_targeting`: absent → everyone; invalid → no one (logged). */
function targetingOrNoOne(cfg: unknown, log: (msg: string) => void): TargetingNode {
  if (cfg === null || cfg === undefined) return EVERYONE;
  try {
    return compileTree(cfg);
  } catch (e) {
    log(`invalid targeting tree, targeting no one: ${(e as Error).message}`);
    return NO_ONE;
  }
}

// ---------------------------------------------------------------------------------------------
// Config loading (`providers/__init__.py` parse_experiment and the from_dict constructors)

/** The body-derived fields of a definition. */
type Body = Pick<
  VariantExperiment,
  'version' | 'hash' | 'allocator' | 'logBucketing' | 'targeting' | 'overrides' | 'r2'
>;

const trunc = Math.trunc; // Python's int() of a float
// Python's `cfg.get(key, default)`: only a missing key takes the default; null is None.
const getOr = (v: unknown, d: unknown) => (v === undefined ? d : v);

type RawVariant = Record<string, unknown> & { name: string };

// `n` variants exactly, or at least `-n` when negative.
function variantList(cfg: Record<string, unknown>, n: number, what: string): RawVariant[] {
  const variants = cfg.variants ?? [];
  if (!Array.isArray(variants) || !variants.every(isObject)) return fail('variants must be a list of objects');
  if (n > 0 ? variants.length !== n : variants.length < -n) return fail(what);
  // Baseplate would return a non-string name as the variant, or crash on a missing one.
  if (!variants.every((v) => typeof v.name === 'string')) fail('every variant needs a string name');
  return variants as RawVariant[];
}
const size = (v: Record<string, unknown>) => (isNum(v.size) ? v.size : fail('variant size missing or not a number'));

function simpleAllocator(type: string, cfg: Record<string, unknown>, N: number): VariantAllocator {
  if (type === 'single_variant') {
    const [a, b] = variantList(cfg, 2, 'single_variant expects exactly two variants');
    const total = size(a) + size(b);
    if (total < 0 || total > 1) fail('sum of variant sizes must be between 0 and 1');
    const lowEnd = trunc(size(a) * N);
    return { kind: 'twoEnded', low: a.name, lowEnd, high: b.name, highStart: N - trunc(size(b) * N) };
  }
  if (type === 'feature_rollout') {
    const [v] = variantList(cfg, 1, 'feature_rollout expects exactly one variant');
    if (size(v) < 0 || size(v) > 1) fail('variant size must be between 0 and 1');
    return { kind: 'ranges', ranges: [{ variant: v.name, start: 0, end: trunc(size(v) * N) }] };
  }
  if (type === 'multi_variant') {
    // Contiguous, each ⌊s·N⌋ wide. A negative size can make a range empty; a first-match scan
    // over [start, end) then gives the same answer as baseplate's `bucket < offset` scan.
    let offset = 0;
    const ranges = variantList(cfg, -3, 'multi_variant expects three or more variants').map((v) => {
      const start = offset;
      offset += trunc(size(v) * N);
      return { variant: v.name, start, end: offset };
    });
    if (offset > N) fail('sum of variant sizes is greater than 100%');
    return { kind: 'ranges', ranges };
  }
  // range_variant: the total checked is Σ⌊(end−start)·N⌋, as baseplate does, not Σ of widths.
  let total = 0;
  const ranges = variantList(cfg, -1, 'range_variant expects at least one variant').map((v) => {
    if (!isNum(v.range_start) || !isNum(v.range_end)) return fail('variant range invalid');
    total += trunc((v.range_end - v.range_start) * N);
    return { variant: v.name, start: trunc(v.range_start * N), end: trunc(v.range_end * N) };
  });
  if (total > N) fail('sum of variant sizes is greater than 100%');
  return { kind: 'ranges', ranges };
}

const versionOf = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? v : null);

function bucketValName(cfg: Record<string, unknown>): string {
  const v = getOr(cfg.bucket_val, 'user_id');
  // Baseplate compares bucket_val with lowercased attribute names, so a mixed-case bucket_val
  // could never match there; we lowercase it instead.
  return typeof v === 'string' ? v.toLowerCase() : fail('bucket_val must be a string');
}

function simpleBody(
  type: string,
  id: number,
  rawName: unknown,
  cfg: Record<string, unknown>,
  log: (m: string) => void,
): Body {
  const N = getOr(cfg.num_buckets, 1000);
  if (typeof N !== 'number' || !Number.isInteger(N) || N < 1 || N > MAX_BUCKETS) {
    fail('num_buckets must be a positive integer');
  }
  const numBuckets = N;
  const version = cfg.experiment_version;
  if (!truthy(version)) fail('experiment_version must be provided');
  const str = (v: unknown, what: string) => pythonStr(v) ?? fail(`${what} must be a string or number`);
  const seed =
    cfg.bucket_seed != null
      ? str(cfg.bucket_seed, 'bucket_seed')
      : `${id}.${str(rawName, 'name')}.${str(cfg.shuffle_version, 'shuffle_version')}`;
  const overrides: VariantExperiment['overrides'] = [];
  const oc = cfg.overrides;
  if (truthy(oc) && !Array.isArray(oc)) log('invalid overrides (expected a list), ignoring them');
  if (Array.isArray(oc)) {
    for (const entry of oc) {
      if (!isObject(entry) || Object.keys(entry).length > 1) {
        log('invalid override entry (expected {variant: tree}), ignoring it');
        continue;
      }
      for (const variant of Object.keys(entry)) {
        overrides.push({ variant, targeting: targetingOrNoOne(entry[variant], log) });
      }
    }
  }
  return {
    version: versionOf(version),
    hash: { kind: 'sha1_mod', seed, bucketVal: bucketValName(cfg), numBuckets },
    allocator: simpleAllocator(type, cfg, numBuckets),
    logBucketing: truthy(getOr(cfg.log_bucketing, true)),
    targeting: targetingOrNoOne(cfg.targeting, log),
    overrides,
  };
}

/** Pops `__case_sensitive__` and lowercases param names; both sections of r2 share this shape. */
function r2Section(raw: unknown, what: string): { entries: Array<[string, unknown]>; caseSensitive: string[] } {
  if (!truthy(raw)) return { entries: [], caseSensitive: [] };
  if (!isObject(raw)) return fail(`${what} must be an object`);
  const cs = getOr(raw.__case_sensitive__, []);
  if (!Array.isArray(cs) || !cs.every((p) => typeof p === 'string')) {
    return fail(`${what}.__case_sensitive__ must be a list of strings`);
  }
  const entries: Array<[string, unknown]> = [];
  for (const key of Object.keys(raw)) {
    if (key === '__case_sensitive__') continue;
    const param = key.toLowerCase();
    // Two params that lowercase alike: the later one's values win, at the earlier one's place (a dict).
    const at = entries.findIndex((e) => e[0] === param);
    if (at >= 0) entries[at] = [param, raw[key]];
    else entries.push([param, raw[key]]);
  }
  return { entries, caseSensitive: cs.map((p: string) => p.toLowerCase()) };
}

function r2Body(type: string, rawName: unknown, cfg: Record<string, unknown>): Body {
  const variants = cfg.variants;
  if (!isObject(variants) || Object.keys(variants).length === 0) fail('variants must be a non-empty object');
  const names = Object.keys(variants).sort(compareStr);
  const percents = names.map((n) => {
    const p = variants[n];
    return isNum(p) ? p : fail('variant percentages must be numbers');
  });
  if (type === 'feature_flag' && (names.length !== 1 || names[0] !== 'active')) {
    fail('a feature_flag has only the variant "active"');
  }
  const t = r2Section(cfg.targeting, 'targeting');
  const targeting = t.entries.map(([param, values]): [string, unknown[]] => {
    if (!Array.isArray(values)) return fail(`targeting.${param} must be a list`);
    const fold = !t.caseSensitive.includes(param);
    return [param, values.map((v) => (fold && typeof v === 'string' ? v.toLowerCase() : v))];
  });
  const o = r2Section(cfg.overrides, 'overrides');
  const overrides = o.entries.map(([param, map]): [string, Record<string, unknown>] => {
    if (!isObject(map)) return fail(`overrides.${param} must be an object`);
    // Null prototype: override values such as "__proto__" stay plain keys.
    const out = Object.create(null) as Record<string, unknown>;
    const fold = !o.caseSensitive.includes(param);
    for (const k of Object.keys(map)) out[fold ? k.toLowerCase() : k] = map[k];
    return [param, out];
  });
  const newerThan = cfg.newer_than ?? null;
  if (newerThan !== null && !isNum(newerThan)) fail('newer_than must be a number');
  const seed = pythonStr(truthy(cfg.seed) ? cfg.seed : rawName) ?? fail('seed must be a string or number');
  return {
    version: null, // the top-level `version`, set by the caller
    hash: { kind: 'sha1_mod', seed, bucketVal: bucketValName(cfg), numBuckets: 1000 },
    allocator: { kind: 'interleaved', names, percents },
    logBucketing: type === 'r2',
    targeting: NO_ONE,
    overrides: [],
    r2: {
      targeting,
      overrides,
      caseSensitiveTargeting: t.caseSensitive,
      caseSensitiveOverrides: o.caseSensitive,
      newerThan,
    },
  };
}

/** A body for experiments whose body baseplate never reads (global override, disabled r2, unknown type). */
const inert = (): Body => ({
  version: null,
  hash: { kind: 'sha1_mod', seed: '', bucketVal: 'user_id', numBuckets: 1000 },
  allocator: { kind: 'ranges', ranges: [] },
  logBucketing: false,
  targeting: NO_ONE,
  overrides: [],
});

// `expires` is a "%Y-%m-%d" date, read as midnight UTC.
function parseExpires(v: unknown): number {
  const m = typeof v === 'string' ? /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v) : null;
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(0);
    date.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which maps years 0–99 to 19xx
    if (y >= 1 && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d) return date.getTime() / 1000;
  }
  return fail('expires must be a "YYYY-MM-DD" date');
}

function parseExperiment(key: string, config: unknown, log: (m: string) => void): VariantExperiment {
  if (!isObject(config)) return fail('experiment config must be an object');
  const rawType = config.type;
  if (truthy(rawType) && typeof rawType !== 'string') fail('type must be a string');
  const lowered = typeof rawType === 'string' ? rawType.toLowerCase() : '';
  const id = config.id;
  if (typeof id !== 'number' || !Number.isInteger(id)) return fail('integer id must be provided');
  let start = config.start_ts;
  let stop = config.stop_ts;
  if (start == null || stop == null) {
    if (!hasOwn(config, 'expires')) fail('missing start_ts and/or stop_ts');
    // Legacy: baseplate starts the experiment when the file is parsed. We have no clock here,
    // so it is "started since the epoch", which gives the same answers.
    start = 0;
    stop = parseExpires(config.expires);
  }
  if (!isNum(start) || !isNum(stop)) return fail('start_ts and stop_ts must be numbers');
  const legacy = LEGACY.has(lowered);
  const type = (legacy || SIMPLE.has(lowered) ? lowered : 'unknown') as VariantExperimentType;
  const enabled = truthy(getOr(config.enabled, true));
  // Baseplate returns a disabled r2/feature_flag before it looks at anything else.
  const disabledLegacy = legacy && !enabled;
  if (!disabledLegacy && !hasOwn(config, 'experiment')) fail('missing "experiment"');
  const hasOverride = !disabledLegacy && hasOwn(config, 'global_override');
  const override = config.global_override;
  if (hasOverride && override !== null && typeof override !== 'string') {
    fail('global_override must be a string or null');
  }

  const body = config.experiment;
  const ctx = (m: string) => log(`experiment ${key}: ${m}`);
  const parseBody = (): Body => {
    if (type === 'unknown') return inert();
    if (!isObject(body)) return fail('"experiment" must be an object');
    return legacy ? r2Body(type, config.name, body) : simpleBody(type, id, config.name, body, ctx);
  };
  // Baseplate never reads the body of a disabled r2/feature_flag or of a globally overridden
  // experiment, so a bad body must not reject those; otherwise it does.
  let parsed: Body;
  if (disabledLegacy || hasOverride) {
    try {
      parsed = parseBody();
    } catch {
      parsed = inert();
    }
  } else parsed = parseBody();
  if (type === 'unknown' && !hasOverride) ctx(`unknown experiment type "${String(rawType)}", it will return null`);

  const def: VariantExperiment = {
    name: typeof config.name === 'string' ? config.name : key,
    id,
    owner: typeof config.owner === 'string' ? config.owner : null,
    ...parsed,
    version: legacy ? versionOf(config.version) : parsed.version,
    type,
    startTs: start,
    stopTs: stop,
    enabled,
  };
  if (hasOverride) def.globalOverride = override as string | null;
  return def;
}

/**
 * Convert baseplate's experiment config file (`{name: {id, type, start_ts, stop_ts, experiment, …}}`,
 * parsed or as a JSON string) into variant experiment definitions, keyed as in the file.
 *
 * Validates as baseplate does: an invalid experiment is reported through `log` and left out;
 * this never throws. An unknown `type` is kept and always gives null (baseplate's behaviour),
 * and so is everything baseplate accepts without reading it (see `globalOverride`).
 * The result has a null prototype, so an experiment named `__proto__` is just a key.
 */
export function parseBaseplateConfig(json: unknown, log?: Log): Record<string, VariantExperiment> {
  const out = Object.create(null) as Record<string, VariantExperiment>;
  const say = (msg: string, ctx?: object) => {
    try {
      log?.(msg, ctx);
    } catch {
      // A throwing logger must not break loading.
    }
  };
  let data = json;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch (e) {
      say('experiment config is not valid JSON', { error: (e as Error).message });
      return out;
    }
  }
  if (!isObject(data)) {
    say('experiment config must be a JSON object');
    return out;
  }
  for (const key of Object.keys(data)) {
    try {
      out[key] = parseExperiment(key, data[key], (m) => say(m, { experiment: key }));
    } catch (e) {
      // Mostly `fail()`; anything else would be our bug, and still must not break loading.
      const error = e instanceof Error ? e.message : String(e);
      say(`invalid configuration for experiment ${key}: ${error}`, { experiment: key, error });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Choosing

// Python's `{k.lower(): v for k, v in kwargs.items()}`: on a clash the later key wins.
function lowerKeys(attrs: Record<string, unknown>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(attrs)) out[k.toLowerCase()] = attrs[k];
  return out;
}

/** The allocator's variant for integer bucket `b`, or null. */
export function allocate(allocator: VariantAllocator, b: number, numBuckets: number): string | null {
  if (allocator.kind === 'twoEnded') {
    if (b < allocator.lowEnd) return allocator.low;
    return b >= allocator.highStart ? allocator.high : null;
  }
  if (allocator.kind === 'ranges') {
    for (const r of allocator.ranges) if (r.start <= b && b < r.end) return r.variant;
    return null;
  }
  // r2: candidate = names[b mod k]; in only if b < ⌊p·k·N/100⌋, so each variant is capped at
  // 1/k and growing a percentage never moves anyone between variants. The product is taken in
  // baseplate's order, p·k·(N/100), so float rounding matches.
  const k = allocator.names.length;
  if (k === 0) return null;
  const i = b % k;
  return b < trunc(allocator.percents[i] * k * (numBuckets / 100)) ? allocator.names[i] : null;
}

/**
 * Baseplate's bucketing id `"{name}:{bucket_val}:{str(value)}"`, used to log one `choose` event
 * per id per request; null when the bucket value is missing or falsy (then nothing is logged).
 */
export function bucketingId(def: VariantExperiment, attributes: Record<string, unknown>): string | null {
  return idFrom(def, lowerKeys(attributes));
}

// Baseplate reads the id's value from the raw attributes but buckets on the lowercased ones;
// we use the lowercased ones for both, so `User_ID` both buckets and logs.
function idFrom(def: VariantExperiment, lower: Record<string, unknown>): string | null {
  const v = lower[def.hash.bucketVal];
  const s = truthy(v) ? pythonStr(v) : null;
  return s === null ? null : `${def.name}:${def.hash.bucketVal}:${s}`;
}

function r2Override(r2: R2Settings, attrs: Record<string, unknown>): unknown {
  for (const [param, map] of r2.overrides) {
    if (!(param in attrs)) continue;
    const v = attrs[param];
    for (const value of Array.isArray(v) ? v : [v]) {
      // Config keys are strings, so only a string can match (Python: 1 != "1").
      if (typeof value !== 'string') continue;
      const key = r2.caseSensitiveOverrides.includes(param) ? value : value.toLowerCase();
      const variant = hasOwn(map, key) ? map[key] : null;
      if (variant != null) return variant; // the first hit decides, even if not a variant
    }
  }
  return null;
}

function r2Targeted(r2: R2Settings, attrs: Record<string, unknown>): boolean {
  for (const [param, allowed] of r2.targeting) {
    if (!(param in attrs)) continue;
    const v = attrs[param];
    for (const value of Array.isArray(v) ? v : [v]) {
      const final =
        typeof value === 'string' && !r2.caseSensitiveTargeting.includes(param) ? value.toLowerCase() : value;
      if (!pyIn(final, allowed)) continue;
      if (param !== 'logged_in' || !truthy(r2.newerThan)) return true;
      const created = attrs.user_created;
      const c = truthy(created) ? pyCompare(created, r2.newerThan) : null;
      if (c !== null && c > 0) return true;
    }
  }
  return false; // empty targeting means no one
}

/**
 * Baseplate's `variant()` for one definition: which variant `attributes` get at `nowSeconds`,
 * and whether a `choose` event is due. Attribute names are matched case-insensitively for the
 * bucket value and r2 params, case-sensitively by targeting trees (as baseplate does).
 *
 * Order, simple types: global override → enabled → schedule [start, stop) → bucket value
 * present and non-null → overrides → targeting → bucket.
 * r2/feature_flag: enabled → schedule → global override → override (only if the variant
 * exists) → bucket value → targeting → bucket.
 */
export function chooseVariant(
  def: VariantExperiment,
  attributes: Record<string, unknown>,
  nowSeconds: number,
): VariantChoice {
  const none = (reason: VariantReason, bucket?: number): VariantChoice =>
    bucket === undefined ? { variant: null, log: false, reason } : { variant: null, log: false, bucket, reason };
  const attrs = isObject(attributes) ? attributes : {};
  const legacy = def.r2 !== undefined || LEGACY.has(def.type);
  // Baseplate checks r2/feature_flag schedules once, at parse time, with an inclusive stop;
  // evaluating at call time over [start, stop) for every type differs only at the stop instant.
  const inSchedule = def.startTs <= nowSeconds && nowSeconds < def.stopTs;
  const gate = () => (!def.enabled ? none('disabled') : !inSchedule ? none('schedule') : null);
  if (legacy) {
    const closed = gate();
    if (closed) return closed;
  }
  if (def.globalOverride !== undefined) return { variant: def.globalOverride, log: false, reason: 'globalOverride' };
  if (def.type === 'unknown') return none('unknownType');
  const closed = gate();
  if (closed) return closed;

  const lower = lowerKeys(attrs);
  const chosen = (variant: string, reason: VariantReason, bucket?: number): VariantChoice => {
    const log = def.logBucketing && idFrom(def, lower) !== null;
    return bucket === undefined ? { variant, log, reason } : { variant, log, bucket, reason };
  };
  if (def.r2) {
    const o = r2Override(def.r2, lower);
    if (typeof o === 'string' && def.allocator.kind === 'interleaved' && def.allocator.names.includes(o)) {
      return chosen(o, 'override');
    }
  }
  const value = lower[def.hash.bucketVal];
  if (value == null) return none('missingBucketValue');
  if (!def.r2) {
    // `if override:` in baseplate, so an empty variant name does not count.
    for (const o of def.overrides) {
      if (o.variant && evalTargeting(o.targeting, attrs)) return chosen(o.variant, 'override');
    }
  }
  if (!(def.r2 ? r2Targeted(def.r2, lower) : evalTargeting(def.targeting, attrs))) return none('notTargeted');
  const str = pythonStr(value);
  if (str === null) return none('invalidBucketValue');
  const bucket = sha1ModBucket(def.hash.seed, str, def.hash.numBuckets);
  const variant = allocate(def.allocator, bucket, def.hash.numBuckets);
  return variant === null ? none('notAllocated', bucket) : chosen(variant, 'bucketed', bucket);
}

/** The variant names an allocator can give, in a stable order (the "variations" of events). */
function variantNames(allocator: VariantAllocator): string[] {
  if (allocator.kind === 'twoEnded') return [allocator.low, allocator.high];
  if (allocator.kind === 'ranges') return allocator.ranges.map((r) => r.variant);
  return allocator.names;
}

/**
 * Baseplate's experiment config file as Splitflap experiment definitions for
 * `createClient({ experiments })`: `client.variant(name)` then buckets exactly as baseplate
 * (sha1 of seed and bucket value, mod N, the same allocators, targeting and overrides) and logs
 * each bucketing event once per (experiment, visitor, variant), with `id`, `owner` and
 * `version` passed through on the event's experiment.
 */
export function loadBaseplateConfig(json: unknown, log?: Log): Record<string, ExperimentDefinition> {
  const parsed = parseBaseplateConfig(json, log);
  const out = Object.create(null) as Record<string, ExperimentDefinition>;
  for (const key of Object.keys(parsed)) {
    const def = parsed[key];
    const experiment: Experiment = {
      key,
      variations: variantNames(def.allocator),
      id: def.id,
      owner: def.owner ?? undefined,
      version: def.version ?? undefined,
      hashAttribute: def.hash.bucketVal,
    };
    out[key] = {
      id: def.id,
      owner: experiment.owner,
      version: experiment.version,
      startTs: def.startTs,
      stopTs: def.stopTs,
      enabled: def.enabled,
      choose(attributes, nowSeconds) {
        const choice = chooseVariant(def, attributes, nowSeconds);
        if (!choice.log || choice.variant === null) return { variant: choice.variant };
        const result: ExperimentResult = {
          key: choice.variant,
          value: choice.variant,
          variationId: Math.max(0, experiment.variations.indexOf(choice.variant)),
          inExperiment: true,
          hashUsed: choice.reason === 'bucketed',
          hashAttribute: def.hash.bucketVal,
          hashValue: pythonStr(lowerKeys(attributes)[def.hash.bucketVal]) ?? '',
          featureId: null,
          stickyBucketUsed: false,
        };
        if (choice.bucket !== undefined) result.bucket = choice.bucket / def.hash.numBuckets;
        return { variant: choice.variant, event: [experiment, result] };
      },
    };
  }
  return out;
}
