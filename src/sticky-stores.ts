/**
 * Browser sticky-bucket stores: IndexedDB (via idb-keyval) → localStorage → memory.
 * Storage is optional for an A/B test: any failure moves to the next backend and
 * never reaches the app. Nothing touches storage until the first read or write.
 */
import { getMany, update } from 'idb-keyval';
import { idbStore, storageChain } from './internal/storage';
import { defaultLog } from './log';
import { isStickyDoc, mergeStickyDocs, stickyAttributeKey } from './sticky';
import type { Logger, StickyAssignmentDocs, StickyAssignmentsDocument as Doc, StickyBucketStore } from './types';

/** The little a backend must do; it may throw or reject on anything. */
interface Backend {
  getMany(keys: string[]): Promise<unknown[]>;
  update(key: string, fn: (old: unknown) => Doc): Promise<unknown>;
}

// Other tabs, older versions and extensions share this storage: only a doc for the key's own identity counts.
const valid = (v: unknown, key: string) =>
  isStickyDoc(v) && stickyAttributeKey(v.attributeName, v.attributeValue) == key ? v : undefined;

// Merging inside the backend's update keeps other tabs' assignments; a corrupt entry is simply replaced.
const put = (b: Backend, key: string, doc: Doc) => b.update(key, (old) => mergeStickyDocs(valid(old, key), doc));

const idb = (dbName: string, storeName: string): Backend => {
  // Our own database: idb-keyval's default store belongs to the app. createStore opens it lazily.
  const store = idbStore(dbName, storeName);
  return { getMany: (keys) => getMany(keys, store), update: (key, fn) => update(key, fn, store) };
};

const local = (prefix: string): Backend => {
  // getItem/setItem throwing means no storage (fall back); unparsable JSON is just a corrupt entry.
  const read = (key: string) => {
    const s = localStorage.getItem(prefix + key);
    try {
      return JSON.parse(s!);
    } catch {}
  };
  return {
    getMany: async (keys) => keys.map(read),
    update: async (key, fn) => localStorage.setItem(prefix + key, JSON.stringify(fn(read(key)))),
  };
};

const memory = (): Backend => {
  const m = new Map();
  return { getMany: async (keys) => keys.map((k) => m.get(k)), update: async (k, fn) => m.set(k, fn(m.get(k))) };
};

/**
 * A store over backends in order of preference (see storageChain). On a switch, docs already
 * read or written are copied over so the session keeps them.
 */
function fallback(backends: [string, () => Backend][], log: Logger = defaultLog): StickyBucketStore {
  const seen = new Map<string, Doc>();
  const run = storageChain('sticky buckets', backends, log, async (backend) => {
    for (const [key, doc] of seen) await put(backend, key, doc);
  });
  const all = async (attributes: Record<string, string>) => {
    const keys = Object.keys(attributes).map((name) => stickyAttributeKey(name, attributes[name]));
    const docs: StickyAssignmentDocs = {};
    (await run((backend) => backend.getMany(keys))).forEach((value, index) => {
      const doc = valid(value, keys[index]);
      if (doc) seen.set(keys[index], (docs[keys[index]] = doc));
    });
    return docs;
  };
  return {
    getAllAssignments: all,
    getAssignments: async (name, value) => (await all({ [name]: value }))[stickyAttributeKey(name, value)] || null,
    async saveAssignments(doc) {
      const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
      seen.set(key, mergeStickyDocs(seen.get(key), doc));
      await run((backend) => put(backend, key, doc));
    },
  };
}

const PREFIX = 'splitflap:sticky:';

/** Sticky buckets in IndexedDB, one doc per identity; falls back to localStorage, then memory. */
export function indexedDbStickyBucketStore(options: { dbName?: string; storeName?: string; log?: Logger } = {}): StickyBucketStore {
  const db = () => idb(options.dbName || 'splitflap', options.storeName || 'sticky-buckets');
  return fallback([['IndexedDB', db], ['localStorage', () => local(PREFIX)], ['memory', memory]], options.log);
}

/** Sticky buckets in localStorage (not atomic across tabs); falls back to memory. */
export function localStorageStickyBucketStore(options: { prefix?: string; log?: Logger } = {}): StickyBucketStore {
  return fallback([['localStorage', () => local(options.prefix ?? PREFIX)], ['memory', memory]], options.log);
}
