import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type FeatureDefinitions } from '../../src/index';

/** Build a client from untrusted JSON, as a payload fetched from the network would arrive. */
function fromJson(json: string, attributes: Record<string, unknown> = { id: 'v1' }) {
  const log = vi.fn();
  const client = createClient({ clientId: 'v1', attributes, features: JSON.parse(json) as FeatureDefinitions, log });
  return { client, log };
}

/** Every way the app reads a feature: none may throw. */
function readAll(client: ReturnType<typeof createClient>, key: string) {
  return {
    on: client.isOn(key),
    value: client.getFeatureValue(key, 'fallback'),
    result: client.evalFeature(key),
  };
}

afterEach(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
});

describe('malformed payloads never throw and fall back as documented', () => {
  it('features that are not an object: every key is unknown, logged once', () => {
    for (const json of ['[1,2]', '"nope"', '42', 'true']) {
      const { client, log } = fromJson(json);
      expect(readAll(client, 'a')).toMatchObject({ on: false, value: 'fallback', result: { source: 'unknownFeature' } });
      expect(log).toHaveBeenCalledTimes(1);
    }
  });

  it('a feature definition that is not an object is dropped', () => {
    const { client, log } = fromJson('{"a": "yes", "b": null, "c": [1], "ok": {"defaultValue": 5}}');
    expect(readAll(client, 'a').result.source).toBe('unknownFeature');
    expect(readAll(client, 'b').result.source).toBe('unknownFeature');
    // Features compile on first use: `c` is logged once it is read.
    expect(log).toHaveBeenCalledTimes(2);
    expect(readAll(client, 'c').result.source).toBe('unknownFeature');
    expect(client.getFeatureValue('ok', 0)).toBe(5);
    expect(log).toHaveBeenCalledTimes(3);
    expect(log.mock.calls.map((call) => call[1])).toEqual([{ feature: 'a' }, { feature: 'b' }, { feature: 'c' }]);
  });

  it('rules of the wrong type: the feature keeps its default value', () => {
    const { client, log } = fromJson(`{
      "notArray": {"defaultValue": "d", "rules": {"force": "x"}},
      "badRules": {"defaultValue": "d", "rules": [null, 3, "x", {"force": "ok", "condition": "country=US"},
        {"variations": "ab"}, {"variations": [1, 2], "coverage": "all"}, {"variations": [1, 2], "namespace": ["n"]},
        {"variations": [1, 2], "ranges": [[0, "a"]]}, {"force": "f", "parentConditions": [{"nope": 1}]},
        {"variations": [1, 2], "filters": [{"seed": 5}]}]}
    }`);
    expect(readAll(client, 'notArray')).toMatchObject({ value: 'd', result: { source: 'defaultValue' } });
    expect(readAll(client, 'badRules')).toMatchObject({ value: 'd', result: { source: 'defaultValue' } });
    // Every malformed rule is dropped with a log line, namespace and range items included.
    expect(log).toHaveBeenCalledTimes(11);
    expect(log.mock.calls.filter((call) => call[0] === 'Ignored bad rule').map((call) => call[1].field)).toEqual([
      'rule', 'rule', 'rule', 'condition', 'variations', 'coverage', 'namespace', 'ranges', 'parentConditions', 'filters',
    ]);
  });

  it('weights that do not sum to 1 fall back to equal weights, with a log entry', () => {
    const { client, log } = fromJson(
      '{"f": {"defaultValue": 0, "rules": [{"key": "w", "variations": [1, 2], "weights": [0.9, 0.9]}]}}',
    );
    const counts = [0, 0];
    for (let i = 0; i < 400; i++) {
      client.setAttributes({ id: 'visitor-' + i });
      counts[(client.getFeatureValue('f', 0) as number) - 1]++;
    }
    expect(counts[0]).toBeGreaterThan(150);
    expect(counts[1]).toBeGreaterThan(150);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('equal weights'), expect.anything());
  });

  it('unknown operators and invalid regexes make a condition false, not an exception', () => {
    const { client } = fromJson(`{
      "op": {"defaultValue": "d", "rules": [{"force": "x", "condition": {"country": {"$regexp": "U"}}}]},
      "re": {"defaultValue": "d", "rules": [{"force": "x", "condition": {"country": {"$regex": "(["}}}]},
      "top": {"defaultValue": "d", "rules": [{"force": "x", "condition": {"$where": "1"}}]}
    }`, { id: 'v1', country: 'US' });
    expect(readAll(client, 'op').value).toBe('d');
    expect(readAll(client, 're').value).toBe('d');
    expect(readAll(client, 'top').value).toBe('d');
  });

  it('cyclic prerequisites give cyclicPrerequisite, not a stack overflow', () => {
    const { client } = fromJson(`{
      "a": {"defaultValue": 1, "rules": [{"parentConditions": [{"id": "b", "condition": {"value": 1}}]}, {"force": 2}]},
      "b": {"defaultValue": 1, "rules": [{"parentConditions": [{"id": "a", "condition": {"value": 1}}]}, {"force": 2}]}
    }`);
    expect(readAll(client, 'a')).toMatchObject({ value: 'fallback', result: { source: 'cyclicPrerequisite', value: null } });
  });

  it('inline experiments with junk fields fall back to variation 0', () => {
    const log = vi.fn();
    const client = createClient({ clientId: 'v1', log });
    const junk = JSON.parse('{"key": "k", "variations": null}');
    expect(() => client.run(junk)).not.toThrow();
    expect(client.run(junk).inExperiment).toBe(false);
    expect(client.run({ key: 'k', variations: ['a', 'b'], weights: [2, 2] }).inExperiment).toBe(true);
    expect(client.run({ key: 'nan', variations: ['a', 'b'], coverage: NaN }).inExperiment).toBe(false);
  });
});

