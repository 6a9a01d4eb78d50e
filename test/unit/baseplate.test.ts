import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { allocate, bucketingId, chooseVariant } from '../../src/plugins/baseplate/choose';
import { parseBaseplateConfig } from '../../src/plugins/baseplate/config';
import { pythonStr, sha1ModBucket } from '../../src/plugins/baseplate/python';
import { evalTargeting } from '../../src/plugins/baseplate/targeting';
import type { VariantExperiment } from '../../src/plugins/baseplate/types';

// Independent reference for baseplate's bucket: int(sha1(seed + value).hexdigest(), 16) % N.
const reference = (seed: string, value: string, n = 1000) =>
  Number(BigInt('0x' + createHash('sha1').update(seed + value, 'utf8').digest('hex')) % BigInt(n));

const NOW = 1_700_000_000;
const DAY = 86_400;

type Cfg = Record<string, unknown>;
const experiment = (type: string, body: unknown, top: Cfg = {}): Cfg => ({
  id: 1,
  name: 'test_experiment',
  owner: 'test',
  type,
  version: '1',
  start_ts: NOW - 30 * DAY,
  stop_ts: NOW + 30 * DAY,
  experiment: body,
  ...top,
});
const simple = (type: string, variants: unknown, extra: Cfg = {}, top: Cfg = {}) =>
  experiment(type, { variants, experiment_version: 1, ...extra }, top);

/** Load one experiment, failing the test if it was rejected. */
function load(config: Cfg, key = String(config.name ?? 'exp')): VariantExperiment {
  const log = vi.fn();
  const def = parseBaseplateConfig({ [key]: config }, log)[key];
  if (!def) throw new Error(`rejected: ${JSON.stringify(log.mock.calls)}`);
  return def;
}
/** Load one experiment expecting it to be rejected and logged. */
function rejected(config: unknown): string {
  const log = vi.fn();
  const defs = parseBaseplateConfig({ bad: config, good: simple('feature_rollout', [{ name: 'on', size: 1 }]) }, log);
  expect(defs.bad).toBeUndefined();
  expect(defs.good).toBeDefined();
  expect(log).toHaveBeenCalledTimes(1);
  expect(log.mock.calls[0][1]).toMatchObject({ experiment: 'bad' });
  return String(log.mock.calls[0][0]);
}

const choose = (def: VariantExperiment, attrs: Record<string, unknown>, now = NOW) => chooseVariant(def, attrs, now);
const allocateAll = (def: VariantExperiment) =>
  Array.from({ length: def.hash.numBuckets }, (_, b) => allocate(def.allocator, b, def.hash.numBuckets));
const count = (xs: Array<string | null>) => {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1;
  return out;
};

describe('bucket hash (sha1_mod)', () => {
  it('reproduces the spec’s check and baseplate’s test values', () => {
    // Spec "Checks": seed "test" (an r2 experiment named test, whose seed defaults to its
    // name) + "t2_1" with no separator, the full 160-bit digest mod 1000 → 236.
    expect(sha1ModBucket('test', 't2_1', 1000)).toBe(236);
    // The other values in baseplate's r2_tests / simple_experiment_tests.
    expect(sha1ModBucket('test-seed', 't2_1', 1000)).toBe(595);
    expect(sha1ModBucket('1.test_experiment.None', 't2_1', 1000)).toBe(867);
    expect(sha1ModBucket('some new seed', 't2_1', 1000)).toBe(924);
  });

  it('gets 236 through the whole r2 pipeline too', () => {
    const def = load(
      experiment('r2', { variants: { control_1: 10, control_2: 10 }, targeting: { logged_in: [true] } }, { name: 'test' }),
    );
    expect(def.hash.seed).toBe('test');
    // 236 mod 2 = 0 → control_1, but 236 ≥ ⌊10·2·10⌋ = 200, so outside the variant.
    expect(choose(def, { user_id: 't2_1', logged_in: true })).toEqual({ variant: null, log: false, bucket: 236, reason: 'notAllocated' });
  });

  it('matches a BigInt reference for many values and bucket counts', () => {
    for (const n of [1, 2, 3, 7, 100, 1000, 9973, 2 ** 31, 2 ** 48]) {
      for (let i = 0; i < 100; i++) expect(sha1ModBucket('seed.', `t2_${i}`, n)).toBe(reference('seed.', `t2_${i}`, n));
    }
  });

  it('stringifies values as Python’s str() (pinned with python3)', () => {
    // Expected buckets computed with python3: int(sha1(("%s%s" % ("seed", v)).encode()).hexdigest(), 16) % 1000
    const cases: Array<[unknown, string, number]> = [
      [true, 'True', 143],
      [false, 'False', 447],
      [42, '42', 694],
      [-7, '-7', 369],
      [0.5, '0.5', 970],
      [1.5e-5, '1.5e-05', 262],
      [0.0001, '0.0001', 755],
      [123456789012, '123456789012', 782],
      [1e20, '100000000000000000000', 523],
      ['héllo', 'héllo', 847],
    ];
    for (const [value, str, bucket] of cases) {
      expect(pythonStr(value)).toBe(str);
      expect(sha1ModBucket('seed', str, 1000)).toBe(bucket);
    }
    expect(pythonStr(null)).toBe('None');
    expect(pythonStr(undefined)).toBe('None');
    expect(pythonStr(-1e-7)).toBe('-1e-07');
    expect(pythonStr(Number.NaN)).toBe('nan');
    expect(pythonStr(-Infinity)).toBe('-inf');
    expect(pythonStr(10n)).toBe('10');
    expect(pythonStr({})).toBeNull();
    expect(pythonStr([1])).toBeNull();
  });

  it('buckets numeric and boolean bucket values by their Python string', () => {
    const def = load(simple('feature_rollout', [{ name: 'on', size: 1 }], { bucket_seed: 'seed' }));
    expect(choose(def, { user_id: true }).bucket).toBe(143);
    expect(choose(def, { user_id: 42 }).bucket).toBe(694);
  });
});

