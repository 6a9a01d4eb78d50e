// @vitest-environment jsdom
// jsdom gives getBucket() a real sessionStorage, shared by every client in this "browser session".
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type ClientOptions, type Experiment, type ExperimentResult, type FeatureDefinitions, type FeatureMap, type Plugin } from '../../src/index';
import { baseplate, chooseVariant, loadBaseplateConfig, parseBaseplateConfig, type NamedExperiment } from '../../src/plugins/baseplate';
import { edx, edxBucket, type EdxExperiment } from '../../src/plugins/edx';

const T = 1_750_000_000; // epoch seconds: the experiments' start in the schedule tests

function make<const P extends readonly Plugin[] = []>(options: ClientOptions<P> = {}) {
  const onExposure = vi.fn<(experiment: Experiment, result: ExperimentResult) => void>();
  const log = vi.fn();
  const client = createClient<FeatureMap, P>({ clientId: 'visitor-1', cookie: false, stickyBucketStore: false, onExposure, log, ...options });
  return { client, onExposure, log };
}

/** A client with `edx(experiments)`: `getBucket`. */
const edxClient = ({ experiments, ...options }: ClientOptions & { experiments?: Record<string, EdxExperiment> } = {}) =>
  make({ ...options, plugins: [edx(experiments)] });

/** A client with `baseplate(experiments)`: `variant` and `expose`. */
const baseplateClient = ({ experiments = {}, ...options }: ClientOptions & { experiments?: Record<string, NamedExperiment> } = {}) =>
  make({ ...options, plugins: [baseplate(experiments)] });

beforeEach(() => sessionStorage.clear());
afterEach(() => vi.useRealTimers());

describe('schedules (startTs / stopTs)', () => {
  const at = (seconds: number) => {
    vi.useFakeTimers();
    vi.setSystemTime(seconds * 1000);
  };
  const inline: Experiment<string> = { key: 'scheduled', variations: ['control', 'treatment'], startTs: T, stopTs: T + 3600, hashVersion: 2 };

  it('inline experiments: control and no exposure outside [startTs, stopTs), bucketed and exposed inside', () => {
    // Many visitors, so a hash that happened to give control could not make the test pass.
    for (let i = 0; i < 40; i++) {
      const { client, onExposure } = make({ clientId: `v${i}` });
      for (const now of [T - 1, T + 3600, T + 7200]) {
        at(now);
        const result = client.run(inline);
        expect(result).toMatchObject({ inExperiment: false, variationId: 0, value: 'control', hashUsed: false });
      }
      expect(onExposure).not.toHaveBeenCalled();
      at(T); // the start is inclusive
      const inside = client.run(inline);
      expect(inside.inExperiment).toBe(true);
      expect(inside.hashUsed).toBe(true);
      expect(onExposure).toHaveBeenCalledTimes(1);
      expect(onExposure.mock.calls[0][0].key).toBe('scheduled');
      at(T + 3599.5);
      expect(client.run(inline).variationId).toBe(inside.variationId);
      at(T + 3600); // the stop is exclusive
      expect(client.run(inline).inExperiment).toBe(false);
      expect(onExposure).toHaveBeenCalledTimes(1);
    }
  });

  it('a schedule with only a start, or only a stop', () => {
    const { client } = make();
    at(T - 10);
    expect(client.run({ ...inline, stopTs: undefined }).inExperiment).toBe(false);
    expect(client.run({ ...inline, startTs: undefined }).inExperiment).toBe(true);
    at(T + 10_000);
    expect(client.run({ ...inline, stopTs: undefined }).inExperiment).toBe(true);
    expect(client.run({ ...inline, startTs: undefined }).inExperiment).toBe(false);
  });

  it('feature-rule experiments: the rule is skipped outside the schedule', () => {
    const features: FeatureDefinitions = {
      banner: { defaultValue: 'none', rules: [{ key: 'banner-test', variations: ['a', 'b'], startTs: T, stopTs: T + 60, hashVersion: 2 }] },
    };
    let inside = 0;
    for (let i = 0; i < 40; i++) {
      const { client, onExposure } = make({ clientId: `v${i}`, features });
      for (const now of [T - 0.5, T + 60]) {
        at(now);
        expect(client.evalFeature('banner')).toMatchObject({ value: 'none', source: 'defaultValue' });
      }
      expect(onExposure).not.toHaveBeenCalled();
      at(T + 30);
      const result = client.evalFeature('banner');
      expect(result.source).toBe('experiment');
      expect(['a', 'b']).toContain(result.value);
      expect(result.experimentResult!.hashUsed).toBe(true);
      expect(onExposure).toHaveBeenCalledTimes(1);
      if (result.value === 'b') inside++;
    }
    expect(inside).toBeGreaterThan(5);
    expect(inside).toBeLessThan(35);
  });
});

