import { afterEach, describe, expect, it } from 'vitest';
import { evalCondition, type Attributes, type ConditionInterface } from '../../src/conditions';

const ok = (attributes: Attributes, condition: ConditionInterface, groups?: Record<string, unknown[]>) =>
  evalCondition(attributes, condition, groups);
// Conditions and attributes arrive as JSON; parsing keeps keys like "__proto__" as own data.
const json = <T = Record<string, unknown>>(s: string): T => JSON.parse(s) as T;

describe('evalCondition: literals', () => {
  it('compares strings by string coercion', () => {
    expect(ok({ n: 8 }, { n: '8' })).toBe(true);
    expect(ok({ n: 'x' }, { n: 'X' })).toBe(false);
  });

  it('compares numbers by numeric coercion, including GrowthBook quirks', () => {
    expect(ok({ n: '8' }, { n: 8 })).toBe(true);
    // null * 1 === 0 in GrowthBook, so a missing attribute (or "") equals 0.
    expect(ok({}, { n: 0 })).toBe(true);
    expect(ok({ n: '' }, { n: 0 })).toBe(true);
    expect(ok({ n: 'x' }, { n: 0 })).toBe(false);
  });

  it('compares booleans by truthiness, but a missing attribute is never false', () => {
    expect(ok({ f: 1 }, { f: true })).toBe(true);
    expect(ok({ f: 0 }, { f: false })).toBe(true);
    expect(ok({}, { f: false })).toBe(false);
  });

  it('null matches null and missing only', () => {
    expect(ok({}, { u: null })).toBe(true);
    expect(ok({ u: null }, { u: null })).toBe(true);
    expect(ok({ u: 0 }, { u: null })).toBe(false);
  });

  it('arrays and non-operator objects compare structurally (order-sensitive)', () => {
    expect(ok({ t: ['a', 'b'] }, { t: ['a', 'b'] })).toBe(true);
    expect(ok({ t: ['b', 'a'] }, { t: ['a', 'b'] })).toBe(false);
    expect(ok({ o: { a: 1 } }, { o: { a: 1 } })).toBe(true);
    expect(ok({ o: { a: 1, b: 2 } }, { o: { a: 1 } })).toBe(false);
    // Mixed `$` and plain keys are a literal, not operators.
    expect(ok({ o: { $gt: 1, a: 2 } }, { o: { $gt: 1, a: 2 } })).toBe(true);
    expect(ok({ o: {} }, { o: {} })).toBe(true);
  });
});

describe('evalCondition: comparison operators', () => {
  it('$eq/$ne are strict', () => {
    expect(ok({ a: 1 }, { a: { $eq: 1 } })).toBe(true);
    expect(ok({ a: '1' }, { a: { $eq: 1 } })).toBe(false);
    expect(ok({ a: '1' }, { a: { $ne: 1 } })).toBe(true);
    expect(ok({}, { a: { $eq: null } })).toBe(true);
  });

  it('$lt/$lte/$gt/$gte use loose JavaScript ordering', () => {
    expect(ok({ a: 5 }, { a: { $gt: 4, $gte: 5, $lt: 6, $lte: 5 } })).toBe(true);
    expect(ok({ a: '8' }, { a: { $gt: 5 } })).toBe(true);
    expect(ok({ w: 'b' }, { w: { $gt: 'a', $lt: 'c' } })).toBe(true);
    expect(ok({}, { a: { $lt: 10 } })).toBe(true); // null < 10
  });

  it('$exists', () => {
    expect(ok({ a: 0 }, { a: { $exists: true } })).toBe(true);
    expect(ok({ a: null }, { a: { $exists: true } })).toBe(false);
    expect(ok({}, { a: { $exists: false } })).toBe(true);
  });

  it('$type', () => {
    const cases: [unknown, string][] = [
      ['s', 'string'], [1, 'number'], [true, 'boolean'], [null, 'null'], [[1], 'array'], [{}, 'object'], [undefined, 'undefined'],
    ];
    for (const [v, t] of cases) expect(ok({ a: v }, { a: { $type: t } })).toBe(true);
    expect(ok({}, { a: { $type: 'null' } })).toBe(true); // missing reads as null
    expect(ok({ a: () => 1 }, { a: { $type: 'unknown' } })).toBe(true);
  });
});

