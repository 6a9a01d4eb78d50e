// @vitest-environment jsdom
import { IDBDatabase, IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import { createStore, get, set } from 'idb-keyval';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { indexedDbStickyBucketStore, localStorageStickyBucketStore } from '../../src/sticky-stores';
import type { Logger, StickyAssignmentsDocument } from '../../src/types';

const doc = (assignments: Record<string, string>, attributeValue = 'u1'): StickyAssignmentsDocument => ({
  attributeName: 'id',
  attributeValue,
  assignments,
});

/** What is really in the IndexedDB store (read with idb-keyval directly, not through our store). */
const rawIdb = (key: string) => get(key, createStore('splitflap', 'sticky-buckets'));
const rawLs = (key: string) => JSON.parse(localStorage.getItem('splitflap:sticky:' + key)!);

/** Replaces a global with a getter (a spy), restored in afterEach. */
const originals: [string, PropertyDescriptor | undefined][] = [];
function defineGlobal(name: string, get: () => unknown) {
  originals.push([name, Object.getOwnPropertyDescriptor(globalThis, name)]);
  const spy = vi.fn(get);
  Object.defineProperty(globalThis, name, { get: spy, configurable: true });
  return spy;
}
const securityError = () => {
  throw new DOMException('The operation is insecure.', 'SecurityError');
};

let log: Mock<Logger>;
beforeEach(() => {
  vi.stubGlobal('indexedDB', new IDBFactory()); // a fresh, empty IndexedDB per test
  localStorage.clear();
  log = vi.fn<Logger>();
});
afterEach(() => {
  for (const [name, d] of originals.splice(0).reverse()) {
    if (d) Object.defineProperty(globalThis, name, d);
    else delete (globalThis as Record<string, unknown>)[name];
  }
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('indexedDbStickyBucketStore', () => {
  it('round-trips a doc under attributeName||attributeValue in its own database', async () => {
    const store = indexedDbStickyBucketStore({ log });
    expect(await store.getAssignments('id', 'u1')).toBeNull();
    await store.saveAssignments(doc({ exp__0: '1' }));
    expect(await store.getAssignments('id', 'u1')).toEqual(doc({ exp__0: '1' }));
    expect(await indexedDbStickyBucketStore().getAssignments('id', 'u1')).toEqual(doc({ exp__0: '1' }));
    expect(await rawIdb('id||u1')).toEqual(doc({ exp__0: '1' }));
    expect(await get('id||u1')).toBeUndefined(); // the app's default idb-keyval store is untouched
    expect(log).not.toHaveBeenCalled();
  });

  it('honours dbName and storeName', async () => {
    await indexedDbStickyBucketStore({ dbName: 'db2', storeName: 's2' }).saveAssignments(doc({ a__0: '0' }));
    expect(await get('id||u1', createStore('db2', 's2'))).toEqual(doc({ a__0: '0' }));
  });

  it('merges concurrent saves for different experiments from two tabs', async () => {
    const tab1 = indexedDbStickyBucketStore({ log });
    const tab2 = indexedDbStickyBucketStore({ log });
    await Promise.all([
      tab1.saveAssignments(doc({ a__0: '1' })),
      tab2.saveAssignments(doc({ b__0: '2' })),
      tab1.saveAssignments(doc({ c__0: '0' })),
    ]);
    const all = doc({ a__0: '1', b__0: '2', c__0: '0' });
    expect(await rawIdb('id||u1')).toEqual(all);
    expect(await tab1.getAssignments('id', 'u1')).toEqual(all);
    expect(await tab2.getAssignments('id', 'u1')).toEqual(all);
  });

  it('a later save for the same experiment wins; other experiments are kept', async () => {
    const store = indexedDbStickyBucketStore();
    await store.saveAssignments(doc({ a__0: '1', b__0: '1' }));
    await store.saveAssignments(doc({ a__0: '0' }));
    expect(await rawIdb('id||u1')).toEqual(doc({ a__0: '0', b__0: '1' }));
  });

  it('getAllAssignments reads every identity in one getMany', async () => {
    const store = indexedDbStickyBucketStore({ log });
    await store.saveAssignments(doc({ a__0: '1' }));
    await store.saveAssignments({ attributeName: 'deviceId', attributeValue: 'd1', assignments: { b__1: '0' } });
    const getSpy = vi.spyOn(IDBObjectStore.prototype, 'get');
    const txSpy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const docs = await indexedDbStickyBucketStore().getAllAssignments!({ id: 'u1', deviceId: 'd1', company: 'c1' });
    expect(docs).toEqual({
      'id||u1': doc({ a__0: '1' }),
      'deviceId||d1': { attributeName: 'deviceId', attributeValue: 'd1', assignments: { b__1: '0' } },
    });
    expect(txSpy).toHaveBeenCalledTimes(1);
    expect(getSpy).toHaveBeenCalledTimes(3);
    expect(await store.getAllAssignments!({})).toEqual({});
  });

  it('ignores corrupt entries and rewrites them cleanly on the next save', async () => {
    const raw = createStore('splitflap', 'sticky-buckets');
    await set('id||u1', 'not a doc', raw);
    await set('id||u2', doc({ a__0: 1 as unknown as string }, 'u2'), raw);
    await set('id||u3', doc({ a__0: '1' }, 'someone-else'), raw);
    await set('id||u4', { attributeName: 'id', attributeValue: 'u4', assignments: ['1'] }, raw);
    const store = indexedDbStickyBucketStore({ log });
    for (const u of ['u1', 'u2', 'u3', 'u4']) expect(await store.getAssignments('id', u)).toBeNull();
    expect(await store.getAllAssignments!({ id: 'u3' })).toEqual({});
    for (const u of ['u1', 'u2', 'u3', 'u4']) {
      await store.saveAssignments(doc({ b__0: '1' }, u));
      expect(await rawIdb('id||' + u)).toEqual(doc({ b__0: '1' }, u));
    }
    expect(log).not.toHaveBeenCalled();
  });

  it('creating a store touches neither indexedDB nor localStorage', async () => {
    const idb = new IDBFactory();
    const idbSpy = defineGlobal('indexedDB', () => idb);
    const real = localStorage;
    const lsSpy = defineGlobal('localStorage', () => real);
    const store = indexedDbStickyBucketStore({ log });
    localStorageStickyBucketStore({ log });
    await Promise.resolve();
    expect(idbSpy).not.toHaveBeenCalled();
    expect(lsSpy).not.toHaveBeenCalled();
    await store.getAssignments('id', 'u1');
    expect(idbSpy).toHaveBeenCalled();
    expect(lsSpy).not.toHaveBeenCalled();
  });

  describe('the copy in localStorage, read at once (peekAssignments)', () => {
    it('docs written or read through IndexedDB are copied, and a new store (the next page) reads them synchronously', async () => {
      await indexedDbStickyBucketStore({ log }).saveAssignments(doc({ a__0: '1' }));
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1' }));
      expect(indexedDbStickyBucketStore({ log }).peekAssignments!({ id: 'u1', country: 'CA' })).toEqual({ 'id||u1': doc({ a__0: '1' }) });

      // Written by another tab (or an older version) only into IndexedDB: copied once read.
      await set('id||u2', doc({ b__0: '0' }, 'u2'), createStore('splitflap', 'sticky-buckets'));
      const store = indexedDbStickyBucketStore({ log });
      expect(store.peekAssignments!({ id: 'u2' })).toEqual({});
      await store.getAllAssignments!({ id: 'u2' });
      expect(indexedDbStickyBucketStore({ log }).peekAssignments!({ id: 'u2' })).toEqual({ 'id||u2': doc({ b__0: '0' }, 'u2') });
      expect(log).not.toHaveBeenCalled();
    });

    it('a returning visit that changes nothing writes nothing to the copy', async () => {
      await indexedDbStickyBucketStore({ log }).saveAssignments(doc({ a__0: '1' }));
      const setItem = vi.spyOn(Storage.prototype, 'setItem');
      const store = indexedDbStickyBucketStore({ log });
      expect(await store.getAllAssignments!({ id: 'u1' })).toEqual({ 'id||u1': doc({ a__0: '1' }) });
      await store.saveAssignments(doc({ a__0: '1' }));
      expect(setItem).not.toHaveBeenCalled();
    });

    it('the copy merges like the store: another tab\'s copied assignments are kept', async () => {
      await indexedDbStickyBucketStore({ log }).saveAssignments(doc({ a__0: '1' }));
      await indexedDbStickyBucketStore({ log }).saveAssignments(doc({ b__0: '2' }));
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1', b__0: '2' }));
    });

    it('a corrupt or foreign copy is ignored, and a copy that cannot be read or written costs only the head start', async () => {
      localStorage.setItem('splitflap:sticky:id||u1', '{not json');
      localStorage.setItem('splitflap:sticky:id||u2', JSON.stringify(doc({ a__0: '1' }, 'someone-else')));
      const store = indexedDbStickyBucketStore({ log });
      expect(store.peekAssignments!({ id: 'u1' })).toEqual({});
      expect(store.peekAssignments!({ id: 'u2' })).toEqual({});

      vi.spyOn(Storage.prototype, 'getItem').mockImplementation(securityError);
      vi.spyOn(Storage.prototype, 'setItem').mockImplementation(securityError);
      expect(store.peekAssignments!({ id: 'u1' })).toEqual({});
      await store.saveAssignments(doc({ a__0: '1' }));
      expect(await rawIdb('id||u1')).toEqual(doc({ a__0: '1' })); // IndexedDB, the record, has it
      expect(log).not.toHaveBeenCalled();
    });
  });

  describe('falls back, logging one line, never rejecting', () => {
    it('indexedDB undefined → localStorage', async () => {
      vi.stubGlobal('indexedDB', undefined);
      const store = indexedDbStickyBucketStore({ log });
      expect(await store.getAssignments('id', 'u1')).toBeNull();
      await store.saveAssignments(doc({ a__0: '1' }));
      await store.saveAssignments(doc({ b__0: '0' }));
      expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1', b__0: '0' }));
      expect(await store.getAllAssignments!({ id: 'u1' })).toEqual({ 'id||u1': doc({ a__0: '1', b__0: '0' }) });
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1', b__0: '0' }));
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toMatch(/IndexedDB failed.*using localStorage$/);
    });

    it('defaults to console.warn with a [splitflap] prefix', async () => {
      vi.stubGlobal('indexedDB', undefined);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      await indexedDbStickyBucketStore().saveAssignments(doc({ a__0: '1' }));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/^\[splitflap\] sticky buckets: IndexedDB failed .*; using localStorage$/);
    });

    it('indexedDB.open throwing', async () => {
      const idb = new IDBFactory();
      idb.open = () => {
        throw new DOMException('denied', 'SecurityError');
      };
      vi.stubGlobal('indexedDB', idb);
      const store = indexedDbStickyBucketStore({ log });
      await store.saveAssignments(doc({ a__0: '1' }));
      expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1' }));
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1' }));
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toContain('SecurityError');
    });

    it('the open request failing (e.g. blocked by privacy settings)', async () => {
      const idb = new IDBFactory();
      const open = idb.open.bind(idb);
      idb.open = (name: string) => {
        const req = open(name);
        // Fail the request before it can succeed, as browsers do when storage is disabled.
        Object.defineProperty(req, 'error', { value: new DOMException('blocked', 'InvalidStateError') });
        queueMicrotask(() => (req.onerror as () => void)());
        return req;
      };
      vi.stubGlobal('indexedDB', idb);
      const store = indexedDbStickyBucketStore({ log });
      await store.saveAssignments(doc({ a__0: '1' }));
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1' }));
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toContain('InvalidStateError');
    });

    it('get / transaction throwing keeps what was already loaded', async () => {
      const tab = indexedDbStickyBucketStore({ log });
      await tab.saveAssignments(doc({ a__0: '1' }));
      const store = indexedDbStickyBucketStore({ log });
      expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1' }));
      vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(() => {
        throw new DOMException('gone', 'InvalidStateError');
      });
      // The doc read from IndexedDB moves to localStorage with the switch.
      expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1' }));
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1' }));
      await store.saveAssignments(doc({ b__0: '0' }));
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1', b__0: '0' }));
      expect(log).toHaveBeenCalledTimes(1);
    });

    it('get request throwing', async () => {
      vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(() => {
        throw new Error('boom');
      });
      const store = indexedDbStickyBucketStore({ log });
      expect(await store.getAllAssignments!({ id: 'u1' })).toEqual({});
      await store.saveAssignments(doc({ a__0: '1' }));
      expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1' }));
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toContain('boom');
    });

    it('QuotaExceededError on put: the save lands in localStorage with the earlier data', async () => {
      const store = indexedDbStickyBucketStore({ log });
      await store.saveAssignments(doc({ a__0: '1' }));
      vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
        throw new DOMException('full', 'QuotaExceededError');
      });
      await expect(store.saveAssignments(doc({ b__0: '2' }))).resolves.toBeUndefined();
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1', b__0: '2' }));
      expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1', b__0: '2' }));
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toMatch(/QuotaExceededError.*using localStorage/);
    });

    it('a transaction aborting (rejects with null) still falls back', async () => {
      vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore) {
        this.transaction.abort();
        return {} as IDBRequest<IDBValidKey>;
      });
      const store = indexedDbStickyBucketStore({ log });
      await store.saveAssignments(doc({ a__0: '1' }));
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1' }));
      expect(log).toHaveBeenCalledTimes(1);
    });

    it('localStorage throwing SecurityError as well → memory, still works', async () => {
      vi.stubGlobal('indexedDB', undefined);
      defineGlobal('localStorage', securityError);
      const store = indexedDbStickyBucketStore({ log });
      await expect(store.saveAssignments(doc({ a__0: '1' }))).resolves.toBeUndefined();
      await store.saveAssignments(doc({ b__0: '0' }));
      expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1', b__0: '0' }));
      expect(await store.getAllAssignments!({ id: 'u1', x: 'y' })).toEqual({ 'id||u1': doc({ a__0: '1', b__0: '0' }) });
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toMatch(/IndexedDB failed .*localStorage failed .*SecurityError.*; using memory$/);
    });

    it('IndexedDB quota, then localStorage quota → memory keeps everything', async () => {
      const store = indexedDbStickyBucketStore({ log });
      await store.saveAssignments(doc({ a__0: '1' }));
      vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
        throw new DOMException('full', 'QuotaExceededError');
      });
      vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
        throw new DOMException('full', 'QuotaExceededError');
      });
      await store.saveAssignments(doc({ b__0: '2' }));
      expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1', b__0: '2' }));
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toMatch(/using memory$/);
    });

    it('concurrent operations at the moment of failure switch once', async () => {
      // An asynchronous failure, so the operations are all in flight when it happens.
      const get = IDBObjectStore.prototype.get;
      vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(function (this: IDBObjectStore, key) {
        const req = get.call(this, key);
        this.transaction.abort(); // the request then fails with an AbortError
        return req;
      });
      const store = indexedDbStickyBucketStore({ log });
      await Promise.all([
        store.saveAssignments(doc({ a__0: '1' })),
        store.saveAssignments(doc({ b__0: '1' })),
        store.getAssignments('id', 'u1'),
        store.getAllAssignments!({ id: 'u2' }),
      ]);
      expect(rawLs('id||u1')).toEqual(doc({ a__0: '1', b__0: '1' }));
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toMatch(/using localStorage$/);
    });
  });
});