describe('kill switch and global override', () => {
  it('enabled: false beats forced variations and URL overrides (inline and feature rule)', () => {
    const features: FeatureDefinitions = {
      f: { defaultValue: 'default', rules: [{ key: 'killed', variations: ['a', 'b', 'c'], enabled: false }] },
    };
    const { client, onExposure } = make({ features, forcedVariations: { killed: 2, inline: 1 } });
    expect(client.run({ key: 'inline', variations: ['a', 'b'], enabled: false })).toMatchObject({ inExperiment: false, value: 'a' });
    expect(client.evalFeature('f')).toMatchObject({ value: 'default', source: 'defaultValue' });
    client.setURL('https://example.com/?killed=1&inline=1');
    expect(client.run({ key: 'inline', variations: ['a', 'b'], enabled: false }).value).toBe('a');
    expect(client.evalFeature('f').value).toBe('default');
    expect(onExposure).not.toHaveBeenCalled();

    // The same forces work when the experiment is on, so the above is the switch at work.
    client.setURL('https://example.com/');
    expect(client.run({ key: 'inline', variations: ['a', 'b'] })).toMatchObject({ inExperiment: true, value: 'b', hashUsed: false });
    expect(client.run({ key: 'killed', variations: ['a', 'b', 'c'] }).value).toBe('c');
  });

  it('globalOverride: 2 gives everyone variation 2, no exposure; features report source "experiment"', () => {
    const features: FeatureDefinitions = {
      f: { defaultValue: 'default', rules: [{ key: 'decided', variations: ['a', 'b', 'c'], globalOverride: 2 }] },
    };
    for (let i = 0; i < 30; i++) {
      const { client, onExposure } = make({ clientId: `v${i}`, features });
      const inline = client.run({ key: 'decided-inline', variations: ['a', 'b', 'c'], globalOverride: 2 });
      expect(inline).toMatchObject({ variationId: 2, value: 'c', inExperiment: true, hashUsed: false });
      const feature = client.evalFeature('f');
      expect(feature).toMatchObject({ value: 'c', source: 'experiment' });
      expect(feature.experimentResult).toMatchObject({ variationId: 2, hashUsed: false });
      expect(onExposure).not.toHaveBeenCalled();
      expect(client.getStickyBucketAssignmentDocs()).toEqual({});
    }
  });

  it('id, owner and version reach the exposure event', () => {
    const features: FeatureDefinitions = {
      f: { defaultValue: 0, rules: [{ key: 'described-rule', variations: [1, 2], coverage: 1, owner: 'search-team', version: 4 }] },
    };
    const { client, onExposure } = make({
      features,
      plugins: [baseplate({ named: { variations: ['x', 'y'], id: 'exp-99', owner: 'growth', version: '3' } })],
    });
    client.run({ key: 'described', variations: ['a', 'b'], id: 42, owner: 'checkout', version: '1.2' });
    client.evalFeature('f');
    client.variant('named');
    expect(onExposure).toHaveBeenCalledTimes(3);
    const experiments = onExposure.mock.calls.map((call) => call[0]);
    expect(experiments[0]).toMatchObject({ key: 'described', id: 42, owner: 'checkout', version: '1.2' });
    expect(experiments[1]).toMatchObject({ key: 'described-rule', owner: 'search-team', version: 4 });
    expect(experiments[2]).toMatchObject({ key: 'named', id: 'exp-99', owner: 'growth', version: '3' });
  });
});