describe('seeds', () => {
  it('simple types: "{id}.{name}.{shuffle_version}", absent shuffle_version → "None"', () => {
    expect(load(simple('single_variant', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }])).hash.seed).toBe('1.test_experiment.None');
    const shuffled = simple('single_variant', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }], { shuffle_version: 2 });
    expect(load(shuffled).hash.seed).toBe('1.test_experiment.2');
    expect(load(simple('feature_rollout', [{ name: 'a', size: 1 }], { bucket_seed: 'some new seed' })).hash.seed).toBe('some new seed');
    // `bucket_seed` is used whenever it is not None, even when empty.
    expect(load(simple('feature_rollout', [{ name: 'a', size: 1 }], { bucket_seed: '' })).hash.seed).toBe('');
    // A missing name is None in baseplate's format string too.
    expect(load(simple('feature_rollout', [{ name: 'a', size: 1 }], {}, { name: undefined }), 'key').hash.seed).toBe('1.None.None');
  });

  it('simple types bucket on the default seed as baseplate does (867 for t2_1)', () => {
    const def = load(simple('single_variant', [{ name: 'variant_1', size: 0.1 }, { name: 'variant_2', size: 0.1 }]));
    // 867 is in neither [0, 100) nor [900, 1000).
    expect(choose(def, { user_id: 't2_1' })).toMatchObject({ variant: null, bucket: 867, reason: 'notAllocated' });
  });

  it('r2: `seed` when truthy, else the name', () => {
    const body = { variants: { a: 10 } };
    expect(load(experiment('r2', body, { name: 'my_exp' })).hash.seed).toBe('my_exp');
    expect(load(experiment('r2', { ...body, seed: 'test-seed' }, { name: 'my_exp' })).hash.seed).toBe('test-seed');
    expect(load(experiment('r2', { ...body, seed: '' }, { name: 'my_exp' })).hash.seed).toBe('my_exp');
  });
});

describe('variant sizing at the boundaries', () => {
  it('single_variant: v0 if b < ⌊s0·N⌋, v1 if b ≥ N − ⌊s1·N⌋', () => {
    const def = load(simple('single_variant', [{ name: 'v0', size: 0.1 }, { name: 'v1', size: 0.2 }]));
    expect(def.allocator).toEqual({ kind: 'twoEnded', low: 'v0', lowEnd: 100, high: 'v1', highStart: 800 });
    const a = allocateAll(def);
    expect([a[0], a[99], a[100], a[799], a[800], a[999]]).toEqual(['v0', 'v0', null, null, 'v1', 'v1']);
    expect(count(a)).toEqual({ v0: 100, v1: 200, null: 700 });
  });

  it('single_variant truncates s·N as Python int() does (0.57·100 = 56.99…)', () => {
    const def = load(simple('single_variant', [{ name: 'v0', size: 0.57 }, { name: 'v1', size: 0.43 }], { num_buckets: 100 }));
    const a = allocateAll(def);
    expect(a[55]).toBe('v0');
    expect(a[56]).toBeNull(); // ⌊56.99999999999999⌋ = 56
    expect(a[57]).toBe('v1'); // 100 − ⌊43.00000000000001⌋ = 57
  });

  it('single_variant: 50/50 covers everyone, growing a size moves nobody from the other side', () => {
    expect(count(allocateAll(load(simple('single_variant', [{ name: 'a', size: 0.5 }, { name: 'b', size: 0.5 }]))))).toEqual({ a: 500, b: 500 });
    const small = allocateAll(load(simple('single_variant', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }])));
    const big = allocateAll(load(simple('single_variant', [{ name: 'a', size: 0.3 }, { name: 'b', size: 0.4 }])));
    small.forEach((v, b) => v !== null && expect(big[b]).toBe(v));
  });

  it('multi_variant: contiguous cumulative ranges of ⌊s·N⌋', () => {
    const def = load(simple('multi_variant', [{ name: 'a', size: 0.2 }, { name: 'b', size: 0.3 }, { name: 'c', size: 0.1 }]));
    const a = allocateAll(def);
    expect([a[0], a[199], a[200], a[499], a[500], a[599], a[600], a[999]]).toEqual(['a', 'a', 'b', 'b', 'c', 'c', null, null]);
    expect(count(a)).toEqual({ a: 200, b: 300, c: 100, null: 400 });
  });

  it('feature_rollout: active iff b < ⌊s·N⌋', () => {
    const a = allocateAll(load(simple('feature_rollout', [{ name: 'on', size: 0.25 }])));
    expect([a[0], a[249], a[250], a[999]]).toEqual(['on', 'on', null, null]);
    expect(allocateAll(load(simple('feature_rollout', [{ name: 'on', size: 0 }]))).every((v) => v === null)).toBe(true);
    expect(allocateAll(load(simple('feature_rollout', [{ name: 'on', size: 1 }]))).every((v) => v === 'on')).toBe(true);
  });

  it('range_variant: the first variant with ⌊start·N⌋ ≤ b < ⌊end·N⌋', () => {
    const def = load(
      simple('range_variant', [
        { name: 'a', range_start: 0.1, range_end: 0.3 },
        { name: 'b', range_start: 0.25, range_end: 0.35 },
        { name: 'c', range_start: 0.9, range_end: 1 },
      ]),
    );
    const a = allocateAll(def);
    expect([a[99], a[100], a[299], a[300], a[349], a[350], a[899], a[900], a[999]]).toEqual([null, 'a', 'a', 'b', 'b', null, null, 'c', 'c']);
    expect(a[260]).toBe('a'); // overlap: the first listed wins
  });

  it('r2: candidate = sorted(names)[b mod k], in if b < ⌊p·k·N/100⌋ (baseplate’s test_choose_variant)', () => {
    const r2 = (variants: Record<string, number>) => load(experiment('r2', { variants }, { name: 'r2exp' }));
    expect(count(allocateAll(r2({ control_1: 10, control_2: 10 })))).toEqual({ control_1: 100, control_2: 100, null: 800 });
    const three = r2({ remove_vote_counters: 5, control_1: 10, control_2: 5 });
    expect(three.allocator).toMatchObject({ names: ['control_1', 'control_2', 'remove_vote_counters'] });
    expect(count(allocateAll(three))).toEqual({ control_1: 100, control_2: 50, remove_vote_counters: 50, null: 800 });
    // Interleaved: buckets run control_1, control_2, remove_vote_counters, control_1, …
    expect(allocateAll(three).slice(0, 6)).toEqual(['control_1', 'control_2', 'remove_vote_counters', 'control_1', 'control_2', 'remove_vote_counters']);
    // Growing the percentages keeps everyone already in a variant where they were.
    const more = allocateAll(r2({ remove_vote_counters: 15.6, control_1: 10, control_2: 20 }));
    allocateAll(three).forEach((v, b) => v !== null && expect(more[b]).toBe(v));
    expect(count(more)).toMatchObject({ remove_vote_counters: 156, control_1: 100, control_2: 200 });
  });

  it('r2 caps each variant at 1/k (49/51 → 490/500)', () => {
    const r2 = (variants: Record<string, number>) => count(allocateAll(load(experiment('r2', { variants }, { name: 'x' }))));
    expect(r2({ control_1: 50, control_2: 50 })).toEqual({ control_1: 500, control_2: 500 });
    expect(r2({ control_1: 49, control_2: 51 })).toEqual({ control_1: 490, control_2: 500, null: 10 });
  });

  it('r2 sorts names by code point, as Python does', () => {
    // UTF-16 order would put "\u{1F600}" (a surrogate pair, 0xD83D…) before "\uFF41".
    const def = load(experiment('r2', { variants: { '\uFF41': 10, '\u{1F600}': 10, b: 10 } }, { name: 'x' }));
    expect(def.allocator).toMatchObject({ names: ['b', '\uFF41', '\u{1F600}'] });
  });
});

