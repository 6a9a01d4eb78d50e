// Sets globalThis.indexedDB for the whole file. Clients created without an explicit
// `stickyBucketStore` get the IndexedDB store only where there is a `window` (a browser; the
// describe block for it provides one), none on a server. Every other test passes its own.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type ClientOptions, type FeatureDefinitions, type FeatureRule } from '../../src/index';
import { memoryStickyBucketStore } from '../../src/sticky';
import { indexedDbStickyBucketStore } from '../../src/sticky-stores';
import type { StickyAssignmentDocs, StickyAssignmentsDocument, StickyBucketStore } from '../../src/types';

const VARIATIONS = ['red', 'blue', 'green'];
const META = [{ key: 'r' }, { key: 'b' }, { key: 'g' }];
const EXP = 'sticky-exp';

/** A feature `color` whose only rule is an experiment; the default value means "not in it". */
const feature = (rule: Partial<FeatureRule> = {}): FeatureDefinitions => ({
  color: { defaultValue: 'default', rules: [{ key: EXP, variations: VARIATIONS, meta: META, hashVersion: 2, ...rule }] },
});

const visitors = Array.from({ length: 1000 }, (_, i) => ({ id: `visitor-${i}`, country: i % 3 === 0 ? 'CA' : 'US' }));

/** Let queued microtasks and timers (batched sticky writes) run. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
/** Let queued microtasks run (the batched write of a memory store lands synchronously in one). */
const microtasks = async () => {
  for (let i = 0; i < 3; i++) await Promise.resolve();
};

/** One "page load": a fresh client on the shared store, evaluated after `ready()`. */
async function pageLoad(attributes: Record<string, unknown>, features: FeatureDefinitions, store: StickyBucketStore | false, extra: Partial<ClientOptions> = {}) {
  const log = vi.fn();
  const client = createClient({ clientId: String(attributes.id), cookie: false, attributes, features, stickyBucketStore: store, log, ...extra });
  await client.ready();
  const result = client.evalFeature('color');
  await microtasks();
  expect(log).not.toHaveBeenCalled();
  return result;
}

/** The hashed answer, with nothing stored anywhere. */
const hashed = (attributes: Record<string, unknown>, features: FeatureDefinitions) =>
  createClient({ clientId: String(attributes.id), cookie: false, attributes, features, stickyBucketStore: false }).evalFeature('color');

