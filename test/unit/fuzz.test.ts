/**
 * A seeded, bounded payload fuzzer: each case builds a client from a random mix of JSON and
 * hostile JS values (throwing getters and Proxies, symbols, BigInt, cyclic objects, deep
 * nesting, huge arrays, `__proto__` keys, NaN/Infinity, wrong types everywhere) and calls the
 * core methods and the pure building blocks with more of them. It asserts that
 * - nothing throws out of evaluation or the setters (only the app's own code may throw, and
 *   only out of the pure functions it was passed to),
 * - no call hangs: a call fails the guard only past HANG_MS (1 s) of both wall-clock and CPU
 *   time, in three runs and again when its case is replayed at the end. This is not a speed
 *   check (how long calls take is `npm run bench`'s job): the slowest real call on the corpus
 *   is about 0.1 s, and the bait below keeps an unguarded regex busy for 3-30 s, so the bound
 *   sits far from both and a GC pause or a busy machine never reaches it,
 * - no feature evaluation fails inside (its catch-all logs "Feature evaluation failed") but on
 *   the app's own throwing value,
 * - Object.prototype and Array.prototype gain no keys.
 *
 * A failure names its case seed. Replay one case: FUZZ_CASE_SEED=<seed> npx vitest run test/unit/fuzz.test.ts
 * Another run: FUZZ_SEED=<n> FUZZ_CASES=<n> npx vitest run test/unit/fuzz.test.ts
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  chooseVariation,
  createClient,
  evalCondition,
  getBucketRanges,
  hash,
  inNamespace,
  type Client,
  type ClientOptions,
  type Experiment,
} from '../../src/index';
import { compileSafeRegex } from '../../src/regex';
import { mulberry32 } from '../helpers/random';


const SEED = Number(process.env.FUZZ_SEED ?? 14);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const ONLY_CASE = process.env.FUZZ_CASE_SEED === undefined ? undefined : Number(process.env.FUZZ_CASE_SEED);
/** A hang, not a slow call: 10× the slowest real call on the corpus, 3× under the least the bait costs an unguarded regex. */
const HANG_MS = 1000;
const CHUNK = 500;

import { exercise, FuzzTrap, Gen, trap, type Call } from '../helpers/fuzz-cases';


/** A failure: which case and call, and what went wrong. */
interface Failure {
  caseSeed: number;
  method: string;
  problem: string;
}