describe('chooseVariant: gates', () => {
  const rollout = (top: Cfg = {}, extra: Cfg = {}) => load(simple('feature_rollout', [{ name: 'on', size: 1 }], extra, top));

  it('buckets and logs a normal call', () => {
    const r = choose(rollout(), { user_id: 't2_1' });
    expect(r).toEqual({ variant: 'on', log: true, bucket: reference('1.test_experiment.None', 't2_1'), reason: 'bucketed' });
  });

  it('runs in [start_ts, stop_ts)', () => {
    const def = rollout({ start_ts: 1000, stop_ts: 2000 });
    expect(choose(def, { user_id: 'u' }, 999).reason).toBe('schedule');
    expect(choose(def, { user_id: 'u' }, 1000).variant).toBe('on');
    expect(choose(def, { user_id: 'u' }, 1999.5).variant).toBe('on');
    expect(choose(def, { user_id: 'u' }, 2000)).toEqual({ variant: null, log: false, reason: 'schedule' });
  });

  it('gives null when disabled (enabled is read with Python truthiness)', () => {
    expect(choose(rollout({ enabled: false }), { user_id: 'u' })).toEqual({ variant: null, log: false, reason: 'disabled' });
    expect(choose(rollout({ enabled: 0 }), { user_id: 'u' }).reason).toBe('disabled');
    expect(choose(rollout({ enabled: null }), { user_id: 'u' }).reason).toBe('disabled');
    expect(choose(rollout({ enabled: 'yes' }), { user_id: 'u' }).variant).toBe('on');
  });

  it('global override: everyone gets it (null included), no events; simple types even when disabled or stopped', () => {
    expect(choose(rollout({ global_override: 'forced' }), {})).toEqual({ variant: 'forced', log: false, reason: 'globalOverride' });
    const nul = rollout({ global_override: null });
    expect(nul.globalOverride).toBeNull();
    expect(choose(nul, { user_id: 'u' })).toEqual({ variant: null, log: false, reason: 'globalOverride' });
    expect(choose(rollout({ global_override: 'forced', enabled: false }), {}).variant).toBe('forced');
    expect(choose(rollout({ global_override: 'forced', stop_ts: NOW - DAY }), {}).variant).toBe('forced');
    expect('globalOverride' in rollout()).toBe(false);
  });

  it('global override on r2: disabled or out-of-schedule r2 gives null first', () => {
    const r2 = (top: Cfg) => load(experiment('r2', { variants: { a: 50 } }, { global_override: 'forced', ...top }));
    expect(choose(r2({}), {}).variant).toBe('forced');
    expect(choose(r2({ enabled: false }), {})).toEqual({ variant: null, log: false, reason: 'disabled' });
    expect(choose(r2({ stop_ts: NOW - DAY }), {})).toEqual({ variant: null, log: false, reason: 'schedule' });
  });

  it('needs the bucket value, present and non-null, looked up case-insensitively', () => {
    const def = rollout();
    expect(choose(def, { not_user_id: 't2_1' })).toEqual({ variant: null, log: false, reason: 'missingBucketValue' });
    expect(choose(def, { user_id: null }).reason).toBe('missingBucketValue');
    expect(choose(def, { user_id: undefined }).reason).toBe('missingBucketValue');
    expect(choose(def, { USER_ID: 't2_1' }).variant).toBe('on');
    expect(choose(def, { user_id: { a: 1 } }).reason).toBe('invalidBucketValue');
  });

  it('uses bucket_val (baseplate’s test_bucket_val)', () => {
    const def = rollout({}, { bucket_val: 'new_bucket_val' });
    expect(choose(def, { user_id: 't2_1' }).variant).toBeNull();
    expect(choose(def, { new_bucket_val: 'some_value' }).variant).toBe('on');
  });

  it('logs only a non-null variant of a logging experiment with a truthy bucket value', () => {
    expect(choose(rollout({}, { log_bucketing: false }), { user_id: 'u' })).toMatchObject({ variant: 'on', log: false });
    expect(choose(rollout({}, { log_bucketing: null }), { user_id: 'u' })).toMatchObject({ variant: 'on', log: false });
    const half = load(simple('feature_rollout', [{ name: 'on', size: 0.5 }]));
    for (let i = 0; i < 20; i++) {
      const r = choose(half, { user_id: `u${i}` });
      expect(r.log).toBe(r.variant !== null);
    }
    // A falsy bucket value still buckets, but baseplate has no bucketing id for it, so no event.
    expect(choose(rollout(), { user_id: 0 })).toMatchObject({ variant: 'on', log: false });
    expect(choose(rollout(), { user_id: '' })).toMatchObject({ variant: 'on', log: false });
  });

  it('bucketingId is "{name}:{bucket_val}:{str(value)}"', () => {
    const def = rollout();
    expect(bucketingId(def, { user_id: 't2_1' })).toBe('test_experiment:user_id:t2_1');
    expect(bucketingId(def, { User_Id: 7 })).toBe('test_experiment:user_id:7');
    expect(bucketingId(def, { user_id: true })).toBe('test_experiment:user_id:True');
    expect(bucketingId(def, { user_id: 0 })).toBeNull();
    expect(bucketingId(def, {})).toBeNull();
  });

  it('unknown types always give null (unless globally overridden), and are logged', () => {
    const log = vi.fn();
    const defs = parseBaseplateConfig(
      { odd: experiment('holdout', {}), forced: experiment('holdout', {}, { global_override: 'x' }), none: experiment('', {}) },
      log,
    );
    expect(choose(defs.odd, { user_id: 'u' })).toEqual({ variant: null, log: false, reason: 'unknownType' });
    expect(choose(defs.none, { user_id: 'u' }).reason).toBe('unknownType');
    expect(choose(defs.forced, { user_id: 'u' }).variant).toBe('x');
    expect(log).toHaveBeenCalledTimes(2);
  });
});

