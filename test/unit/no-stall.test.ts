/**
 * No core call stalls a page on large or deep input (issue 21). Work counts, not durations: how
 * many features a deep prerequisite chain makes evaluation read, how many entries a setter copies.
 * The CPU time per call on the fuzz corpus is `npm run bench:calls`'s job.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, type FeatureDefinitions } from '../../src/index';
import { MAX_PREREQUISITE_DEPTH } from '../../src/evaluate';
import type { Logger } from '../../src/types';

/** `f0` requires `f1` requires … `f{n-1}`, which is on; `reads` counts feature lookups. */
function chain(n: number) {
  const definitions: FeatureDefinitions = {};
  for (let i = 0; i < n; i++) {
    definitions['f' + i] =
      i == n - 1 ? { defaultValue: true } : { defaultValue: false, rules: [{ parentConditions: [{ id: 'f' + (i + 1), condition: { value: true } }], force: true }] };
  }
  const counter = { reads: 0 };
  const features = new Proxy(definitions, {
    get(target, key, receiver) {
      if (typeof key == 'string' && key.startsWith('f')) counter.reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { features, counter };
}

/** A 40,000-item array whose reads are counted. */
function countedArray(counter: { reads: number }) {
  return new Proxy(
    Array.from({ length: 40_000 }, (_, i) => i % 2),
    {
      get(target, key, receiver) {
        counter.reads++;
        return Reflect.get(target, key, receiver);
      },
    },
  );
}

describe('prerequisite depth limit', () => {
  it(`a chain deeper than ${MAX_PREREQUISITE_DEPTH} evaluates to the safe fallback, reads at most ~${MAX_PREREQUISITE_DEPTH} features, and logs once`, () => {
    const { features, counter } = chain(10_000);
    const log = vi.fn<Logger>();
    const client = createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features, log });
    const result = client.evalFeature('f0');
    expect(result.value).toBeNull();
    expect(result.source).toBe('cyclicPrerequisite');
    expect(counter.reads).toBeLessThanOrEqual(2 * (MAX_PREREQUISITE_DEPTH + 1));
    client.isOn('f0');
    client.isOn('f1');
    expect(log.mock.calls.filter(([message]) => /deeper than/.test(message))).toHaveLength(1);
  });

  it('a chain within the limit evaluates as before', () => {
    const { features } = chain(MAX_PREREQUISITE_DEPTH);
    const client = createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features, log: () => {} });
    expect(client.evalFeature('f0')).toMatchObject({ value: true, source: 'force' });
  });
});

describe('setters and the snapshot do work proportional to what they are given as records', () => {
  it('setForcedVariations / setForcedFeatures given a 40,000-item array ignore it with a log line, without reading its items', () => {
    const counter = { reads: 0 };
    const log = vi.fn<Logger>();
    const client = createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, log });
    client.setForcedVariations(countedArray(counter) as never);
    client.setForcedFeatures(countedArray(counter) as never);
    const snapshot = client.getSnapshotForHydration();
    expect(counter.reads).toBeLessThan(100);
    expect(snapshot.forcedVariations).toEqual({});
    expect(snapshot.forcedFeatures).toEqual({});
    expect(log.mock.calls.filter(([message]) => /not an object/.test(message))).toHaveLength(2);
  });
});