describe('getBucket (numbered buckets)', () => {
  const ids = Array.from({ length: 200 }, (_, i) => `learner-${i}`);

  it('an integer in [0, numBuckets), deterministic per visitor', () => {
    const seen = new Set<number>();
    for (const id of ids) {
      const a = edxClient({ clientId: id }).client.getBucket('syllabus');
      const b = edxClient({ clientId: id }).client.getBucket('syllabus');
      // Open edX's own bucketing (MD5 of group name + user), so migrated users keep their bucket.
      expect(a).toBe(edxBucket('syllabus', id, 2));
      expect(Number.isInteger(a)).toBe(true);
      expect(a === 0 || a === 1).toBe(true);
      expect(b).toBe(a);
      seen.add(a);
    }
    expect(seen).toEqual(new Set([0, 1]));
  });

  it('numBuckets: 3 spreads visitors over 0, 1 and 2', () => {
    const counts = [0, 0, 0];
    for (const id of ids) {
      const bucket = edxClient({ clientId: id }).client.getBucket('three-way', { numBuckets: 3 });
      expect(bucket).toBe(edxBucket('three-way', id, 3));
      expect([0, 1, 2]).toContain(bucket);
      counts[bucket]++;
    }
    for (const n of counts) expect(n).toBeGreaterThan(40);
  });

  it('scope hashes a visitor independently per scope', () => {
    let differ = 0;
    for (const id of ids) {
      const { client } = edxClient({ clientId: id });
      const a = client.getBucket('syllabus', { scope: 'course-v1:edX+A' });
      const b = client.getBucket('syllabus', { scope: 'course-v1:edX+B' });
      // edX's course-aware group name: "<flag>.<course key>".
      expect([a, b]).toEqual([edxBucket('syllabus.course-v1:edX+A', id), edxBucket('syllabus.course-v1:edX+B', id)]);
      expect(client.getBucket('syllabus', { scope: 'course-v1:edX+A' })).toBe(a);
      if (a !== b) differ++;
    }
    // Independent 50/50 buckets differ for about half the visitors; identical scopes would give 0.
    expect(differ).toBeGreaterThan(60);
    expect(differ).toBeLessThan(140);
  });

  it('bucket 0 when the experiment is disabled or out of its schedule, even for forced visitors', () => {
    const now = Date.now() / 1000;
    const forcedBuckets = [{ bucket: 1, condition: { staff: true } }];
    const experiments = {
      off: { enabled: false, forcedBuckets },
      later: { startTs: now + 3600, forcedBuckets },
      over: { stopTs: now - 3600, forcedBuckets },
      live: { startTs: now - 3600, stopTs: now + 3600 },
    };
    let liveOnes = 0;
    for (const id of ids.slice(0, 60)) {
      const { client, onExposure } = edxClient({ clientId: id, experiments, attributes: { id, staff: true } });
      expect(client.getBucket('off')).toBe(0);
      expect(client.getBucket('later')).toBe(0);
      expect(client.getBucket('over', { numBuckets: 4 })).toBe(0);
      expect(onExposure).not.toHaveBeenCalled();
      liveOnes += client.getBucket('live');
    }
    expect(liveOnes).toBeGreaterThan(10);
  });

  it('forced buckets: the lowest matching bucket wins whatever the list order', () => {
    const rules = [
      { bucket: 3, condition: { email: { $regex: '@example\\.org$' } } },
      { bucket: 2, condition: { staff: true } },
    ];
    for (const forcedBuckets of [rules, [...rules].reverse()]) {
      for (const id of ids.slice(0, 30)) {
        const both = edxClient({ clientId: id, attributes: { id, staff: true, email: 'a@example.org' }, experiments: { pin: { forcedBuckets } } });
        expect(both.client.getBucket('pin', { numBuckets: 4 })).toBe(2);
        sessionStorage.clear(); // a new session, so the next client exposes again
        const one = edxClient({ clientId: id, attributes: { id, email: 'a@example.org' }, experiments: { pin: { forcedBuckets } } });
        expect(one.client.getBucket('pin', { numBuckets: 4 })).toBe(3);
        // Forced buckets are exposed like hashed ones.
        expect(one.onExposure).toHaveBeenCalledTimes(1);
        expect(one.onExposure.mock.calls[0][1]).toMatchObject({ variationId: 3, hashUsed: false });
        sessionStorage.clear();
      }
    }
    // A bucket that does not exist for this numBuckets is not forced.
    const { client } = edxClient({ attributes: { id: 'x', email: 'a@example.org' }, experiments: { pin: { forcedBuckets: rules } } });
    expect(client.getBucket('pin', { numBuckets: 2 })).toBeLessThan(2);
  });

  it('exposes once per visitor, experiment and scope per session, bucket 0 included', () => {
    // A visitor whose hashed bucket is 0 (control).
    const zero = ids.find((id) => edxClient({ clientId: id }).client.getBucket('session-exp') === 0)!;
    expect(zero).toBeDefined();
    sessionStorage.clear();

    const first = edxClient({ clientId: zero });
    expect(first.client.getBucket('session-exp')).toBe(0);
    expect(first.client.getBucket('session-exp')).toBe(0);
    expect(first.onExposure).toHaveBeenCalledTimes(1);
    const [experiment, result] = first.onExposure.mock.calls[0];
    expect(experiment.key).toBe('session-exp');
    expect(result).toMatchObject({ variationId: 0, inExperiment: true, hashValue: zero });

    // Another client (a page load) in the same session: no second exposure.
    const second = edxClient({ clientId: zero });
    expect(second.client.getBucket('session-exp')).toBe(0);
    expect(second.onExposure).not.toHaveBeenCalled();

    // Another scope is another exposure, once.
    second.client.getBucket('session-exp', { scope: 'course-2' });
    second.client.getBucket('session-exp', { scope: 'course-2' });
    expect(second.onExposure).toHaveBeenCalledTimes(1);
    expect(second.onExposure.mock.calls[0][0].key).toBe('session-exp.course-2');

    // Another visitor in the same browser session is exposed too.
    const other = edxClient({ clientId: ids.find((id) => id !== zero) });
    other.client.getBucket('session-exp');
    expect(other.onExposure).toHaveBeenCalledTimes(1);

    // A new session exposes again.
    sessionStorage.clear();
    const third = edxClient({ clientId: zero });
    third.client.getBucket('session-exp');
    expect(third.onExposure).toHaveBeenCalledTimes(1);
  });

  it('a bot gets bucket 0 and no exposure', () => {
    for (const id of ids.slice(0, 40)) {
      const { client, onExposure } = edxClient({ clientId: id, userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
      expect(client.getBucket('syllabus')).toBe(0);
      expect(client.getBucket('syllabus', { numBuckets: 5 })).toBe(0);
      expect(onExposure).not.toHaveBeenCalled();
    }
  });
});

describe('variant() and expose()', () => {
  const experiments = { button: { variations: ['red', 'blue'] } };

  it('returns a variation deterministically, logs one event per (experiment, visitor, variant) per client', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const { client, onExposure } = baseplateClient({ clientId: `v${i}`, experiments });
      const v = client.variant('button')!;
      expect(['red', 'blue']).toContain(v);
      expect(baseplateClient({ clientId: `v${i}`, experiments }).client.variant('button')).toBe(v);
      seen.add(v);
      client.variant('button');
      client.variant('button');
      expect(onExposure).toHaveBeenCalledTimes(1);
      expect(onExposure.mock.calls[0][0].key).toBe('button');
      expect(onExposure.mock.calls[0][1]).toMatchObject({ value: v, hashValue: `v${i}`, inExperiment: true });
    }
    expect(seen).toEqual(new Set(['red', 'blue']));
  });

  it('other attributes for one call are another visitor, logged once too', () => {
    const { client, onExposure } = baseplateClient({ experiments });
    client.variant('button');
    const forOther = client.variant('button', { id: 'other' });
    expect(forOther).toBe(baseplateClient({ clientId: 'other', experiments }).client.variant('button'));
    expect(onExposure).toHaveBeenCalledTimes(2);
    expect(onExposure.mock.calls[1][1].hashValue).toBe('other');
    client.variant('button');
    client.variant('button', { id: 'other' });
    expect(onExposure).toHaveBeenCalledTimes(2);
    // The per-call attributes did not replace the client's.
    expect(client.getAttributes()).toEqual({ id: 'visitor-1' });
  });

  it('an unknown name gives null and logs nothing', () => {
    const { client, onExposure } = baseplateClient({ experiments });
    expect(client.variant('nope')).toBeNull();
    expect(client.variant('toString')).toBeNull();
    expect(onExposure).not.toHaveBeenCalled();
  });

  it('expose() always logs, never deduplicated', () => {
    const { client, onExposure } = baseplateClient({ experiments });
    client.expose('button', 'blue');
    client.expose('button', 'blue');
    client.expose('button', 'red');
    expect(onExposure).toHaveBeenCalledTimes(3);
    expect(onExposure.mock.calls.map(([e, r]) => [e.key, r.value, r.variationId])).toEqual([
      ['button', 'blue', 1],
      ['button', 'blue', 1],
      ['button', 'red', 0],
    ]);
    expect(onExposure.mock.calls[0][1].hashValue).toBe('visitor-1');
  });
});