describe('chooseVariant: simple-type overrides and targeting', () => {
  const overrides = [
    { override_variant_1: { EQ: { field: 'user_id', value: 't2_1' } } },
    { override_variant_2: { EQ: { field: 'user_id', value: 't2_2' } } },
    { override_variant_3: { EQ: { field: 'user_id', values: ['t2_2', 't2_3'] } } },
    { override_variant_1: { EQ: { field: 'user_id', values: ['t2_1', 't2_4'] } } },
  ];
  const withOverrides = (extra: Cfg = {}) =>
    load(simple('single_variant', [{ name: 'a', size: 0.5 }, { name: 'b', size: 0.5 }], { overrides, ...extra }));

  it('takes the first matching override, in order, even for a variant not in the set', () => {
    const def = withOverrides();
    expect(choose(def, { user_id: 't2_1' })).toEqual({ variant: 'override_variant_1', log: true, reason: 'override' });
    expect(choose(def, { user_id: 't2_2' }).variant).toBe('override_variant_2');
    expect(choose(def, { user_id: 't2_3' }).variant).toBe('override_variant_3');
    expect(choose(def, { user_id: 't2_4' }).variant).toBe('override_variant_1');
    expect(choose(def, { user_id: 't2_5' }).reason).toBe('bucketed');
  });

  it('checks overrides after the bucket value and before targeting', () => {
    const def = withOverrides({ targeting: { OVERRIDE: false } });
    expect(choose(def, { user_id: 't2_1' }).variant).toBe('override_variant_1');
    expect(choose(def, { user_id: 't2_5' }).reason).toBe('notTargeted');
    const byName = load(
      simple('feature_rollout', [{ name: 'on', size: 1 }], { overrides: [{ staff: { EQ: { field: 'is_staff', value: true } } }] }),
    );
    expect(choose(byName, { is_staff: true }).reason).toBe('missingBucketValue');
  });

  it('skips malformed override entries (logged), keeps an invalid tree as "never"', () => {
    const log = vi.fn();
    const defs = parseBaseplateConfig(
      {
        e: simple('feature_rollout', [{ name: 'on', size: 0 }], {
          overrides: [
            { a: { EQ: { field: 'user_id', value: 'u' } }, b: { OVERRIDE: true } }, // two keys: skipped
            'nope', // not an object: skipped
            { bad: { EQUAL: { field: 'user_id', value: 'u' } } }, // invalid tree: never matches
            { everyone: null }, // no tree: matches everyone
          ],
        }),
      },
      log,
    );
    expect(defs.e.overrides.map((o) => o.variant)).toEqual(['bad', 'everyone']);
    expect(choose(defs.e, { user_id: 'u' }).variant).toBe('everyone');
    expect(log).toHaveBeenCalledTimes(3);
  });

  it('ignores overrides given as an object instead of a list (logged)', () => {
    const log = vi.fn();
    const defs = parseBaseplateConfig(
      { e: simple('feature_rollout', [{ name: 'on', size: 1 }], { overrides: { x: { OVERRIDE: true } } }) },
      log,
    );
    expect(defs.e.overrides).toEqual([]);
    expect(log).toHaveBeenCalledTimes(1);
  });

  it('targeting: absent → everyone; invalid → no one (logged)', () => {
    expect(choose(load(simple('feature_rollout', [{ name: 'on', size: 1 }])), { user_id: 'u' }).variant).toBe('on');
    const log = vi.fn();
    const defs = parseBaseplateConfig(
      { e: simple('feature_rollout', [{ name: 'on', size: 1 }], { targeting: { EQUAL: { field: 'x', value: 1 } } }) },
      log,
    );
    expect(choose(defs.e, { user_id: 'u', x: 1 })).toEqual({ variant: null, log: false, reason: 'notTargeted' });
    expect(log).toHaveBeenCalledTimes(1);
  });
});