const ownKeys = (object: object) => [...Object.getOwnPropertyNames(object), ...Object.getOwnPropertySymbols(object).map(String)].sort().join(',');
/** `Name: message (at src/file.ts:line)`, the innermost frame in src/ telling where it broke. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const frame = /\/(src\/[\w.-]+:\d+)/.exec(error.stack || '');
  return `${error.name}: ${error.message}${frame ? ` (at ${frame[1]})` : ''}`;
}


/** Runs one case; returns the number of calls made. */
function runCase(caseSeed: number, failures: Failure[], slow: Failure[]): number {
  const gen = new Gen(mulberry32(caseSeed));
  let calls = 0;
  const fail = (method: string, problem: string) => {
    failures.push({ caseSeed, method, problem });
  };
  /**
   * Calls `fn` under the hang guard. Nothing may throw, except (with `mayThrowTrap`) the app's
   * own hostile value out of a pure function it was handed. `fn` must not draw from `gen`: a
   * slow call is repeated, and must see the same arguments (and leave the same PRNG state).
   */
  const call: Call = (method, fn, mayThrowTrap = false) => {
    calls++;
    const attempt = () => {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      /** The lesser of wall-clock and CPU time: a call starved of the CPU by a busy machine is not slow, a hang burns CPU. */
      const elapsed = () => {
        const cpu = process.cpuUsage(cpuStart);
        return Math.min(performance.now() - start, (cpu.user + cpu.system) / 1000);
      };
      try {
        return { value: fn(), ms: elapsed() };
      } catch (error) {
        return { error, ms: elapsed() };
      }
    };
    let outcome = attempt();
    // A hang guard, not a benchmark: a slow call (GC, JIT, regex tier-up) is measured up to twice
    // more, and only fails if every run is slow.
    for (let retry = 0; retry < 2 && outcome.ms > HANG_MS; retry++) outcome = attempt();
    if (outcome.ms > HANG_MS) slow.push({ caseSeed, method, problem: `took ${outcome.ms.toFixed(0)} ms` });
    if ('error' in outcome) {
      if (!(mayThrowTrap && outcome.error instanceof FuzzTrap)) fail(method, 'threw ' + describeError(outcome.error));
      return undefined;
    }
    return outcome.value;
  };
  // Evaluation's last resort (a caught exception) is for the app's own throwing values only: any
  // other error inside feature evaluation is a defect the catch-all merely hides.
  const log = (message: string, context?: Record<string, unknown>) => {
    const error = context && context.error;
    if (message === 'Feature evaluation failed' && !(error instanceof FuzzTrap)) fail('log: ' + message, describeError(error));
  };

  const options = gen.options();
  let client = call('createClient', () => createClient({ ...options, log }));
  // Still exercise a client when creation failed (a known defect): the setters get the hostile values.
  if (!client) client = createClient({ clientId: 'fuzz-visitor', cookie: false, stickyBucketStore: false, log });
  exercise(gen, client, call);

  // The pure building blocks, with the same kind of values.
  const attributes = gen.attributes() as Record<string, unknown>;
  const condition = gen.condition() as Record<string, unknown>;
  const savedGroups = gen.shaped(() => ({ g: ['x', 1] })) as never;
  call('evalCondition', () => evalCondition(attributes, condition, savedGroups, () => {}));
  const baitCondition = gen.condition() as Record<string, unknown>;
  call('evalCondition on bait', () => evalCondition(Gen.baitAttributes(), baitCondition, {}, () => {}));
  const [seed, value, version] = [gen.shaped(() => gen.string()), gen.shaped(() => gen.string()), gen.pick([1, 2, 3, NaN, '1'])] as never[];
  call('hash', () => hash(seed, value, version), true);
  const [count, coverage, weights] = [gen.shaped(() => gen.int(6)), gen.shaped(() => gen.pick([0, 0.5, 1, 2, -1])), gen.shaped(() => gen.list(() => gen.pick([0.5, 0.25, 1, NaN]), 5))] as never[];
  call('getBucketRanges', () => getBucketRanges(count, coverage, weights), true);
  const [n, ranges] = [gen.shaped(() => gen.random()), gen.shaped(() => getBucketRanges(gen.int(5)))] as never[];
  call('chooseVariation', () => chooseVariation(n, ranges), true);
  const [hashValue, namespace] = [gen.shaped(() => gen.string()), gen.shaped(() => [gen.string(), 0, gen.pick([0.5, 1])])] as never[];
  call('inNamespace', () => inNamespace(hashValue, namespace), true);
  return calls;
}