describe('baseplate experiments through the client', () => {
  const NOW = 1_700_000_000;
  const window = { start_ts: NOW - 86_400, stop_ts: NOW + 86_400 };
  const single = (extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
    id: 11,
    name: 'single',
    owner: 'search',
    type: 'single_variant',
    ...window,
    experiment: { experiment_version: 3, variants: [{ name: 'control', size: 0.3 }, { name: 'treatment', size: 0.3 }], ...extra },
    ...top,
  });
  const config = {
    single: single(),
    quiet: { ...single({ log_bucketing: false }), name: 'quiet' },
    off: { ...single({}, { enabled: false }), name: 'off' },
    later: { ...single({}, { start_ts: NOW + 100, stop_ts: NOW + 200 }), name: 'later' },
    ended: { ...single({}, { start_ts: NOW - 200, stop_ts: NOW - 100 }), name: 'ended' },
    r2exp: {
      id: 12,
      name: 'r2exp',
      owner: 'feed',
      type: 'r2',
      version: '5',
      ...window,
      experiment: { seed: 'test-seed', variants: { control_1: 50, control_2: 50 }, targeting: { logged_in: [true] } },
    },
  };
  const parsed = parseBaseplateConfig(config);
  const users = Array.from({ length: 150 }, (_, i) => `t2_${i}`);

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW * 1000);
  });

  it('matches chooseVariant for the same inputs and logs each bucketing once', () => {
    const { client, onExposure } = baseplateClient({ experiments: loadBaseplateConfig(config) });
    let expectedEvents = 0;
    const got = new Set<string | null>();
    for (const user of users) {
      for (const [name, extra] of [['single', {}], ['r2exp', { logged_in: true }]] as const) {
        const attributes = { user_id: user, ...extra };
        const expected = chooseVariant(parsed[name], { id: 'visitor-1', ...attributes }, NOW);
        const v = client.variant(name, attributes);
        expect(v, `${name} ${user}`).toBe(expected.variant);
        expect(client.variant(name, attributes)).toBe(v); // repeat: no second event
        got.add(v);
        if (v !== null) {
          expectedEvents++;
          const [experiment, result] = onExposure.mock.calls.at(-1)!;
          expect(experiment).toMatchObject({ key: name, id: name === 'single' ? 11 : 12, owner: name === 'single' ? 'search' : 'feed' });
          expect(result).toMatchObject({ value: v, hashAttribute: 'user_id', hashValue: user });
        }
        expect(onExposure).toHaveBeenCalledTimes(expectedEvents);
      }
    }
    // All outcomes occur: both arms of each experiment and "not allocated".
    expect(got).toEqual(new Set(['control', 'treatment', 'control_1', 'control_2', null]));
    expect(onExposure.mock.calls.find(([e]) => e.key === 'single')![0].version).toBe(3);
    expect(onExposure.mock.calls.find(([e]) => e.key === 'r2exp')![0].version).toBe('5');
  });

  it('t2_1 in the r2 experiment: sha1("test-seed" + "t2_1") mod 1000, computed independently', () => {
    const bucket = Number(BigInt('0x' + createHash('sha1').update('test-seed' + 't2_1').digest('hex')) % 1000n);
    // r2 with two variants at 50%: names in order, candidate = names[b mod 2], in if b < 1000.
    const expected = ['control_1', 'control_2'][bucket % 2];
    const { client, onExposure } = baseplateClient({ experiments: loadBaseplateConfig(config) });
    expect(client.variant('r2exp', { user_id: 't2_1', logged_in: true })).toBe(expected);
    expect(client.variant('r2exp', { user_id: 't2_1' })).toBeNull(); // not targeted
    expect(onExposure).toHaveBeenCalledTimes(1);
  });

  it('log_bucketing: false buckets without an event', () => {
    const { client, onExposure } = baseplateClient({ experiments: loadBaseplateConfig(config) });
    let bucketed = 0;
    for (const user of users) {
      const v = client.variant('quiet', { user_id: user });
      expect(v).toBe(chooseVariant(parsed.quiet, { id: 'visitor-1', user_id: user }, NOW).variant);
      if (v !== null) bucketed++;
    }
    expect(bucketed).toBeGreaterThan(50);
    expect(onExposure).not.toHaveBeenCalled();
  });

  it('disabled and out-of-schedule experiments give null and no event', () => {
    const { client, onExposure } = baseplateClient({ experiments: loadBaseplateConfig(config) });
    for (const user of users.slice(0, 50)) {
      expect(client.variant('off', { user_id: user })).toBeNull();
      expect(client.variant('later', { user_id: user })).toBeNull();
      expect(client.variant('ended', { user_id: user })).toBeNull();
    }
    expect(onExposure).not.toHaveBeenCalled();
    // The same experiment inside its schedule does bucket.
    vi.setSystemTime((NOW + 150) * 1000);
    expect(users.slice(0, 50).some((user) => client.variant('later', { user_id: user }) !== null)).toBe(true);
  });
});