describe('targeting trees', () => {
  const tree = (cfg: unknown) => load(simple('feature_rollout', [{ name: 'on', size: 1 }], { targeting: cfg })).targeting;
  const test = (cfg: unknown, attrs: Record<string, unknown>) => evalTargeting(tree(cfg), attrs);

  // baseplate's get_targeting_config()
  const example = {
    ALL: [
      { ANY: [{ EQ: { field: 'is_mod', value: true } }, { EQ: { field: 'user_id', values: ['t2_1', 't2_2', 't2_3', 't2_4'] } }] },
      { NOT: { EQ: { field: 'is_pita', value: true } } },
      { EQ: { field: 'is_logged_in', values: [true, false] } },
      { NOT: { EQ: { field: 'subreddit_id', values: ['t5_1', 't5_2'] } } },
      { ALL: [{ EQ: { field: 'random_numeric', values: [1, 2, 3, 4, 5] } }, { EQ: { field: 'random_numeric', value: 5 } }] },
    ],
  };

  it('evaluates baseplate’s example tree', () => {
    expect(test(example, { is_mod: true, is_logged_in: true, random_numeric: 5 })).toBe(true);
    expect(test(example, { user_id: 't2_3', is_logged_in: false, random_numeric: 5 })).toBe(true);
    expect(test(example, { user_id: 't2_9', is_logged_in: true, random_numeric: 5 })).toBe(false);
    expect(test(example, { is_mod: true, is_logged_in: true, random_numeric: 4 })).toBe(false);
    expect(test(example, { is_mod: true, is_logged_in: true, random_numeric: 5, is_pita: true })).toBe(false);
    expect(test(example, { is_mod: true, is_logged_in: true, random_numeric: 5, subreddit_id: 't5_2' })).toBe(false);
    expect(test(example, { is_mod: true, random_numeric: 5 })).toBe(false); // is_logged_in missing → None
  });

  it('ALL/ANY of nothing, NOT, OVERRIDE (only true is true)', () => {
    expect(test({ ALL: [] }, {})).toBe(true);
    expect(test({ ANY: [] }, {})).toBe(false);
    expect(test({ NOT: { OVERRIDE: true } }, {})).toBe(false);
    expect(test({ OVERRIDE: true }, {})).toBe(true);
    expect(test({ OVERRIDE: 'true' }, {})).toBe(false);
    expect(test({ OVERRIDE: 1 }, {})).toBe(false);
  });

  it('EQ is Python membership: True == 1, None for missing, `values: []` accepts None', () => {
    expect(test({ EQ: { field: 'n', value: true } }, { n: 1 })).toBe(true);
    expect(test({ EQ: { field: 'n', values: [1.0, 2] } }, { n: true })).toBe(true);
    expect(test({ EQ: { field: 'n', value: null } }, {})).toBe(true);
    expect(test({ EQ: { field: 'n', values: [] } }, {})).toBe(true);
    expect(test({ EQ: { field: 'n', values: [] } }, { n: 1 })).toBe(false);
    expect(test({ EQ: { field: 'n', value: [1, 2] } }, { n: [1, 2] })).toBe(true);
    expect(test({ EQ: { field: 'n', value: 'a' } }, { n: 'A' })).toBe(false); // no case folding
    // `values` as a string is Python's substring test.
    expect(test({ EQ: { field: 'n', values: 't2_1,t2_2' } }, { n: 't2_2' })).toBe(true);
    expect(test({ EQ: { field: 'n', values: 't2_1,t2_2' } }, { n: 2 })).toBe(false);
  });

  it('lowercases field names but not attribute names', () => {
    expect(test({ EQ: { field: 'User_Id', value: 't2_1' } }, { user_id: 't2_1' })).toBe(true);
    expect(test({ EQ: { field: 'user_id', value: 't2_1' } }, { USER_ID: 't2_1' })).toBe(false);
    expect(test({ all: [{ eq: { field: 'x', value: 1 } }], }, { x: 1 })).toBe(true); // operators too
  });

  it('GT/GE/LT/LE compare numbers and strings; None vs None is false; mixed types are false', () => {
    expect(test({ GT: { field: 'n', value: 5 } }, { n: 6 })).toBe(true);
    expect(test({ GT: { field: 'n', value: 5 } }, { n: 5 })).toBe(false);
    expect(test({ GE: { field: 'n', value: 5 } }, { n: 5 })).toBe(true);
    expect(test({ LT: { field: 'n', value: 5 } }, { n: 4.5 })).toBe(true);
    expect(test({ LE: { field: 'n', value: 5 } }, { n: 5 })).toBe(true);
    expect(test({ LE: { field: 'n', value: 5 } }, { n: 6 })).toBe(false);
    expect(test({ GT: { field: 'n', value: 0 } }, { n: true })).toBe(true); // True == 1
    expect(test({ LT: { field: 'v', value: 'b' } }, { v: 'a' })).toBe(true);
    expect(test({ GT: { field: 'v', value: '\uFF41' } }, { v: '\u{1F600}' })).toBe(true); // code-point order
    expect(test({ GT: { field: 'n', value: 5 } }, { n: '6' })).toBe(false); // Python would raise
    expect(test({ GT: { field: 'n', value: 5 } }, {})).toBe(false);
    expect(test({ LE: { field: 'n', value: null } }, {})).toBe(false);
    expect(test({ NE: { field: 'n', value: null } }, {})).toBe(false); // None vs None
    expect(test({ NE: { field: 'n', value: 1 } }, {})).toBe(true);
    expect(test({ NE: { field: 'n', value: 1 } }, { n: true })).toBe(false);
    expect(test({ NE: { field: 'n', value: 'a' } }, { n: 'b' })).toBe(true);
  });

  it('rejects malformed trees as a whole (no one)', () => {
    const bad = [
      { ALL: [], ANY: [] },
      { ALL: { EQ: { field: 'x', value: 1 } } },
      { NOT: [{ OVERRIDE: true }] },
      { NOT: { OVERRIDE: true, ALL: [] } },
      { EQ: { field: 'x' } },
      { EQ: { field: 'x', value: 1, values: [1] } },
      { EQ: { field: 1, value: 1 } },
      { GT: { field: 'x', values: [1] } },
      { ALL: [{ EQ: { field: 'x', value: 1 } }, { BETWEEN: {} }] },
      'ALL',
      [],
    ];
    for (const cfg of bad) expect(tree(cfg)).toEqual({ op: 'override', value: false });
  });
});