describe('evalCondition: set operators', () => {
  it('$in/$nin with scalar and array attributes', () => {
    expect(ok({ a: 2 }, { a: { $in: [1, 2] } })).toBe(true);
    expect(ok({ a: '2' }, { a: { $in: [1, 2] } })).toBe(false);
    expect(ok({ t: ['x', 2] }, { t: { $in: [1, 2] } })).toBe(true);
    expect(ok({ t: [] }, { t: { $in: [1] } })).toBe(false);
    expect(ok({ t: [] }, { t: { $nin: [1] } })).toBe(true);
    expect(ok({ t: ['x', 2] }, { t: { $nin: [1, 2] } })).toBe(false);
  });

  it('$ini/$nini fold case of strings only', () => {
    expect(ok({ c: 'US' }, { c: { $ini: ['us'] } })).toBe(true);
    expect(ok({ t: ['X', 'Y'] }, { t: { $ini: ['y'] } })).toBe(true);
    expect(ok({ c: 'US' }, { c: { $nini: ['us'] } })).toBe(false);
    expect(ok({ c: 1 }, { c: { $ini: [1] } })).toBe(true);
  });

  it('a non-array argument is false, even for $nin', () => {
    for (const op of ['$in', '$nin', '$ini', '$nini', '$all', '$alli']) {
      expect(ok({ a: 1 }, { a: { [op]: 1 } })).toBe(false);
    }
  });
});

describe('evalCondition: array operators', () => {
  it('$all/$alli', () => {
    expect(ok({ t: ['a', 'b', 'c'] }, { t: { $all: ['c', 'a'] } })).toBe(true);
    expect(ok({ t: ['a', 'b'] }, { t: { $all: ['c', 'a'] } })).toBe(false);
    expect(ok({ t: ['A', 'B'] }, { t: { $alli: ['a', 'b'] } })).toBe(true);
    expect(ok({ t: 'a' }, { t: { $all: ['a'] } })).toBe(false);
    expect(ok({ t: [5, 20] }, { t: { $all: [{ $gt: 10 }] } })).toBe(true);
  });

  it('$size takes a number or a condition', () => {
    expect(ok({ t: [1, 2] }, { t: { $size: 2 } })).toBe(true);
    expect(ok({ t: [1, 2] }, { t: { $size: { $gte: 3 } } })).toBe(false);
    expect(ok({ t: 'ab' }, { t: { $size: 2 } })).toBe(false);
  });

  it('$elemMatch on elements themselves or on their fields', () => {
    expect(ok({ n: [1, 15] }, { n: { $elemMatch: { $gt: 10 } } })).toBe(true);
    expect(ok({ h: [{ name: 'golf' }, { name: 'ping' }] }, { h: { $elemMatch: { name: { $regex: '^pi' } } } })).toBe(true);
    expect(ok({ h: [{ name: 'golf' }] }, { h: { $elemMatch: { name: 'ping' } } })).toBe(false);
    // Falsy members are tested; nullish ones are skipped.
    expect(ok({ n: [null, 0] }, { n: { $elemMatch: { $eq: 0 } } })).toBe(true);
    expect(ok({ n: [null] }, { n: { $elemMatch: { $exists: false } } })).toBe(false);
    expect(ok({ n: 'abc' }, { n: { $elemMatch: { $eq: 'a' } } })).toBe(false);
  });
});

describe('evalCondition: regex', () => {
  it('$regex is case-sensitive, $regexi is not', () => {
    expect(ok({ ua: 'Android Mobile' }, { ua: { $regex: 'Mobile' } })).toBe(true);
    expect(ok({ ua: 'Android Mobile' }, { ua: { $regex: 'mobile' } })).toBe(false);
    expect(ok({ ua: 'Android Mobile' }, { ua: { $regexi: 'MOBILE' } })).toBe(true);
    expect(ok({ p: 'a/b' }, { p: { $regex: '^a/b$' } })).toBe(true);
  });

  it('tests the stringified attribute, so a missing one reads "null" (as GrowthBook)', () => {
    expect(ok({}, { a: { $regex: '^null$' } })).toBe(true);
    expect(ok({ a: 12 }, { a: { $regex: '^1' } })).toBe(true);
  });

  it('an invalid or non-string pattern is false, repeatedly, without throwing', () => {
    for (let i = 0; i < 3; i++) {
      expect(ok({ a: 'x' }, { a: { $regex: '/???***[)' } })).toBe(false);
      expect(ok({ a: 'x' }, { a: { $regexi: '(' } })).toBe(false);
      expect(ok({ a: 'x' }, { a: { $not: { $regex: '(' } } })).toBe(true);
    }
    expect(ok({ a: 'x' }, { a: { $regex: 5 } })).toBe(false);
  });

  it('keeps working past the cache bound', () => {
    for (let i = 0; i < 1200; i++) expect(ok({ a: `v${i}` }, { a: { $regex: `^v${i}$` } })).toBe(true);
    expect(ok({ a: 'v0' }, { a: { $regex: '^v0$' } })).toBe(true);
  });
});