describe('localStorageStickyBucketStore', () => {
  it('round-trips and merges under the prefix', async () => {
    const store = localStorageStickyBucketStore({ log });
    expect(await store.getAssignments('id', 'u1')).toBeNull();
    await store.saveAssignments(doc({ a__0: '1' }));
    await localStorageStickyBucketStore().saveAssignments(doc({ b__0: '0' }));
    expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1', b__0: '0' }));
    expect(await store.getAllAssignments!({ id: 'u1', deviceId: 'd' })).toEqual({ 'id||u1': doc({ a__0: '1', b__0: '0' }) });
    expect(rawLs('id||u1')).toEqual(doc({ a__0: '1', b__0: '0' }));

    await localStorageStickyBucketStore({ prefix: 'x:' }).saveAssignments(doc({ c__0: '1' }));
    expect(JSON.parse(localStorage.getItem('x:id||u1')!)).toEqual(doc({ c__0: '1' }));
    expect(log).not.toHaveBeenCalled();
  });

  it('ignores corrupt entries and rewrites them', async () => {
    localStorage.setItem('splitflap:sticky:id||u1', '{not json');
    localStorage.setItem('splitflap:sticky:id||u2', JSON.stringify(doc({ a__0: '1' }, 'u1')));
    localStorage.setItem('splitflap:sticky:id||u3', '"a string"');
    const store = localStorageStickyBucketStore({ log });
    expect(await store.getAllAssignments!({ id: 'u1' })).toEqual({});
    expect(await store.getAssignments('id', 'u2')).toBeNull();
    expect(await store.getAssignments('id', 'u3')).toBeNull();
    await store.saveAssignments(doc({ b__0: '1' }, 'u1'));
    await store.saveAssignments(doc({ b__0: '1' }, 'u2'));
    expect(rawLs('id||u1')).toEqual(doc({ b__0: '1' }, 'u1'));
    expect(rawLs('id||u2')).toEqual(doc({ b__0: '1' }, 'u2'));
    expect(log).not.toHaveBeenCalled();
  });

  it('localStorage throwing SecurityError → memory, one line', async () => {
    defineGlobal('localStorage', securityError);
    const store = localStorageStickyBucketStore({ log });
    await store.saveAssignments(doc({ a__0: '1' }));
    expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1' }));
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(/^sticky buckets: localStorage failed \(SecurityError.*; using memory$/);
  });

  it('setItem quota → memory, keeping what was read', async () => {
    localStorage.setItem('splitflap:sticky:id||u1', JSON.stringify(doc({ a__0: '1' })));
    const store = localStorageStickyBucketStore({ log });
    expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1' }));
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    await store.saveAssignments(doc({ b__0: '1' }));
    localStorage.clear(); // memory holds it now
    expect(await store.getAssignments('id', 'u1')).toEqual(doc({ a__0: '1', b__0: '1' }));
    expect(log).toHaveBeenCalledTimes(1);
  });
});