describe('chooseVariant: r2 and feature_flag', () => {
  const r2 = (body: Cfg, top: Cfg = {}) => load(experiment('r2', { variants: { active: 10, control_1: 10, control_2: 20 }, ...body }, top));

  it('returns an override even without a bucket value (baseplate’s test)', () => {
    const def = r2({ overrides: { user_name: { gary: 'active' } } });
    expect(choose(def, { user_name: 'gary' })).toEqual({ variant: 'active', log: false, reason: 'override' });
    expect(choose(def, {})).toEqual({ variant: null, log: false, reason: 'missingBucketValue' });
    // With a bucket value the override is logged.
    expect(choose(def, { user_name: 'gary', user_id: 't2_1' })).toMatchObject({ variant: 'active', log: true });
  });

  it('ignores an override naming no variant, and bucketing goes on', () => {
    const def = r2({ overrides: { user_name: { gary: 'nope', bob: 'active' } }, targeting: { logged_in: [true] } });
    expect(choose(def, { user_name: 'gary', user_id: 't2_1', logged_in: true }).reason).not.toBe('override');
    // The first value with an override decides: `gary` → "nope" stops the search before `bob`.
    expect(choose(def, { user_name: ['gary', 'bob'] }).reason).toBe('missingBucketValue');
    expect(choose(def, { user_name: ['carol', 'bob'] }).variant).toBe('active');
  });

  it('folds case for override values and param names, unless __case_sensitive__', () => {
    const folded = r2({ overrides: { User_Name: { Gary: 'active' } } });
    expect(choose(folded, { USER_NAME: 'GARY' }).variant).toBe('active');
    const sensitive = r2({ overrides: { user_name: { Gary: 'active' }, __case_sensitive__: ['User_Name'] } });
    expect(choose(sensitive, { user_name: 'Gary' }).variant).toBe('active');
    expect(choose(sensitive, { user_name: 'gary' }).variant).toBeNull();
    // Config keys are strings, so a non-string value never matches (Python: True != "true").
    expect(choose(r2({ overrides: { logged_in: { true: 'active' } } }), { logged_in: true }).variant).toBeNull();
  });

  it('targets nobody when targeting is empty', () => {
    expect(choose(r2({}), { user_id: 't2_1' })).toEqual({ variant: null, log: false, reason: 'notTargeted' });
  });

  it('targets anyone matching any param, folding case unless __case_sensitive__', () => {
    const def = r2({ targeting: { subreddit: ['Pics', 'AskReddit'], beta: [true] } });
    expect(def.r2?.targeting).toEqual([['subreddit', ['pics', 'askreddit']], ['beta', [true]]]);
    expect(choose(def, { user_id: 't2_1', subreddit: 'PICS' }).reason).not.toBe('notTargeted');
    expect(choose(def, { user_id: 't2_1', SubReddit: ['funny', 'askreddit'] }).reason).not.toBe('notTargeted');
    expect(choose(def, { user_id: 't2_1', beta: 1 }).reason).not.toBe('notTargeted'); // 1 == True
    expect(choose(def, { user_id: 't2_1', subreddit: 'funny' }).reason).toBe('notTargeted');
    const sensitive = r2({ targeting: { subreddit: ['Pics'], __case_sensitive__: ['subreddit'] } });
    expect(choose(sensitive, { user_id: 't2_1', subreddit: 'Pics' }).reason).not.toBe('notTargeted');
    expect(choose(sensitive, { user_id: 't2_1', subreddit: 'pics' }).reason).toBe('notTargeted');
  });

  it('logged_in with newer_than needs user_created > newer_than', () => {
    const def = r2({ targeting: { logged_in: [true] }, newer_than: 1000 });
    const at = (attrs: Record<string, unknown>) => choose(def, { user_id: 't2_1', logged_in: true, ...attrs }).reason;
    expect(at({ user_created: 1001 })).not.toBe('notTargeted');
    expect(at({ user_created: 1000 })).toBe('notTargeted');
    expect(at({})).toBe('notTargeted');
    expect(at({ user_created: '2000' })).toBe('notTargeted'); // Python would raise on str > int
    expect(choose(r2({ targeting: { logged_in: [true] } }), { user_id: 't2_1', logged_in: true }).reason).not.toBe('notTargeted');
    // Other params are not subject to newer_than.
    const both = r2({ targeting: { logged_in: [true], country: ['us'] }, newer_than: 1000 });
    expect(choose(both, { user_id: 't2_1', logged_in: true, country: 'US' }).reason).not.toBe('notTargeted');
  });

  it('buckets targeted users like the reference hash and logs them (r2), never for feature_flag', () => {
    const def = r2({ targeting: { logged_in: [true] } }, { name: 'exp' });
    const flag = load(experiment('feature_flag', { variants: { active: 50 }, targeting: { logged_in: [true] } }, { name: 'exp' }));
    let inVariant = 0;
    for (let i = 0; i < 300; i++) {
      const attrs = { user_id: `t2_${i}`, logged_in: true };
      const b = reference('exp', `t2_${i}`);
      const r = choose(def, attrs);
      expect(r.bucket).toBe(b);
      expect(r.variant).toBe(allocate(def.allocator, b, 1000));
      expect(r.log).toBe(r.variant !== null);
      const f = choose(flag, attrs);
      expect(f.variant).toBe(b < 500 ? 'active' : null);
      expect(f.log).toBe(false);
      if (f.variant) inVariant++;
    }
    expect(inVariant).toBeGreaterThan(100);
  });
});

