/**
 * The fuzz corpus's generators and the calls each case makes, shared by test/unit/fuzz.test.ts
 * (no throw, no hang) and bench/calls.ts (the slowest single call, in CPU time).
 */
import type { Client, ClientOptions, Experiment } from '../../src/index';

/** What hostile values throw: the app's own code, which may surface from the pure functions it is passed to. */
export class FuzzTrap extends Error {
  override name = 'FuzzTrap';
}
export const trap = (what: string) => () => {
  throw new FuzzTrap(what);
};

export type Random = () => number;

/** One case's generators, all drawing from one seeded PRNG. */
export class Gen {
  constructor(readonly random: Random) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  // Pools: names that collide with Object.prototype, real-looking values, edge numbers.
  static readonly KEYS = ['f', 'g', 'h', 'flag', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'a.b', '$x', '0'];
  static readonly ATTRIBUTES = ['id', 'country', 'tags', 'age', 'version', 'a', 'a.b', 'deviceId', 'constructor', '__proto__', 'user'];
  /** Backtracking bait: 3-30 s (not forever) per call with the regex guard removed, so a regression in it trips HANG_MS. */
  static readonly BAIT = ['a'.repeat(27) + '!', 'x'.repeat(27) + '!'];
  static readonly STRINGS = ['', 'x', 'US', 'CA', 'id', 'v1', '1.2.3', 'v2.0.0-beta.1', '__proto__', 'constructor', 'prototype',
    'polluted', 'valueOf', '💥', '\u0000', 'a'.repeat(3000), '0', 'true', 'null', '$regex', 'f', 'g', 'e', 'exp', ...Gen.BAIT];
  static readonly NUMBERS = [0, 1, -1, 0.5, 2, 3, 0.99, 1e12, -1e12, NaN, Infinity, -Infinity, -0, 1e21, Number.MAX_SAFE_INTEGER, 1.5, 0.1 + 0.2];
  static readonly PATTERNS = ['^US$', 'US', '(a+)+$', '(a|a)*b', '(.*a){20}', '[', '.*', 'a{0,16}a{0,16}b', '\\d+\\.\\d+', '(?<=a)b',
    '\\1', '(', '^(\\d{1,3}\\.){3}\\d{1,3}$', '.*foo.*', '(x+x+)+y', 'a'.repeat(100)];
  static readonly OPERATORS = ['$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$in', '$nin', '$ini', '$nini', '$all', '$alli', '$elemMatch',
    '$size', '$exists', '$type', '$regex', '$regexi', '$not', '$veq', '$vgt', '$vlt', '$inGroup', '$notInGroup', '$bogus', '$and', '$or'];

  string(): string {
    return this.pick(Gen.STRINGS);
  }
  number(): number {
    return this.pick(Gen.NUMBERS);
  }

