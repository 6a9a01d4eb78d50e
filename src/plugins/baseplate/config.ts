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
import { isObject } from '../../conditions';
import { fail, NO_ONE, EVERYONE, compileTree, targetingOrNoOne } from './targeting';
import { compareStr, hasOwn, isNum, pythonStr, truthy, type Log } from './python';
import type { R2Settings, TargetingNode, VariantAllocator, VariantExperiment, VariantExperimentType } from './types';

export const LEGACY = new Set(['r2', 'feature_flag']);
const SIMPLE = new Set(['single_variant', 'multi_variant', 'feature_rollout', 'range_variant']);
// Horner reduction mod N stays exact while N·16 < 2^53.
const MAX_BUCKETS = 2 ** 48;

// ---------------------------------------------------------------------------------------------
// Config loading (`providers/__init__.py` parse_experiment and the from_dict constructors)

/** The body-derived fields of a definition. */
type Body = Pick<
  VariantExperiment,
  'version' | 'hash' | 'allocator' | 'logBucketing' | 'targeting' | 'overrides' | 'r2'
>;

export const trunc = Math.trunc; // Python's int() of a float
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