describe('no prototype pollution or inherited lookups', () => {
  it('__proto__ and constructor keys in attributes are plain data', () => {
    const attributes = JSON.parse('{"id": "v1", "__proto__": {"polluted": true, "plan": "pro"}, "constructor": {"prototype": {"polluted": true}}}');
    const { client } = fromJson('{"pro": {"defaultValue": false, "rules": [{"force": true, "condition": {"plan": "pro"}}]}}', attributes);
    expect(client.isOn('pro')).toBe(false);
    client.setAttributes(attributes);
    expect(client.isOn('pro')).toBe(false);
    expect(client.getAttributes().id).toBe('v1');
    // Kept as an attribute of its own (the copy's prototype untouched), and readable by its path.
    const copy = client.getAttributes();
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ polluted: true, plan: 'pro' });
    client.setFeatures(JSON.parse('{"own": {"defaultValue": false, "rules": [{"force": true, "condition": {"__proto__.plan": "pro"}}]}}'));
    expect(client.isOn('own')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('conditions cannot read inherited properties', () => {
    const { client } = fromJson(`{
      "ctor": {"defaultValue": "d", "rules": [{"force": "x", "condition": {"constructor.name": "Object"}}]},
      "proto": {"defaultValue": "d", "rules": [{"force": "x", "condition": {"__proto__": {"$exists": true}}}]},
      "str": {"defaultValue": "d", "rules": [{"force": "x", "condition": {"id.constructor.name": "String"}}]}
    }`);
    expect(client.getFeatureValue('ctor', '')).toBe('d');
    expect(client.getFeatureValue('proto', '')).toBe('d');
    expect(client.getFeatureValue("str", "")).toBe("d");
  });

  it('feature keys like constructor or toString are unknown, not inherited functions', () => {
    const { client } = fromJson('{"__proto__": {"defaultValue": "p"}, "real": {"defaultValue": "r"}}');
    for (const key of ['constructor', 'toString', 'hasOwnProperty']) {
      expect(readAll(client, key).result.source).toBe('unknownFeature');
    }
    expect(client.getFeatureValue('__proto__', '')).toBe('p');
    expect(client.getFeatureValue('real', '')).toBe('r');
  });

  it('forced variations and saved groups from JSON cannot pollute', () => {
    const log = vi.fn();
    const client = createClient({
      clientId: 'v1',
      log,
      forcedVariations: JSON.parse('{"__proto__": {"polluted": 1}, "k": 1}'),
      savedGroups: JSON.parse('{"__proto__": ["v1"]}'),
      features: JSON.parse('{"g": {"defaultValue": 0, "rules": [{"force": 1, "condition": {"id": {"$inGroup": "__proto__"}}}]}}'),
    });
    expect(client.run({ key: 'k', variations: [0, 1] }).value).toBe(1);
    expect(client.run({ key: 'polluted', variations: [0, 1] }).hashUsed).toBe(true);
    expect(() => client.getFeatureValue('g', 0)).not.toThrow();
  });
});
