/**
 * Regression tests for evaluation defects where one field of a payload (which comes from a
 * server and may be wrong) could freeze or fool evaluation. Each test failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { createClient, type FeatureDefinitions } from '../../src/index';
import { runExperiment, type EvalContext } from '../../src/evaluate';
import type { Experiment, StickyAssignmentDocs } from '../../src/types';

/** A client evaluating `features` for visitor `v1`, with nothing persisted and nothing logged to the console. */
const quietClient = (features: unknown, extra: Record<string, unknown> = {}) =>
  createClient({ clientId: 'v1', cookie: false, features: features as FeatureDefinitions, log: () => {}, ...extra });

/** Sticky docs that count how many identity docs evaluation looks up. */
function countingDocs(docs: StickyAssignmentDocs): { docs: StickyAssignmentDocs; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(docs, {
    get(target, key, receiver) {
      reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { docs: proxy, reads: () => reads };
}

describe('minBucketVersion: blocked bucket versions are found without a loop over versions', () => {
  const exp: Experiment = { key: 'e', variations: [0, 1], bucketVersion: 5, minBucketVersion: 1e5 };
  const ctxWith = (docs: StickyAssignmentDocs): EvalContext => ({
    attributes: Object.assign(Object.create(null), { id: 'v1' }),
    features: new Map(),
    stickyDocs: docs,
  });
  const doc = (assignments: Record<string, string>): StickyAssignmentDocs => ({
    'id||v1': { attributeName: 'id', attributeValue: 'v1', assignments },
  });

  it('reads the identity docs a bounded number of times, however high minBucketVersion is', () => {
    const counted = countingDocs(doc({ 'other__0': '1' }));
    const result = runExperiment(ctxWith(counted.docs), exp, null);
    expect(result.inExperiment).toBe(true);
    expect(counted.reads()).toBeLessThan(10);
  });

  it('a stored variation of any version below minBucketVersion blocks, one at or above it does not', () => {
    for (const [key, blocked] of [
      ['e__0', true],
      ['e__99999', true],
      ['e__100000', false],
      ['e__5', true],
      ['e__1e3', false], // not a bucket version GrowthBook ever writes
      ['e__01', false],
      ['e__-1', false],
      ['e__x', false],
      ['ee__0', false],
      ['e__1__0', false], // experiment "e__1", version 0
    ] as const) {
      const result = runExperiment(ctxWith(doc({ [key]: '1' })), exp, null);
      expect({ key, blocked: result.stickyBucketUsed && !result.inExperiment }).toEqual({ key, blocked });
    }
  });

  it('the fallback identity is checked as well', () => {
    const ctx = ctxWith({ 'anon||a1': { attributeName: 'anon', attributeValue: 'a1', assignments: { 'e__3': '0' } } });
    ctx.attributes = Object.assign(Object.create(null), { anon: 'a1' });
    const result = runExperiment(ctx, { ...exp, fallbackAttribute: 'anon' }, null);
    expect(result).toMatchObject({ inExperiment: false, stickyBucketUsed: true });
  });

  it('isOn returns at once for minBucketVersion 1e12 (it never returned)', () => {
    const client = quietClient({ f: { rules: [{ variations: [0, 1], minBucketVersion: 1e12 }] } });
    expect(typeof client.isOn('f')).toBe('boolean');
  });
});
