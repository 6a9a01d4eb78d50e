/**
 * checkPayload (`splitflap/check`): no error on any payload of GrowthBook's conformance vectors;
 * each broken fixture (test/check/fixtures, its expected problems in `$expect`) gives exactly its
 * problems at their paths; hostile input gives problems, never a throw.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPayload, SEVERITY, type Problem } from '../../src/check/index';
import { loadCases } from '../conformance/cases';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (name: string) => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as { $expect: { code: string; path: string }[] };
const found = (problems: Problem[]) => problems.map(({ code, path }) => ({ code, path }));

/** Every payload in the vectors: the context of each case of the sections that carry `features`. */
function vectorPayloads(): { name: string; payload: Record<string, unknown> }[] {
  const all = loadCases()!;
  const payloads: { name: string; payload: Record<string, unknown> }[] = [];
  for (const section of ['feature', 'stickyBucket', 'contextualBandit', 'run']) {
    for (const tuple of all[section] as unknown[][]) {
      const context = tuple[1] as Record<string, unknown>;
      if (!context || typeof context.features !== 'object') continue;
      const { features, savedGroups, contextualBandits } = context;
      payloads.push({ name: `${section}: ${String(tuple[0])}`, payload: { features, savedGroups, contextualBandits } });
    }
  }
  return payloads;
}

describe('checkPayload on GrowthBook conformance vectors', () => {
  it('finds no error in any of their payloads', () => {
    const payloads = vectorPayloads();
    expect(payloads.length).toBeGreaterThan(90);
    const errors = payloads.flatMap(({ name, payload }) => checkPayload(payload).filter((p) => p.severity === 'error').map((p) => `${name}: ${p.path} ${p.message}`));
    expect(errors).toEqual([]);
  });

  it('still warns where the vectors break a payload on purpose (cycle, missing prerequisite)', () => {
    const codes = new Set(vectorPayloads().flatMap(({ payload }) => checkPayload(payload).map((p) => p.code)));
    expect([...codes].sort()).toEqual(expect.arrayContaining(['prerequisite-cycle', 'prerequisite-missing']));
  });
});

describe('checkPayload on broken payloads, one per problem', () => {
  const names = readdirSync(fixtures).filter((name) => name.endsWith('.json'));

  it('has a fixture for every problem but the size limit (tested below)', () => {
    const covered = new Set(names.flatMap((name) => read(name).$expect.map((e) => e.code)));
    expect(Object.keys(SEVERITY).filter((code) => !covered.has(code))).toEqual(['invalid-payload', 'payload-size']);
  });

  for (const name of names) {
    it(`${name}: exactly its problems, at their paths`, () => {
      const payload = read(name);
      expect(found(checkPayload(payload))).toEqual(payload.$expect);
    });
  }

  it('reports a payload over maxBytes (its UTF-8 JSON), not one at it', () => {
    const payload = read('valid.json');
    const bytes = new TextEncoder().encode(JSON.stringify(payload)).length;
    expect(found(checkPayload(payload, { maxBytes: bytes - 1 }))).toEqual([{ code: 'payload-size', path: '' }]);
    expect(checkPayload(payload, { maxBytes: bytes })).toEqual([]);
  });

  it('puts errors before warnings, each with its severity', () => {
    const problems = checkPayload({ features: { f: { defaultValue: 1, rules: [{ force: 2 }, { force: 'x', coverage: 2 }] } } });
    expect(problems.map((p) => `${p.severity} ${p.code}`)).toEqual(['error coverage-range', 'warning unreachable-rule', 'warning value-type']);
  });
});

describe('checkPayload on hostile input', () => {
  const cyclic: Record<string, unknown> = { features: {} };
  cyclic.self = cyclic;
  let deep: unknown = { country: 'NZ' };
  for (let i = 0; i < 10_000; i++) deep = { $not: deep };
  const inputs: [string, unknown][] = [
    ['undefined', undefined],
    ['a number', 42],
    ['text that is not JSON', '{"features": '],
    ['a cyclic object', cyclic],
    ['a throwing getter', { get features(): never { throw new Error('boom'); } }],
    ['a BigInt', { features: { f: { defaultValue: 1n } } }],
    ['a revoked proxy', (() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; })()],
    ['10,000 nested $not', { features: { f: { defaultValue: 1, rules: [{ condition: deep, force: 2 }] } } }],
    ['an encrypted payload', { encryptedFeatures: 'abc' }],
    ['__proto__ keys', JSON.parse('{"features":{"__proto__":{"defaultValue":1,"rules":[{"parentConditions":[{"id":"__proto__","condition":{}}],"force":2}]}}}')],
  ];
  it('options that are not an object: checked without them', () => {
    expect(checkPayload({ features: {} }, null as never)).toEqual([]);
  });

  for (const [name, input] of inputs) {
    it(`${name}: problems, no throw`, () => {
      const problems = checkPayload(input);
      expect(problems.length).toBeGreaterThan(0);
      for (const problem of problems) expect(Object.keys(SEVERITY)).toContain(problem.code);
    });
  }
});