describe('payload fuzzer', () => {
  const before = { object: ownKeys(Object.prototype), array: ownKeys(Array.prototype) };
  beforeAll(() => {
    // No fuzzed payload may reach the network (bandit `statsUrl`s): fetch fails at once.
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('fuzz: no network')));
    // Refused regexes are logged once per pattern, through the default logger until the client passes its own.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterAll(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  const allSeeds = ONLY_CASE !== undefined ? [ONLY_CASE] : Array.from({ length: CASES }, (_, i) => (Math.imul(SEED, 0x9e3779b1) + Math.imul(i, 0x85ebca6b)) >>> 0);
  // Chunks, so each test stays well within the test timeout on a busy machine.
  for (let first = 0; first < allSeeds.length; first += CHUNK) {
    const seeds = allSeeds.slice(first, first + CHUNK);
    const label = ONLY_CASE === undefined ? `cases ${first + 1}-${first + seeds.length} of ${CASES}` : `case ${ONLY_CASE}`;
    it(`${label} (seed ${SEED}): no throw, no hang, no pollution`, () => {
      const failures: Failure[] = [];
      const slow: Failure[] = [];
      let calls = 0;
      const start = performance.now();
      for (const caseSeed of seeds) {
        calls += runCase(caseSeed, failures, slow);
        const polluted = ownKeys(Object.prototype) !== before.object || ownKeys(Array.prototype) !== before.array || ({} as Record<string, unknown>).polluted !== undefined;
        if (polluted) {
          failures.push({ caseSeed, method: '(after the case)', problem: 'Object.prototype or Array.prototype changed' });
          break;
        }
        if (failures.length >= 20) break;
      }
      // Cases with a slow call run once more at the end, when a burst of load has likely passed:
      // only a call slow in both runs is a hang.
      for (const caseSeed of new Set(slow.map((f) => f.caseSeed))) {
        const again: Failure[] = [];
        runCase(caseSeed, [], again);
        failures.push(...again);
      }
      const seconds = ((performance.now() - start) / 1000).toFixed(1);
      console.info(`[fuzz] seed ${SEED}, ${label}: ${calls} calls in ${seconds} s`);
      expect(failures.map((f) => `case seed ${f.caseSeed} (replay: FUZZ_CASE_SEED=${f.caseSeed}): ${f.method} ${f.problem}`)).toEqual([]);
    });
  }
});

describe('regex analysis stays within its bound on random patterns', () => {
  /** Random patterns over a small alphabet: quantifiers, groups, alternations, classes, anchors, lookarounds. */
  function pattern(gen: Gen, depth = 0): string {
    const atom = (): string => {
      const r = gen.random();
      if (r < 0.4) return gen.pick(['a', 'b', 'a', '.', '\\d', '[ab]', '[^b]', '\\w', 'x', 'ab']);
      if (r < 0.55 && depth < 3) return '(' + gen.pick(['', '?:']) + pattern(gen, depth + 1) + ')';
      if (r < 0.6) return gen.pick(['^', '$', '\\b']);
      if (r < 0.65 && depth < 3) return '(?=' + pattern(gen, depth + 1) + ')';
      return gen.pick(['a', 'b']);
    };
    const sequence = () => {
      let s = '';
      for (let i = 1 + gen.int(4); i > 0; i--) s += atom() + gen.pick(['', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,16}', '{2,}', '*?', '{0,20}']);
      return s;
    };
    return Array.from({ length: gen.chance(0.7) ? 1 : 2 + gen.int(2) }, sequence).join('|');
  }

  it('1,500 accepted patterns each answer hostile inputs at their length limit within the hang guard (seed 8)', () => {
    const gen = new Gen(mulberry32(8));
    let accepted = 0;
    const slow: string[] = [];
    // The guard refuses more than half of these patterns (most repeat a group or chain quantifiers).
    for (let i = 0; i < 10_000 && accepted < 1500; i++) {
      const source = pattern(gen);
      const safe = compileSafeRegex(source, gen.chance(0.3));
      if (!safe.regex) continue;
      accepted++;
      const n = Math.min(safe.maxInputLength, 5000);
      for (const fill of ['a', 'ab', 'aab', 'b', '1', 'aaaaaaaaab']) {
        for (const tail of ['', '!', '\n']) {
          const text = fill.repeat(Math.ceil(n / fill.length)).slice(0, Math.max(0, n - tail.length)) + tail;
          // The fastest of up to three runs: a busy machine is no failure, a real blow-up stays slow.
          let ms = Infinity;
          for (let run = 0; run < 3 && ms > HANG_MS; run++) {
            const start = performance.now();
            safe.regex.test(text);
            ms = Math.min(ms, performance.now() - start);
          }
          if (ms > HANG_MS) slow.push(`${source} on ${n} × ${JSON.stringify(fill + tail)}: ${ms.toFixed(0)} ms`);
        }
      }
    }
    expect(accepted).toBe(1500);
    expect(slow).toEqual([]);
  });
});