describe('parseBaseplateConfig', () => {
  it('loads every type, case-insensitively, with the documented defaults', () => {
    const log = vi.fn();
    const defs = parseBaseplateConfig(
      {
        single: simple('Single_Variant', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }]),
        multi: simple('MULTI_VARIANT', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }, { name: 'c', size: 0.1 }]),
        rollout: simple('feature_rollout', [{ name: 'on', size: 0.5 }], { num_buckets: 100, log_bucketing: false }),
        range: simple('range_variant', [{ name: 'a', range_start: 0, range_end: 0.5 }]),
        r2: experiment('R2', { variants: { a: 10, b: 10 }, bucket_val: 'LOID' }),
        flag: experiment('Feature_Flag', { variants: { active: 10 } }),
      },
      log,
    );
    expect(log).not.toHaveBeenCalled();
    expect(Object.keys(defs)).toEqual(['single', 'multi', 'rollout', 'range', 'r2', 'flag']);
    expect(defs.single).toMatchObject({
      name: 'test_experiment',
      id: 1,
      owner: 'test',
      version: 1, // experiment_version, as baseplate
      type: 'single_variant',
      startTs: NOW - 30 * DAY,
      stopTs: NOW + 30 * DAY,
      enabled: true,
      hash: { kind: 'sha1_mod', seed: '1.test_experiment.None', bucketVal: 'user_id', numBuckets: 1000 },
      logBucketing: true,
      targeting: { op: 'override', value: true },
      overrides: [],
    });
    expect(defs.multi.allocator.kind).toBe('ranges');
    expect(defs.rollout).toMatchObject({ hash: { numBuckets: 100 }, logBucketing: false, allocator: { kind: 'ranges' } });
    expect(defs.range.allocator).toEqual({ kind: 'ranges', ranges: [{ variant: 'a', start: 0, end: 500 }] });
    expect(defs.r2).toMatchObject({ type: 'r2', version: '1', logBucketing: true, hash: { bucketVal: 'loid', numBuckets: 1000 } });
    expect(defs.r2.allocator).toEqual({ kind: 'interleaved', names: ['a', 'b'], percents: [10, 10] });
    expect(defs.flag).toMatchObject({ type: 'feature_flag', logBucketing: false });
  });

  it('accepts a JSON string, and keeps "__proto__" as a plain key', () => {
    const text = JSON.stringify({ a: simple('feature_rollout', [{ name: 'on', size: 1 }]) }).replace('"a"', '"__proto__"');
    const defs = parseBaseplateConfig(text);
    expect(Object.keys(defs)).toEqual(['__proto__']);
    expect(defs['__proto__'].type).toBe('feature_rollout');
    expect(Object.getPrototypeOf(defs)).toBeNull();
  });

  it('accepts the legacy `expires` date (midnight UTC) in place of start_ts/stop_ts', () => {
    const def = load(simple('feature_rollout', [{ name: 'on', size: 1 }], {}, { start_ts: undefined, stop_ts: undefined, expires: '2031-02-03' }));
    expect(def.stopTs).toBe(Date.UTC(2031, 1, 3) / 1000);
    expect(def.startTs).toBe(0); // baseplate: "now" when parsed, i.e. already started
    expect(choose(def, { user_id: 'u' }, Date.UTC(2031, 1, 2) / 1000).variant).toBe('on');
    expect(choose(def, { user_id: 'u' }, Date.UTC(2031, 1, 3) / 1000).reason).toBe('schedule');
  });

  it('skips a disabled r2 without reading its body, and a globally overridden experiment’s body', () => {
    expect(load(experiment('r2', 'garbage', { enabled: false })).enabled).toBe(false);
    const disabledNoBody = { ...experiment('r2', {}), enabled: false, experiment: undefined };
    expect(load(disabledNoBody).type).toBe('r2');
    const forced = load(simple('single_variant', [{ name: 'only-one', size: 0.5 }], {}, { global_override: 'x' }));
    expect(choose(forced, {}).variant).toBe('x');
  });

  it('never throws, even when the logger does', () => {
    const defs = parseBaseplateConfig({ bad: {} }, () => {
      throw new Error('logger down');
    });
    expect(Object.keys(defs)).toEqual([]);
    expect(() => parseBaseplateConfig('{not json', vi.fn())).not.toThrow();
    const log = vi.fn();
    expect(Object.keys(parseBaseplateConfig([1, 2], log))).toEqual([]);
    expect(Object.keys(parseBaseplateConfig(null, log))).toEqual([]);
    expect(log).toHaveBeenCalledTimes(2);
  });

  const base = simple('single_variant', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }]);
  const body = base.experiment as Cfg;
  const malformed: Array<[string, unknown]> = [
    ['not an object', 'x'],
    ['no id', { ...base, id: undefined }],
    ['a non-integer id', { ...base, id: 1.5 }],
    ['a string id', { ...base, id: '1' }],
    ['no start_ts', { ...base, start_ts: undefined }],
    ['no stop_ts', { ...base, stop_ts: null }],
    ['a string start_ts', { ...base, start_ts: 'yesterday' }],
    ['a bad expires date', { ...base, start_ts: undefined, expires: '2031-02-30' }],
    ['an expires that is not a date', { ...base, stop_ts: undefined, expires: 20310203 }],
    ['no experiment body', { ...base, experiment: undefined }],
    ['a non-string type', { ...base, type: 3 }],
    ['a non-string global_override', { ...base, global_override: 3 }],
    ['a body that is not an object', { ...base, experiment: [] }],
    ['no experiment_version', { ...base, experiment: { ...body, experiment_version: undefined } }],
    ['experiment_version 0', { ...base, experiment: { ...body, experiment_version: 0 } }],
    ['single_variant with three variants', simple('single_variant', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }, { name: 'c', size: 0.1 }])],
    ['single_variant sizes summing over 1', simple('single_variant', [{ name: 'a', size: 0.6 }, { name: 'b', size: 0.5 }])],
    ['single_variant with a size missing', simple('single_variant', [{ name: 'a', size: 0.1 }, { name: 'b' }])],
    ['a variant without a name', simple('single_variant', [{ name: 'a', size: 0.1 }, { size: 0.1 }])],
    ['a string size', simple('feature_rollout', [{ name: 'a', size: '0.5' }])],
    ['multi_variant with two variants', simple('multi_variant', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }])],
    ['multi_variant over 100%', simple('multi_variant', [{ name: 'a', size: 0.5 }, { name: 'b', size: 0.4 }, { name: 'c', size: 0.2 }])],
    ['feature_rollout with two variants', simple('feature_rollout', [{ name: 'a', size: 0.1 }, { name: 'b', size: 0.1 }])],
    ['feature_rollout size over 1', simple('feature_rollout', [{ name: 'a', size: 1.5 }])],
    ['range_variant without variants', simple('range_variant', [])],
    ['range_variant without range_end', simple('range_variant', [{ name: 'a', range_start: 0 }])],
    ['range_variant over 100%', simple('range_variant', [{ name: 'a', range_start: 0, range_end: 0.6 }, { name: 'b', range_start: 0.5, range_end: 1 }])],
    ['variants that are not a list', simple('multi_variant', { a: 0.1 })],
    ['num_buckets 0', simple('feature_rollout', [{ name: 'a', size: 1 }], { num_buckets: 0 })],
    ['fractional num_buckets', simple('feature_rollout', [{ name: 'a', size: 1 }], { num_buckets: 10.5 })],
    ['a non-string bucket_val', simple('feature_rollout', [{ name: 'a', size: 1 }], { bucket_val: 5 })],
    ['a null bucket_val (None, not the default)', simple('feature_rollout', [{ name: 'a', size: 1 }], { bucket_val: null })],
    ['a null num_buckets (None, not the default)', simple('feature_rollout', [{ name: 'a', size: 1 }], { num_buckets: null })],
    ['r2 without variants', experiment('r2', {})],
    ['r2 with empty variants', experiment('r2', { variants: {} })],
    ['r2 with a non-numeric percentage', experiment('r2', { variants: { a: '10' } })],
    ['r2 targeting values not a list', experiment('r2', { variants: { a: 10 }, targeting: { country: 'us' } })],
    ['r2 override values not an object', experiment('r2', { variants: { a: 10 }, overrides: { user: ['gary'] } })],
    ['r2 __case_sensitive__ not a list', experiment('r2', { variants: { a: 10 }, targeting: { __case_sensitive__: 'country' } })],
    ['r2 non-numeric newer_than', experiment('r2', { variants: { a: 10 }, newer_than: 'yesterday' })],
    ['feature_flag with another variant', experiment('feature_flag', { variants: { active: 10, other: 10 } })],
  ];

  it.each(malformed)('logs and skips an experiment with %s', (_label, config) => {
    expect(rejected(config)).toMatch(/^invalid configuration for experiment bad: /);
  });
});