describe('the sticky promise: assigned visitors keep their variant', () => {
  it('1,000 visitors keep their variant through weight, coverage and targeting changes; bucket versions re-randomise only when asked', async () => {
    const store = memoryStickyBucketStore();
    const phase1 = feature();
    const first = new Map<string, unknown>();
    for (const v of visitors) {
      const result = await pageLoad(v, phase1, store);
      expect(result.source).toBe('experiment');
      expect(result.experimentResult!.stickyBucketUsed).toBe(false);
      first.set(v.id, result.value);
    }
    // Everyone was stored, under GrowthBook's doc shape and the variation's meta key.
    expect(store.docs.size).toBe(1000);
    const doc0 = store.docs.get('id||visitor-0')!;
    expect(doc0.assignments).toEqual({ [EXP + '__0']: META[VARIATIONS.indexOf(first.get('visitor-0') as string)].key });
    // All three variations in use, roughly a third each.
    for (const value of VARIATIONS) expect([...first.values()].filter((x) => x === value).length).toBeGreaterThan(250);

    // Phase 2: most traffic to red, half coverage, and only US visitors targeted.
    const phase2 = feature({ weights: [0.8, 0.1, 0.1], coverage: 0.5, condition: { country: 'US' } });
    let movedWithoutStore = 0;
    let excludedWithoutStore = 0;
    for (const v of visitors) {
      const result = await pageLoad(v, phase2, store);
      expect(result.value, v.id).toBe(first.get(v.id));
      expect(result.source).toBe('experiment');
      expect(result.experimentResult!.stickyBucketUsed).toBe(true);
      // The same visitor without sticky buckets: the change would have moved or dropped many.
      const fresh = hashed(v, phase2);
      if (fresh.value !== first.get(v.id)) movedWithoutStore++;
      if (fresh.source !== 'experiment') excludedWithoutStore++;
    }
    expect(movedWithoutStore).toBeGreaterThan(500);
    // CA visitors (a third) are out by targeting, half the rest by coverage.
    expect(excludedWithoutStore).toBeGreaterThan(550);

    // New visitors do meet the new targeting, coverage and weights.
    let newIn = 0;
    let newRed = 0;
    for (let i = 0; i < 300; i++) {
      const ca = await pageLoad({ id: `new-ca-${i}`, country: 'CA' }, phase2, store);
      expect(ca.source).toBe('defaultValue');
      const us = await pageLoad({ id: `new-us-${i}`, country: 'US' }, phase2, store);
      if (us.source === 'experiment') {
        newIn++;
        if (us.value === 'red') newRed++;
      }
    }
    expect(newIn).toBeGreaterThan(100);
    expect(newIn).toBeLessThan(200);
    expect(newRed / newIn).toBeGreaterThan(0.65);

    // Phase 3: bumping the bucket version re-randomises with the current weights.
    const phase3 = feature({ weights: [0.8, 0.1, 0.1], bucketVersion: 1 });
    const third = new Map<string, unknown>();
    let changed = 0;
    for (const v of visitors) {
      const result = await pageLoad(v, phase3, store);
      expect(result.experimentResult!.stickyBucketUsed).toBe(false);
      expect(result.value).toBe(hashed(v, phase3).value);
      if (result.value !== first.get(v.id)) changed++;
      third.set(v.id, result.value);
    }
    expect(changed).toBeGreaterThan(300);
    // Both bucket versions are kept in the doc.
    expect(Object.keys(store.docs.get('id||visitor-0')!.assignments).sort()).toEqual([EXP + '__0', EXP + '__1']);

    // The new version is sticky in turn.
    const phase3b = feature({ weights: [0.1, 0.1, 0.8], bucketVersion: 1 });
    for (const v of visitors.slice(0, 200)) {
      const result = await pageLoad(v, phase3b, store);
      expect(result.value).toBe(third.get(v.id));
      expect(result.experimentResult!.stickyBucketUsed).toBe(true);
    }

    // Phase 4: minBucketVersion 2 excludes everyone holding an older bucket; newcomers are bucketed.
    const phase4 = feature({ bucketVersion: 2, minBucketVersion: 2 });
    for (const v of visitors.slice(0, 200)) {
      const result = await pageLoad(v, phase4, store);
      expect(result.source).toBe('defaultValue');
      expect(result.value).toBe('default');
    }
    // Blocked visitors are not given a new bucket either.
    expect(store.docs.get('id||visitor-0')!.assignments[EXP + '__2']).toBeUndefined();
    for (let i = 0; i < 50; i++) {
      const result = await pageLoad({ id: `late-${i}`, country: 'US' }, phase4, store);
      expect(result.source).toBe('experiment');
      expect(store.docs.get(`id||late-${i}`)!.assignments[EXP + '__2']).toBeDefined();
    }
  });

  it('a rule without `meta` stays sticky (the index is stored and found again)', async () => {
    const store = memoryStickyBucketStore();
    const noMeta = (rule: Partial<FeatureRule> = {}): FeatureDefinitions => ({
      color: { defaultValue: 'default', rules: [{ key: 'no-meta', variations: VARIATIONS, hashVersion: 2, ...rule }] },
    });
    const first = new Map<string, unknown>();
    for (const v of visitors.slice(0, 300)) first.set(v.id, (await pageLoad(v, noMeta(), store)).value);
    const stored = new Set(visitors.slice(0, 300).map((v) => store.docs.get('id||' + v.id)!.assignments['no-meta__0']));
    expect(stored).toEqual(new Set(['0', '1', '2']));

    const changed = noMeta({ weights: [0.05, 0.05, 0.9] });
    let wouldMove = 0;
    for (const v of visitors.slice(0, 300)) {
      const result = await pageLoad(v, changed, store);
      expect(result.value).toBe(first.get(v.id));
      expect(result.experimentResult!.stickyBucketUsed).toBe(true);
      if (hashed(v, changed).value !== first.get(v.id)) wouldMove++;
    }
    expect(wouldMove).toBeGreaterThan(100);
  });
});

