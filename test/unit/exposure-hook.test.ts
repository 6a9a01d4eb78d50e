/**
 * The host's `exposure` event: every plugin listening gets every exposure the app's callback gets,
 * after the core's dedupe, and a returning visitor's provisional exposure is held until stored
 * sticky docs settle it, exactly as for the app.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client';
import type { Plugin } from '../../src/plugin';
import type { Experiment, ExperimentResult, FeatureDefinitions, Logger, StickyAssignmentsDocument } from '../../src/types';

const features: FeatureDefinitions = {
  color: { defaultValue: 'grey', rules: [{ key: 'color-test', variations: ['red', 'blue', 'green'], weights: [0, 1, 0], meta: [{ key: 'r' }, { key: 'b' }, { key: 'g' }] }] },
};

type Seen = [experiment: string, variation: string];
const listener = (into: Seen[]): Plugin => (host) => void host.on('exposure', (experiment: Experiment, result: ExperimentResult) => void into.push([experiment.key, result.key]));

describe("PluginHost.on('exposure')", () => {
  it('every listening plugin gets each exposure once, like the app', () => {
    const app: Seen[] = [];
    const first: Seen[] = [];
    const second: Seen[] = [];
    const client = createClient({
      clientId: 'v1',
      cookie: false,
      stickyBucketStore: false,
      features,
      plugins: [listener(first), listener(second)],
      onExposure: (experiment, result) => void app.push([experiment.key, result.key]),
    });
    client.evalFeature('color');
    client.evalFeature('color');
    client.run({ key: 'inline', variations: ['a', 'b'], weights: [1, 0] });
    expect(app).toEqual([['color-test', 'b'], ['inline', '0']]);
    expect(first).toEqual(app);
    expect(second).toEqual(app);
    // Forced variations are no exposure, for plugins either.
    client.setForcedVariations({ 'color-test': 2 });
    client.evalFeature('color');
    expect(first).toHaveLength(2);
  });

  it('exposures before the app sets its callback still reach plugins at once', () => {
    const seen: Seen[] = [];
    const client = createClient({ clientId: 'v1', cookie: false, stickyBucketStore: false, features, plugins: [listener(seen)] });
    client.evalFeature('color');
    expect(seen).toEqual([['color-test', 'b']]);
  });

  it('a throwing listener is logged and the others still run; unsubscribing stops delivery', () => {
    const log = vi.fn<Logger>();
    const seen: Seen[] = [];
    let stop!: () => void;
    const throwing: Plugin = (host) => void host.on('exposure', () => { throw new Error('boom'); });
    const stoppable: Plugin = (host) => void (stop = host.on('exposure', (experiment, result) => void seen.push([experiment.key, result.key])));
    const app = vi.fn();
    const client = createClient({ clientId: 'v1', cookie: false, stickyBucketStore: false, features, plugins: [throwing, stoppable], log, onExposure: app });
    client.evalFeature('color');
    expect(seen).toEqual([['color-test', 'b']]);
    expect(app).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith('A listener threw', expect.objectContaining({ error: expect.any(Error) }));
    stop();
    client.run({ key: 'inline', variations: ['a', 'b'] });
    expect(seen).toHaveLength(1);
    expect(app).toHaveBeenCalledTimes(2);
  });

  it("is held while stored sticky docs load, then gets the stored variation, not the provisional one", async () => {
    let release!: () => void;
    const stored: StickyAssignmentsDocument = { attributeName: 'id', attributeValue: 'returning', assignments: { 'color-test__0': 'g' } };
    const store = {
      getAssignments: async () => null,
      saveAssignments: async () => {},
      getAllAssignments: () => new Promise<Record<string, StickyAssignmentsDocument>>((resolve) => (release = () => resolve({ 'id||returning': stored }))),
    };
    const seen: Seen[] = [];
    const client = createClient({ clientId: 'returning', cookie: false, stickyBucketStore: store, features, plugins: [listener(seen)], readyTimeoutMs: 5_000 });
    // Before the docs are in, hashing gives "b" (weights [0, 1, 0]); nothing is reported yet.
    expect(client.evalFeature('color').experimentResult!.key).toBe('b');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([]);
    release();
    await client.ready();
    client.evalFeature('color');
    expect(seen).toEqual([['color-test', 'g']]);
  });
});