describe('evalCondition: versions', () => {
  it('orders numerically per part, releases above pre-releases, ignoring v and build', () => {
    expect(ok({ v: '1.10.0' }, { v: { $vgt: '1.9.0' } })).toBe(true);
    expect(ok({ v: '1.0.0' }, { v: { $vgt: '1.0.0-rc.1' } })).toBe(true);
    expect(ok({ v: 'v1.2.3+abc' }, { v: { $veq: '1.2.3' } })).toBe(true);
    expect(ok({ v: '1.2.3' }, { v: { $vne: '1.2.4', $vgte: '1.2.3', $vlte: '1.2.3', $vlt: '2' } })).toBe(true);
  });

  it('accepts numbers and reads anything else as "0"', () => {
    expect(ok({ v: 2 }, { v: { $vgt: 1 } })).toBe(true);
    expect(ok({}, { v: { $veq: '0' } })).toBe(true);
    expect(ok({ v: '' }, { v: { $vlt: '0.0.1' } })).toBe(true);
  });
});

describe('evalCondition: logic', () => {
  it('$and/$or/$nor/$not', () => {
    const a = { x: 1, y: 2 };
    expect(ok(a, { $and: [{ x: 1 }, { y: 2 }] })).toBe(true);
    expect(ok(a, { $or: [{ x: 2 }, { y: 2 }] })).toBe(true);
    expect(ok(a, { $nor: [{ x: 2 }, { y: 3 }] })).toBe(true);
    expect(ok(a, { $nor: [{ x: 1 }] })).toBe(false);
    expect(ok(a, { $not: { x: 1 } })).toBe(false);
    expect(ok(a, { x: { $not: { $gt: 5 } } })).toBe(true);
    expect(ok(a, { $or: [{ x: 1 }], y: 3 })).toBe(false);
  });

  it('empty lists: $and and $or pass, $nor fails (as GrowthBook)', () => {
    expect(ok({}, { $and: [] })).toBe(true);
    expect(ok({}, { $or: [] })).toBe(true);
    expect(ok({}, { $nor: [] })).toBe(false);
  });

  it('malformed logical operators never match', () => {
    expect(ok({ x: 1 }, { $or: { x: 1 } })).toBe(false);
    expect(ok({ x: 1 }, { $nor: 'x' })).toBe(false);
    expect(ok({ x: 1 }, { $and: null })).toBe(false);
    expect(ok({ x: 1 }, { $not: 5 })).toBe(false);
  });

  it('other top-level $ keys are attribute paths', () => {
    expect(ok({ $groups: ['a', 'b'] }, { $groups: { $elemMatch: { $eq: 'b' } } })).toBe(true);
  });
});

describe('evalCondition: paths', () => {
  it('follows dotted paths through objects and arrays', () => {
    expect(ok({ a: { b: { c: 3 } } }, { 'a.b.c': 3 })).toBe(true);
    expect(ok({ t: ['x', 'y'] }, { 't.1': 'y', 't.length': 2 })).toBe(true);
    expect(ok({ a: null }, { 'a.b': { $exists: false } })).toBe(true);
    expect(ok({ a: 'str' }, { 'a.length': { $exists: false } })).toBe(true);
  });

  it('reads own properties only, never the prototype chain', () => {
    expect(ok({}, { constructor: { $exists: true } })).toBe(false);
    expect(ok({}, { toString: { $exists: true } })).toBe(false);
    expect(ok({}, { __proto__: { $exists: true } } as ConditionInterface)).toBe(true); // a literal __proto__ is the prototype: inherited keys are ignored
    expect(ok({}, json('{"__proto__": {"$exists": true}}'))).toBe(false);
    expect(ok({ a: {} }, { 'a.constructor.name': 'Object' })).toBe(false);
    expect(ok({ a: {} }, { 'a.hasOwnProperty': { $exists: false } })).toBe(true);
    const inherited = Object.create({ plan: 'pro' }) as Attributes;
    expect(ok(inherited, { plan: 'pro' })).toBe(false);
  });

  it('handles attributes that shadow hasOwnProperty or have no prototype', () => {
    expect(ok({ hasOwnProperty: 1, a: 2 }, { a: 2, hasOwnProperty: 1 })).toBe(true);
    const bare = Object.assign(Object.create(null) as Attributes, { a: { b: 1 } });
    expect(ok(bare, { 'a.b': 1 })).toBe(true);
  });
});