  /** A hostile JS value, fresh each time. */
  hostile(): unknown {
    switch (this.int(20)) {
      case 0: return Symbol('fuzz');
      case 1: return 10n ** BigInt(this.int(30));
      case 2: {
        const cyclic: Record<string, unknown> = { id: 'c' };
        cyclic.self = cyclic;
        return cyclic;
      }
      case 3: {
        const cyclic: unknown[] = [1];
        cyclic.push(cyclic);
        return cyclic;
      }
      case 4: {
        let deep: unknown = 'bottom';
        for (let i = 0; i < 3000; i++) deep = this.chance(0.5) ? [deep] : { a: deep };
        return deep;
      }
      case 5: {
        const n = 20_000 + this.int(20_000);
        return this.chance(0.5) ? Array.from({ length: n }, (_, i) => 'v' + i) : Array.from({ length: n }, (_, i) => i);
      }
      case 6: return JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}');
      case 7: {
        const object: Record<string, unknown> = {};
        Object.defineProperty(object, this.pick([...Gen.ATTRIBUTES, 'rules', 'condition', 'variations', 'value']), { get: trap('getter'), enumerable: true });
        return object;
      }
      case 8: return new Proxy({}, { get: trap('proxy get'), has: trap('proxy has'), ownKeys: trap('proxy ownKeys'), getOwnPropertyDescriptor: trap('proxy descriptor'), getPrototypeOf: trap('proxy prototype') });
      case 9: return new Proxy([], { get: trap('array proxy get'), has: trap('array proxy has'), ownKeys: trap('array proxy ownKeys'), getOwnPropertyDescriptor: trap('array proxy descriptor') });
      case 10: return this.chance(0.5) ? () => 1 : trap('function');
      case 11: return { toString: trap('toString'), valueOf: trap('valueOf'), toJSON: trap('toJSON') };
      case 12: return this.pick([NaN, Infinity, -Infinity, -0]);
      case 13: return this.pick([new Date(NaN), new Map([['a', 1]]), new Set([1]), /re/g, new Uint8Array(3)]);
      case 14: return Object.assign(Object.create(null), { id: 'bare', a: 1 });
      case 15: return Object.freeze({ id: 'frozen', rules: Object.freeze([]) });
      case 16: return [, , 'sparse'];
      case 17: return Object.create({ inherited: true, rules: [{ force: 1 }], id: 'inherited' });
      case 18: return { [Symbol('k')]: 1, a: Symbol('v') };
      default: return 'a'.repeat(100_000);
    }
  }

  /** Any value: mostly JSON, sometimes hostile. */
  value(depth = 0): unknown {
    if (this.chance(0.12)) return this.hostile();
    switch (this.int(depth > 2 ? 5 : 8)) {
      case 0: return null;
      case 1: return this.chance(0.5);
      case 2: return this.number();
      case 3: return this.string();
      case 4: return undefined;
      case 5: return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      default: return this.record(Gen.ATTRIBUTES, () => this.value(depth + 1));
    }
  }

  /** An object with own keys from `keys` (an own `__proto__` too), now and then booby-trapped. */
  record(keys: readonly string[], make: () => unknown, size = 1 + this.int(4)): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    for (let i = 0; i < size; i++) Object.defineProperty(object, this.pick(keys), { value: make(), enumerable: true, writable: true, configurable: true });
    return this.booby(object);
  }

  /** Sometimes: one property turned into a throwing getter, or the whole object into a throwing Proxy. */
  booby<T extends object>(object: T): T {
    if (this.chance(0.03)) {
      const keys = Object.keys(object);
      Object.defineProperty(object, keys.length ? this.pick(keys) : 'x', { get: trap('booby getter'), enumerable: true, configurable: true });
    } else if (this.chance(0.01)) {
      return new Proxy(object, { get: trap('booby proxy'), ownKeys: trap('booby proxy keys') });
    }
    return object;
  }

  /** Mostly `make()`, sometimes any value at all (the wrong type). */
  shaped<T>(make: () => T, wrong = 0.08): T | unknown {
    return this.chance(wrong) ? this.value(2) : make();
  }

  list<T>(make: () => T, max = 4): T[] {
    return this.booby(Array.from({ length: this.int(max + 1) }, make));
  }

  condition(depth = 0): unknown {
    return this.shaped(() => {
      if (depth < 3 && this.chance(0.25)) {
        const op = this.pick(['$and', '$or', '$nor', '$not']);
        return { [op]: op === '$not' ? this.condition(depth + 1) : this.list(() => this.condition(depth + 1), 3) };
      }
      return this.record(Gen.ATTRIBUTES, () => (this.chance(0.3) ? this.value(2) : this.operators(depth)), 1 + this.int(2));
    });
  }

  operators(depth: number): unknown {
    // Regexes get extra weight: their inputs are where a payload could stall evaluation.
    const op = this.chance(0.2) ? this.pick(['$regex', '$regexi']) : this.pick(Gen.OPERATORS);
    let arg: unknown;
    if (op === '$regex' || op === '$regexi') arg = this.shaped(() => this.pick(Gen.PATTERNS));
    else if (/^\$(n?ini?|alli?)$/.test(op)) arg = this.shaped(() => (this.chance(0.1) ? this.hostile() : this.list(() => this.value(2), 6)));
    else if (op === '$elemMatch' || op === '$not') arg = depth < 3 ? this.condition(depth + 1) : {};
    else if (op === '$inGroup' || op === '$notInGroup') arg = this.pick(['g', 'missing', '__proto__', 'constructor']);
    else arg = this.value(2);
    return this.booby({ [op]: arg });
  }

  parents(): unknown {
    return this.list(() => this.shaped(() => ({ id: this.pick(Gen.KEYS), condition: this.condition(1), gate: this.chance(0.3) })), 2);
  }

  /** Fields shared by experiment rules and inline experiments. */
  bucketing(target: Record<string, unknown>): Record<string, unknown> {
    const n = this.int(5);
    const fields: Record<string, () => unknown> = {
      variations: () => this.list(() => this.value(2), n),
      weights: () => this.list(() => (this.chance(0.8) ? this.pick([0, 0.5, 1, 0.25, 0.75, 1 / 3]) : this.value(2)), n),
      coverage: () => this.pick([0, 0.5, 1, 1.5, -1, NaN]),
      key: () => this.string(),
      hashAttribute: () => this.pick(Gen.ATTRIBUTES),
      fallbackAttribute: () => this.pick(Gen.ATTRIBUTES),
      hashVersion: () => this.pick([1, 2, 3, 0, NaN]),
      seed: () => this.string(),
      namespace: () => [this.string(), this.pick([0, 0.5]), this.pick([0.5, 1])],
      filters: () => this.list(() => ({ seed: this.string(), ranges: this.list(() => [this.pick([0, 0.5]), this.pick([0.5, 1])]), attribute: this.pick(Gen.ATTRIBUTES) }), 2),
      ranges: () => this.list(() => this.shaped(() => [this.pick([0, 0.5]), this.pick([0.5, 1])]), n),
      meta: () => this.list(() => ({ key: this.string(), passthrough: this.chance(0.2) }), n),
      condition: () => this.condition(),
      parentConditions: () => this.parents(),
      bucketVersion: () => this.pick([0, 1, 2, 1e12]),
      minBucketVersion: () => this.pick([0, 1, 3, 1e12, 1e300]),
      disableStickyBucketing: () => this.chance(0.5),
      enabled: () => this.chance(0.9),
      startTs: () => this.pick([0, 1e10, -1]),
      stopTs: () => this.pick([0, 1e10]),
      globalOverride: () => this.pick([0, 1, -1, 5]),
      // Bandits from a payload: never a reachable URL (fetch is stubbed too).
      bandit: () => this.pick([{}, { policy: 'thompson' }, { statsUrl: 'not a url', refreshMs: 1000 }, { policy: 'bogus' }]),
      contextualBanditRef: () => this.pick(['cb', 'missing', 'constructor']),
      name: () => this.string(),
      phase: () => this.string(),
    };
    for (const field of Object.keys(fields)) if (this.chance(field === 'variations' ? 0.9 : 0.2)) target[field] = this.shaped(fields[field]);
    return target;
  }

  rule(): unknown {
    return this.shaped(() => {
      const rule: Record<string, unknown> = {};
      if (this.chance(0.4)) {
        rule.force = this.value(1);
        if (this.chance(0.3)) rule.coverage = this.pick([0, 0.5, 1]);
        if (this.chance(0.3)) rule.condition = this.condition();
        if (this.chance(0.2)) rule.range = [this.pick([0, 0.5]), this.pick([0.5, 1])];
      } else {
        this.bucketing(rule);
      }
      if (this.chance(0.3)) rule.parentConditions = this.parents();
      if (this.chance(0.1)) rule.id = this.string();
      return this.booby(rule);
    });
  }

  features(): unknown {
    return this.shaped(
      () => this.record(Gen.KEYS, () => this.shaped(() => this.booby({ defaultValue: this.value(1), rules: this.shaped(() => this.list(() => this.rule(), 4)) })), 1 + this.int(5)),
      0.05,
    );
  }

  attributes(): unknown {
    if (this.chance(0.1)) return Gen.baitAttributes();
    return this.shaped(() => this.record(Gen.ATTRIBUTES, () => this.value(1), 1 + this.int(6)), 0.05);
  }

  /** Every attribute name holding backtracking bait, so any regex condition meets it. */
  static baitAttributes(): Record<string, unknown> {
    const attributes: Record<string, unknown> = {};
    Gen.ATTRIBUTES.forEach((name, i) => Object.defineProperty(attributes, name, { value: Gen.BAIT[i % Gen.BAIT.length], enumerable: true }));
    return attributes;
  }

  experiment(): unknown {
    return this.shaped(() => {
      const exp = this.bucketing({ key: this.string() });
      if (this.chance(0.2)) exp.include = this.pick([() => true, () => false, trap('include')]);
      if (this.chance(0.2)) exp.groups = this.list(() => this.pick(['beta', 'constructor', '__proto__', 'toString']), 2);
      if (this.chance(0.1)) exp.force = this.pick([0, 1, -1, 9]);
      if (this.chance(0.1)) exp.url = this.pick(['^/$', 'x', '[', '/path']);
      return exp;
    }, 0.05);
  }

  options(): ClientOptions {
    const options: Record<string, unknown> = { clientId: 'fuzz-visitor', cookie: false };
    if (this.chance(0.9)) options.features = this.features();
    if (this.chance(0.9)) options.attributes = this.attributes();
    if (this.chance(0.5)) options.stickyBucketStore = false;
    else if (this.chance(0.5)) {
      options.stickyBucketAssignmentDocs = this.shaped(() =>
        this.record(['id||fuzz-visitor', 'id||v1', 'deviceId||x', 'constructor'], () =>
          this.shaped(() => ({ attributeName: 'id', attributeValue: 'fuzz-visitor', assignments: this.record(['e__0', 'exp__1', 'f__0', 'x'], () => this.shaped(() => this.pick(['0', '1', '']))) })),
        ),
      );
      // The visitor those docs belong to, so they are looked up.
      if (this.chance(0.5)) options.attributes = { id: 'fuzz-visitor', deviceId: 'x' };
    }
    const extras: Record<string, () => unknown> = {
      savedGroups: () => this.record(['g', '__proto__', 'constructor'], () => this.shaped(() => this.list(() => this.value(2), 4))),
      groups: () => this.record(['beta', 'constructor', '__proto__'], () => this.chance(0.5)),
      forcedVariations: () => this.record(Gen.STRINGS.slice(0, 12), () => this.pick([0, 1, -1, 9, NaN])),
      forcedFeatures: () => this.record(Gen.KEYS, () => this.value(1)),
      overrides: () => this.record(Gen.STRINGS.slice(0, 12), () => this.shaped(() => this.bucketing({}))),
      contextualBandits: () => this.record(['cb', 'constructor'], () => this.shaped(() => ({ contexts: this.list(() => ({ leafId: this.int(3), condition: this.condition(), weights: [0.5, 0.5] }), 2) }))),
      qaMode: () => this.chance(0.5),
      enabled: () => this.chance(0.8),
      experiments: () => this.record(['e', 'constructor'], () => this.shaped(() => this.bucketing({}))),
    };
    for (const name of Object.keys(extras)) if (this.chance(0.15)) options[name] = this.shaped(extras[name], 0.1);
    // The page URL is the app's own (a wrong type is a programming mistake): only its content is fuzzed.
    if (this.chance(0.15)) options.url = this.pick(['http://127.0.0.1/?e=1&f=0', 'http://127.0.0.1/path', '', '?']);
    return options as ClientOptions;
  }
}

