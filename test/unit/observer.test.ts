/**
 * The core observer UI bindings are glue over: one object per distinct result, re-evaluation only
 * when the client or the input changed, exposures only once the result is committed.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/index';
import { createObserver, same, type Evaluate } from '../../src/observer';
import type { FeatureResult } from '../../src/types';

const features = {
  flag: { defaultValue: false },
  color: { defaultValue: 'grey', rules: [{ key: 'color-test', variations: ['red', 'blue'], hashVersion: 2 }] },
};
const evalFeature: Evaluate<string, FeatureResult> = (client, key, options) => client.evalFeature(key, options);
const clientWith = (onExposure = vi.fn()) => createClient({ clientId: 'observer-visitor', cookie: false, stickyBucketStore: false, features, onExposure });

describe('createObserver', () => {
  it('keeps the result object while its data holds, and makes a new one when it changes', () => {
    const client = clientWith();
    const observer = createObserver(client, evalFeature);
    const first = observer.get('flag');
    client.setURL('http://127.0.0.1/other'); // a change that moves nothing
    expect(observer.get('flag')).toBe(first);
    client.setForcedFeatures({ flag: true });
    const second = observer.get('flag');
    expect(second).not.toBe(first);
    expect(second.value).toMatchObject({ value: true, source: 'override' });
  });

  it('defers exposures until commit, then reports them once', () => {
    const onExposure = vi.fn();
    const observer = createObserver(clientWith(onExposure), evalFeature);
    const observed = observer.get('color');
    expect(observed.value.source).toBe('experiment');
    expect(observed.deferred).toHaveLength(1);
    expect(onExposure).not.toHaveBeenCalled();
    observer.commit(observed);
    observer.commit(observed);
    expect(onExposure).toHaveBeenCalledTimes(1);
  });

  it('withReady: the client becoming ready alone gives a new result; without, it does not', async () => {
    const client = clientWith();
    const plain = createObserver(client, evalFeature);
    const tracked = createObserver(client, evalFeature, true);
    const [before, trackedBefore] = [plain.get('flag'), tracked.get('flag')];
    expect(trackedBefore.ready).toBe(false);
    await client.ready();
    expect(plain.get('flag')).toBe(before);
    expect(tracked.get('flag')).not.toBe(trackedBefore);
    expect(tracked.get('flag').ready).toBe(true);
  });

  it('same() compares plain data deeply and everything else by identity', () => {
    expect(same({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(same({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(same(new Date(0), new Date(0))).toBe(false);
    expect(same(NaN, NaN)).toBe(true);
  });
});