describe('evalCondition: robustness', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBe(undefined);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('{} matches everyone; non-object conditions match no one', () => {
    expect(ok({}, {})).toBe(true);
    for (const bad of [null, undefined, 'x', 1, true, [], [{}]]) {
      expect(ok({ a: 1 }, bad as unknown as ConditionInterface)).toBe(false);
    }
  });

  it('tolerates non-object attributes', () => {
    expect(ok(null as unknown as Attributes, { a: null })).toBe(true);
    expect(ok('str' as unknown as Attributes, { length: 3 })).toBe(false);
  });

  it('an unknown operator is false', () => {
    expect(ok({ a: 'hello' }, { a: { $regx: 'hello' } })).toBe(false);
    expect(ok({ a: 'hello' }, { a: { $not: { $bogus: 1 } } })).toBe(true);
  });

  it('never throws on values that cannot be compared or stringified', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bare = Object.create(null) as object;
    expect(ok({ a: cyclic }, { a: { self: 1 } })).toBe(false);
    expect(ok({ a: 10n }, { a: [1] })).toBe(false);
    expect(ok({ a: bare }, { a: 'x' })).toBe(false);
    expect(ok({ a: bare }, { a: { $gt: 1 } })).toBe(false);
    expect(ok({ a: Symbol('s') }, { a: { $regex: 's' } })).toBe(false);
  });

  it('__proto__ and constructor keys in conditions and attributes pollute nothing', () => {
    const attributes = json<Attributes>('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}');
    const conditions = [
      '{"__proto__.polluted": 1}',
      '{"__proto__": {"polluted": 1}}',
      '{"constructor.prototype.polluted": 1}',
      '{"a": {"__proto__": {"polluted": 1}}}',
      '{"a": {"$elemMatch": {"__proto__": {"polluted": 1}}}}',
      '{"$or": [{"__proto__": {"$in": [1]}}], "polluted": {"$exists": true}}',
      '{"a": {"$inGroup": "__proto__"}}',
    ].map((s) => json<ConditionInterface>(s));
    for (const c of conditions) {
      evalCondition(attributes, c, json('{"__proto__": [1]}'));
      evalCondition({ a: [{}] }, c);
    }
    // The attributes' own "__proto__" key is plain data and can be targeted as such.
    expect(ok(attributes, json('{"__proto__.polluted": 1}'))).toBe(true);
    expect(ok({}, json('{"__proto__.polluted": {"$exists": true}}'))).toBe(false);
  });
});

describe('evalCondition: saved groups', () => {
  const groups = { beta: [1, '2', 3], empty: [] };

  it('$inGroup/$notInGroup look values up strictly', () => {
    expect(ok({ id: 1 }, { id: { $inGroup: 'beta' } }, groups)).toBe(true);
    expect(ok({ id: '1' }, { id: { $inGroup: 'beta' } }, groups)).toBe(false);
    expect(ok({ id: 5 }, { id: { $notInGroup: 'beta' } }, groups)).toBe(true);
    expect(ok({ id: [9, 3] }, { id: { $inGroup: 'beta' } }, groups)).toBe(true);
  });

  it('an unknown group is empty, with or without savedGroups', () => {
    expect(ok({ id: 1 }, { id: { $inGroup: 'nope' } }, groups)).toBe(false);
    expect(ok({ id: 1 }, { id: { $notInGroup: 'nope' } }, groups)).toBe(true);
    expect(ok({ id: 1 }, { id: { $notInGroup: 'beta' } })).toBe(true);
    expect(ok({ id: 1 }, { id: { $notInGroup: 'constructor' } }, groups)).toBe(true);
    expect(ok({ id: 1 }, { id: { $inGroup: 'toString' } }, groups)).toBe(false);
  });

  it('a malformed entry or id matches nobody, even for $notInGroup', () => {
    const bad = { g: 'oops' } as unknown as Record<string, unknown[]>;
    expect(ok({ id: 1 }, { id: { $inGroup: 'g' } }, bad)).toBe(false);
    expect(ok({ id: 1 }, { id: { $notInGroup: 'g' } }, bad)).toBe(false);
    expect(ok({ id: 1 }, { id: { $notInGroup: { id: 'beta' } } }, groups)).toBe(false);
  });

  it("accepts GrowthBook's v2 list entries", () => {
    const v2 = { vip: { type: 'list', attributeKey: 'id', values: [7] } } as unknown as Record<string, unknown[]>;
    expect(ok({ id: 7 }, { id: { $inGroup: 'vip' } }, v2)).toBe(true);
    expect(ok({ id: 8 }, { id: { $notInGroup: 'vip' } }, v2)).toBe(true);
  });
});