/** A store whose reads answer when the test says so (or never), recording every write. */
function controlledStore(docs: StickyAssignmentDocs = {}) {
  let answer!: (docs: StickyAssignmentDocs) => void;
  let fail!: (error: unknown) => void;
  const read = new Promise<StickyAssignmentDocs>((resolve, reject) => ((answer = resolve), (fail = reject)));
  const saves: StickyAssignmentsDocument[] = [];
  const store: StickyBucketStore = {
    getAllAssignments: vi.fn(() => read),
    getAssignments: vi.fn(() => read.then(() => null)),
    saveAssignments: vi.fn(async (doc: StickyAssignmentsDocument) => void saves.push(structuredClone(doc))),
  };
  return { store, saves, answer: () => answer(docs), fail };
}

describe('flicker-free start', () => {
  const features = feature();
  const visitor = { id: 'returning-visitor' };
  const hashedValue = hashed(visitor, features).value as string;
  const storedValue = VARIATIONS.find((v) => v !== hashedValue)!;
  const storedKey = META[VARIATIONS.indexOf(storedValue)].key!;
  const storedDoc: StickyAssignmentsDocument = {
    attributeName: 'id',
    attributeValue: visitor.id,
    assignments: { [EXP + '__0']: storedKey, 'other-exp__0': 'x' },
  };

  it('hashes before the docs arrive, never writes over them, and notifies subscribers when they do', async () => {
    const { store, saves, answer } = controlledStore({ 'id||returning-visitor': storedDoc });
    const log = vi.fn();
    const client = createClient({ clientId: visitor.id, cookie: false, attributes: visitor, features, stickyBucketStore: store, log });
    const listener = vi.fn();
    client.subscribe(listener);
    // The read starts as the client is created (in the same tick), before anything is evaluated.
    await microtasks();
    expect(store.getAllAssignments).toHaveBeenCalledWith({ id: visitor.id });

    // Before ready(): the hashed value, provisionally.
    const early = client.evalFeature('color');
    expect(early.value).toBe(hashedValue);
    expect(early.experimentResult!.stickyBucketUsed).toBe(false);
    await flush();
    expect(saves).toEqual([]);
    expect(listener).not.toHaveBeenCalled();
    expect(client.getSnapshot().ready).toBe(false);

    // The docs arrive: subscribers hear of it at once (before anyone awaits ready()).
    const version = client.getSnapshot().version;
    answer();
    await flush();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(client.getSnapshot().version).toBeGreaterThan(version);
    expect(client.getSnapshot().ready).toBe(false);
    await client.ready();
    expect(client.getSnapshot().ready).toBe(true);

    // The stored assignment wins, and anything written agrees with it (other experiments kept).
    const late = client.evalFeature('color');
    expect(late.value).toBe(storedValue);
    expect(late.experimentResult!.stickyBucketUsed).toBe(true);
    await flush();
    for (const doc of saves) expect(doc.assignments[EXP + '__0']).toBe(storedKey);
    expect(client.getStickyBucketAssignmentDocs()['id||returning-visitor'].assignments).toEqual(storedDoc.assignments);
    expect(log).not.toHaveBeenCalled();

    // A memory store behind it ends up holding the stored variation, not the provisional one.
    const memory = memoryStickyBucketStore([storedDoc]);
    for (const doc of saves) await memory.saveAssignments(doc);
    expect((await memory.getAssignments('id', visitor.id))!.assignments[EXP + '__0']).toBe(storedKey);
  });

  it('reports exposures only for variations the stored docs confirm (none for the provisional one)', async () => {
    const { store, answer } = controlledStore({ 'id||returning-visitor': storedDoc });
    const onExposure = vi.fn();
    const client = createClient({ clientId: visitor.id, cookie: false, attributes: visitor, features, stickyBucketStore: store, onExposure });
    expect(client.evalFeature('color').value).toBe(hashedValue);
    await flush();
    expect(onExposure).not.toHaveBeenCalled();
    answer();
    await client.ready();
    expect(onExposure).not.toHaveBeenCalled(); // the provisional variation was never confirmed
    client.evalFeature('color');
    expect(onExposure).toHaveBeenCalledTimes(1);
    expect(onExposure.mock.calls[0][1]).toMatchObject({ value: storedValue, stickyBucketUsed: true });

    // A new visitor's early exposure is confirmed by the (empty) load and delivered once.
    const fresh = controlledStore({});
    const newcomer = vi.fn();
    const other = createClient({ clientId: 'new-visitor', cookie: false, attributes: { id: 'new-visitor' }, features, stickyBucketStore: fresh.store, onExposure: newcomer });
    other.evalFeature('color');
    expect(newcomer).not.toHaveBeenCalled();
    fresh.answer();
    await other.ready();
    expect(newcomer).toHaveBeenCalledTimes(1);
    other.evalFeature('color');
    expect(newcomer).toHaveBeenCalledTimes(1);
  });

  it('a store that can answer at once (peekAssignments) gives the stored variation to the first evaluation; the full read confirms it without a re-render', async () => {
    const { store, saves, answer } = controlledStore({ 'id||returning-visitor': storedDoc });
    store.peekAssignments = vi.fn(() => ({ 'id||returning-visitor': storedDoc }));
    const onExposure = vi.fn();
    const client = createClient({ clientId: visitor.id, cookie: false, attributes: visitor, features, stickyBucketStore: store, onExposure });
    const listener = vi.fn();
    client.subscribe(listener);
    expect(store.peekAssignments).toHaveBeenCalledWith({ id: visitor.id });

    // Synchronously after creation, before the store's read has answered.
    const first = client.evalFeature('color');
    expect(first.value).toBe(storedValue);
    expect(first.experimentResult!.stickyBucketUsed).toBe(true);
    await flush();
    expect(onExposure).not.toHaveBeenCalled(); // exposures still wait for the full read

    answer();
    await client.ready();
    expect(onExposure).toHaveBeenCalledTimes(1);
    expect(onExposure.mock.calls[0][1]).toMatchObject({ value: storedValue, stickyBucketUsed: true });
    // The read agreed with what the first render showed: no change notification before ready's own.
    expect(listener).toHaveBeenCalledTimes(1);
    expect(client.getSnapshot().ready).toBe(true);
    await flush();
    expect(saves).toEqual([]); // nothing new to write for a returning visitor
  });

  it('when the full read disagrees with the quick one, the full read wins and the quick variation is never reported', async () => {
    const { store, answer } = controlledStore({ 'id||returning-visitor': storedDoc });
    const stale = META.find((m) => m.key !== storedKey)!.key!;
    store.peekAssignments = () => ({ 'id||returning-visitor': { ...storedDoc, assignments: { [EXP + '__0']: stale } } });
    const onExposure = vi.fn();
    const client = createClient({ clientId: visitor.id, cookie: false, attributes: visitor, features, stickyBucketStore: store, onExposure });
    expect(client.evalFeature('color').experimentResult!.key).toBe(stale);
    const listener = vi.fn();
    client.subscribe(listener);
    answer();
    await flush();
    expect(listener).toHaveBeenCalled(); // results moved: subscribers hear of it
    expect(onExposure).not.toHaveBeenCalled();
    expect(client.evalFeature('color').value).toBe(storedValue);
    expect(onExposure).toHaveBeenCalledTimes(1);
    expect(onExposure.mock.calls[0][1]).toMatchObject({ value: storedValue });
  });

  it('a quick read that throws is logged and the client waits for the full read as before', async () => {
    const { store, answer } = controlledStore({ 'id||returning-visitor': storedDoc });
    store.peekAssignments = () => {
      throw new Error('broken copy');
    };
    const log = vi.fn();
    const client = createClient({ clientId: visitor.id, cookie: false, attributes: visitor, features, stickyBucketStore: store, log });
    expect(client.evalFeature('color').value).toBe(hashedValue);
    expect(log).toHaveBeenCalledWith('Loading sticky buckets failed', expect.objectContaining({ error: expect.any(Error) }));
    answer();
    await client.ready();
    expect(client.evalFeature('color').value).toBe(storedValue);
  });

  it('ready() resolves after readyTimeoutMs when the store never answers, and writes nothing meanwhile', async () => {
    vi.useFakeTimers();
    try {
      const { store, saves } = controlledStore();
      const client = createClient({ clientId: visitor.id, cookie: false, attributes: visitor, features, stickyBucketStore: store, readyTimeoutMs: 300, log: vi.fn() });
      let resolved = false;
      void client.ready().then(() => (resolved = true));
      await vi.advanceTimersByTimeAsync(299);
      expect(resolved).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(resolved).toBe(true);
      expect(client.getSnapshot().ready).toBe(true);
      expect(client.evalFeature('color').value).toBe(hashedValue);
      await vi.advanceTimersByTimeAsync(1000);
      // The read may still answer with a different assignment: nothing provisional is written.
      expect(saves).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a store that rejects is logged and hashing takes over (and writes resume)', async () => {
    const { store, saves, fail } = controlledStore();
    const log = vi.fn();
    const client = createClient({ clientId: visitor.id, cookie: false, attributes: visitor, features, stickyBucketStore: store, log });
    fail(new Error('storage exploded'));
    const start = Date.now();
    await client.ready();
    expect(Date.now() - start).toBeLessThan(400);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('Loading sticky buckets failed'), expect.objectContaining({ error: expect.any(Error) }));
    const result = client.evalFeature('color');
    expect(result.value).toBe(hashedValue);
    expect(result.source).toBe('experiment');
    await flush();
    expect(saves).toEqual([{ attributeName: 'id', attributeValue: visitor.id, assignments: { [EXP + '__0']: META[VARIATIONS.indexOf(hashedValue)].key } }]);
  });
});

