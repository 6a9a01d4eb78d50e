/**
 * Shared fixtures for the React tests: a payload, a client factory that never touches cookies or
 * storage, render counters, and a console spy that fails a test on any React warning.
 */
import { afterEach, expect, vi, type MockInstance } from 'vitest';
import {
  createClient,
  type ClientOptions,
  type Experiment,
  type ExperimentResult,
  type FeatureDefinitions,
  type FeatureMap,
  type Plugin,
} from '../../src/index';

export const features: FeatureDefinitions = {
  headline: { defaultValue: false, rules: [{ condition: { country: 'NL' }, force: true }] },
  color: {
    defaultValue: 'grey',
    rules: [{ key: 'color-test', variations: ['red', 'blue', 'green'], hashVersion: 2, meta: [{ key: 'r' }, { key: 'b' }, { key: 'g' }] }],
  },
  limit: { defaultValue: 10 },
  label: { defaultValue: 'hello' },
};

export type Exposure = [experiment: string, variation: string];

/** A client for visitor `id` that keeps everything in memory, and the exposures it reports. */
export function testClient<const P extends readonly Plugin[] = []>(options: ClientOptions<P> = {}, id = 'visitor-1') {
  const exposures: Exposure[] = [];
  const log = vi.fn();
  const client = createClient<FeatureMap, P>({
    clientId: id,
    cookie: false,
    stickyBucketStore: false,
    allowUrlOverrides: false,
    features,
    attributes: { id, country: 'US' },
    onExposure: (experiment: Experiment, result: ExperimentResult) => void exposures.push([experiment.key, result.key]),
    log,
    ...options,
  });
  return { client, exposures, log };
}

/** Counts renders per name. */
export function renderCounter() {
  const counts: Record<string, number> = {};
  return { counts, count: (name: string) => void (counts[name] = (counts[name] ?? 0) + 1) };
}

/** Spies on console.error and console.warn; `expectClean()` asserts React said nothing. */
export function watchConsole() {
  const spies: MockInstance[] = [vi.spyOn(console, 'error').mockImplementation(() => {}), vi.spyOn(console, 'warn').mockImplementation(() => {})];
  afterEach(() => spies.forEach((s) => s.mockClear()));
  return {
    calls: () => spies.flatMap((s) => s.mock.calls),
    expectClean: () => expect(spies.flatMap((s) => s.mock.calls)).toEqual([]),
  };
}

/** Let promises, microtasks and zero-delay timers settle. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
