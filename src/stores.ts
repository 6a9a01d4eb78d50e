/**
 * Browser sticky-bucket stores: IndexedDB (via idb-keyval) → localStorage → memory.
 * Storage is optional for an A/B test: any failure moves to the next backend and
 * never reaches the app. Nothing touches storage until the first read or write.
 */
import { createStore, getMany, update } from 'idb-keyval';
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
  const s = createStore(dbName, storeName);
  return { getMany: (keys) => getMany(keys, s), update: (key, fn) => update(key, fn, s) };
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
 * A store over backends in order of preference. The first failure of one moves to the next for
 * good; docs already read or written are copied over so the session keeps them, and one line says
 * which backend is used and why. Memory comes last, so nothing rejects.
 */
function fallback(backends: [string, () => Backend][], log: Logger = defaultLog): StickyBucketStore {
  const seen = new Map<string, Doc>();
  let i = 0, b: Backend | undefined, why = '', queue: Promise<unknown> = Promise.resolve();
  // One op at a time, so a switch and its copy finish before anything else runs.
  const run = <T>(op: (b: Backend) => Promise<T>): Promise<T> => {
    const go = async (): Promise<T> => {
      try {
        b ||= backends[i][1]();
        if (why) for (const [k, d] of seen) await put(b, k, d);
        const out = await op(b);
        if (why) log(`sticky buckets: ${why}; using ${backends[i][0]}`), (why = '');
        return out;
      } catch (e) {
        why += (why && ', ') + backends[i++][0] + ' failed (' + e + ')';
        b = undefined;
        return go();
      }
    };
    return (queue = queue.then(go, go)) as Promise<T>;
  };
  const all = async (attributes: Record<string, string>) => {
    const keys = Object.keys(attributes).map((n) => stickyAttributeKey(n, attributes[n]));
    const docs: StickyAssignmentDocs = {};
    (await run((b) => b.getMany(keys))).forEach((v, j) => {
      const d = valid(v, keys[j]);
      if (d) seen.set(keys[j], (docs[keys[j]] = d));
    });
    return docs;
  };
  return {
    getAllAssignments: all,
    getAssignments: async (n, v) => (await all({ [n]: v }))[stickyAttributeKey(n, v)] || null,
    async saveAssignments(doc) {
      const k = stickyAttributeKey(doc.attributeName, doc.attributeValue);
      seen.set(k, mergeStickyDocs(seen.get(k), doc));
      await run((b) => put(b, k, doc));
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