describe('batched writes', () => {
  it('many experiments evaluated in one tick → one merged write per identity doc', async () => {
    const features: FeatureDefinitions = {};
    for (let i = 0; i < 8; i++) {
      features['f' + i] = { defaultValue: 0, rules: [{ key: 'exp-' + i, variations: [1, 2], hashVersion: 2, ...(i % 2 ? { hashAttribute: 'deviceId' } : {}) }] };
    }
    const saves: StickyAssignmentsDocument[] = [];
    const store = memoryStickyBucketStore();
    const save = store.saveAssignments;
    store.saveAssignments = vi.fn(async (doc) => {
      saves.push(structuredClone(doc));
      return save(doc);
    });
    const client = createClient({ clientId: 'u1', cookie: false, attributes: { id: 'u1', deviceId: 'd1' }, features, stickyBucketStore: store, log: vi.fn() });
    await client.ready();
    for (let i = 0; i < 8; i++) client.evalFeature('f' + i);
    for (let i = 0; i < 8; i++) client.evalFeature('f' + i); // repeats change nothing
    expect(saves).toHaveLength(0); // not before the tick ends
    await flush();
    expect(saves).toHaveLength(2);
    const byName = Object.fromEntries(saves.map((doc) => [doc.attributeName, doc]));
    expect(Object.keys(byName.id.assignments).sort()).toEqual(['exp-0__0', 'exp-2__0', 'exp-4__0', 'exp-6__0']);
    expect(Object.keys(byName.deviceId.assignments).sort()).toEqual(['exp-1__0', 'exp-3__0', 'exp-5__0', 'exp-7__0']);
    expect(byName.deviceId.attributeValue).toBe('d1');

    // Nothing new next tick: no writes.
    for (let i = 0; i < 8; i++) client.evalFeature('f' + i);
    await flush();
    expect(saves).toHaveLength(2);
  });

  it('evaluations made while docs load are written once, after the load', async () => {
    const { store, saves, answer } = controlledStore({});
    const client = createClient({ clientId: 'u2', cookie: false, features: feature(), stickyBucketStore: store, log: vi.fn() });
    client.evalFeature('color');
    await flush();
    expect(saves).toEqual([]);
    answer();
    await client.ready();
    await flush();
    expect(saves).toHaveLength(1);
    expect(saves[0]).toMatchObject({ attributeName: 'id', attributeValue: 'u2' });
  });
});