export type Call = <T>(method: string, fn: () => T, mayThrowTrap?: boolean) => T | undefined;

/** Every core method, with fuzzed arguments where they take any. */
export function exercise(gen: Gen, client: Client, call: Call): void {
  const evaluateAll = (phase: string) => {
    for (const key of Gen.KEYS) {
      if (!gen.chance(0.5)) continue;
      call(`${phase}: evalFeature`, () => client.evalFeature(key));
      call(`${phase}: evalFeature(track: false)`, () => client.evalFeature(key, { track: false }));
      call(`${phase}: isOn`, () => client.isOn(key));
      call(`${phase}: isOff`, () => client.isOff(key));
      const fallback = gen.pick([null, 0, '', false, 'x', {}]) as never;
      call(`${phase}: getFeatureValue`, () => client.getFeatureValue(key, fallback));
    }
    const [experiment, untracked] = [gen.experiment(), gen.experiment()] as Experiment[];
    call(`${phase}: run`, () => client.run(experiment));
    call(`${phase}: run(track: false)`, () => client.run(untracked, { track: false }));
  };
  evaluateAll('created');
  const unsubscribe = call('subscribe', () => client.subscribe(() => {}));
  const features = gen.features() as never;
  call('setFeatures', () => client.setFeatures(features));
  evaluateAll('setFeatures');
  const attributes = gen.attributes() as never;
  call('setAttributes', () => client.setAttributes(attributes));
  evaluateAll('setAttributes');
  const forcedVariations = gen.shaped(() => gen.record(Gen.STRINGS.slice(0, 12), () => gen.pick([0, 1, -1, NaN]))) as never;
  call('setForcedVariations', () => client.setForcedVariations(forcedVariations));
  const forcedFeatures = gen.shaped(() => (gen.chance(0.5) ? new Map([[gen.pick(Gen.KEYS), gen.value(1)]]) : gen.record(Gen.KEYS, () => gen.value(1)))) as never;
  call('setForcedFeatures', () => client.setForcedFeatures(forcedFeatures));
  evaluateAll('forced');
  // The page URL's content (targeting and ?experiment=N overrides read it), a hydrating read, and
  // exposures handed to a `track` function reported later, as a UI does once a result is shown.
  const url = gen.pick(['http://127.0.0.1/?e=1&f=0&g=9', 'http://127.0.0.1/?__proto__=1&constructor=0', 'http://127.0.0.1/%E0%A4%A?f=%', '', '?', 'not a url']);
  call('setURL', () => client.setURL(url));
  const exposureCallback = gen.pick([undefined, () => {}, trap('onExposure')]);
  call('setOnExposure', () => client.setOnExposure(exposureCallback));
  const held: [Experiment, Parameters<Client['trackExposure']>[1]][] = [];
  const hold = (experiment: Experiment, result: Parameters<Client['trackExposure']>[1]) => void held.push([experiment, result]);
  for (const key of Gen.KEYS) if (gen.chance(0.3)) call('evalFeature(hydrating, track: fn)', () => client.evalFeature(key, { hydrating: true, track: hold }));
  const [heldExperiment, bareExperiment] = [gen.experiment(), gen.experiment()] as Experiment[];
  call('run(track: fn)', () => client.run(heldExperiment, { track: hold }));
  const bareResult = call('run(track: false) for trackExposure', () => client.run(bareExperiment, { track: false }));
  if (bareResult) held.push([bareExperiment, bareResult]);
  for (const [experiment, result] of held) call('trackExposure', () => client.trackExposure(experiment, result));
  call('getStickyBucketAssignmentDocs', () => client.getStickyBucketAssignmentDocs());
  call('ready', () => void client.ready());
  call('getAttributes', () => client.getAttributes());
  call('getSnapshotForHydration', () => client.getSnapshotForHydration());
  call('getSnapshot', () => client.getSnapshot());
  if (unsubscribe) call('unsubscribe', () => unsubscribe());
  call('destroy', () => client.destroy());
}