describe('IndexedDB by default in browser-like environments', () => {
  // A browser: `window` exists (this file runs in Node, with fake-indexeddb as `indexedDB`).
  beforeEach(() => vi.stubGlobal('window', globalThis));
  afterEach(() => vi.unstubAllGlobals());

  it('persists sticky buckets across two clients (a reload)', async () => {
    expect(typeof indexedDB).toBe('object');
    const id = 'idb-visitor';
    const log = vi.fn();
    // First visit: everyone gets red.
    const first = createClient({ clientId: id, cookie: false, features: feature({ weights: [1, 0, 0] }), log });
    await first.ready();
    expect(first.evalFeature('color').value).toBe('red');

    // The doc reaches IndexedDB (read back through an independent store on the same database).
    await vi.waitFor(async () => {
      expect(await indexedDbStickyBucketStore({ log }).getAssignments('id', id)).toEqual({
        attributeName: 'id',
        attributeValue: id,
        assignments: { [EXP + '__0']: 'r' },
      });
    });

    // Reload: weights now send everyone to green, but this visitor keeps red.
    const second = createClient({ clientId: id, cookie: false, features: feature({ weights: [0, 0, 1] }), log });
    await second.ready();
    const result = second.evalFeature('color');
    expect(result.value).toBe('red');
    expect(result.experimentResult!.stickyBucketUsed).toBe(true);
    // A visitor new to this browser gets green.
    const other = createClient({ clientId: 'idb-newcomer', cookie: false, features: feature({ weights: [0, 0, 1] }), log });
    await other.ready();
    expect(other.evalFeature('color').value).toBe('green');
    // No fallback to localStorage or memory was needed.
    expect(log).not.toHaveBeenCalled();
  });

  it('stickyBucketStore: false keeps nothing', async () => {
    const id = 'idb-off';
    const first = createClient({ clientId: id, cookie: false, features: feature({ weights: [1, 0, 0] }), stickyBucketStore: false });
    await first.ready();
    expect(first.evalFeature('color').value).toBe('red');
    expect(first.getStickyBucketAssignmentDocs()).toEqual({});
    await flush();
    const second = createClient({ clientId: id, cookie: false, features: feature({ weights: [0, 0, 1] }) });
    await second.ready();
    expect(second.evalFeature('color').value).toBe('green');
  });
});

describe('no sticky store by default on servers', () => {
  it('without a window, nothing is kept even though indexedDB exists', async () => {
    expect(typeof window).toBe('undefined');
    expect(typeof indexedDB).toBe('object');
    const id = 'server-visitor';
    const log = vi.fn();
    const first = createClient({ clientId: id, cookie: false, features: feature({ weights: [1, 0, 0] }), log });
    await first.ready();
    expect(first.evalFeature('color').value).toBe('red');
    await flush();
    // Nothing reached IndexedDB, and a second client (the next request) hashes afresh.
    expect(await indexedDbStickyBucketStore({ log }).getAssignments('id', id)).toBeNull();
    const second = createClient({ clientId: id, cookie: false, features: feature({ weights: [0, 0, 1] }), log });
    await second.ready();
    expect(second.evalFeature('color')).toMatchObject({ value: 'green', experimentResult: { stickyBucketUsed: false } });
    expect(log).not.toHaveBeenCalled();
  });
});
