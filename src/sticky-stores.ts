/**
 * Browser sticky-bucket stores: IndexedDB (via idb-keyval) → localStorage → memory.
 * Storage is optional for an A/B test: any failure moves to the next backend and
 * never reaches the app. Nothing touches storage until the first read or write.
 *
 * The IndexedDB store keeps a copy of each doc it reads or writes in localStorage, which can be
 * read synchronously (`peekAssignments`): a returning visitor's buckets are known at the first
 * evaluation, before IndexedDB has opened. IndexedDB stays the record; the copy is only a head start.
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

/** localStorage under `prefix`: a backend, and synchronous reads and writes for the copy. */
const local = (prefix: string) => {
  // getItem/setItem throwing means no storage (fall back); unparsable JSON is just a corrupt entry.
  const parse = (text: string | null): unknown => {
    try {
      return JSON.parse(text!);
    } catch {}
  };
  const read = (key: string) => parse(localStorage.getItem(prefix + key));
  const write = (key: string, doc: Doc) => localStorage.setItem(prefix + key, JSON.stringify(doc));
  return {
    read,
    // Merged like put(): another tab's assignments in the copy are kept. Written only when it
    // changes: every returning visit reads its docs, and a storage write blocks the page.
    copy(key: string, doc: Doc) {
      const held = localStorage.getItem(prefix + key);
      const merged = JSON.stringify(mergeStickyDocs(valid(parse(held), key), doc));
      if (merged !== held) localStorage.setItem(prefix + key, merged);
    },
    getMany: async (keys: string[]) => keys.map(read),
    update: async (key: string, fn: (old: unknown) => Doc) => write(key, fn(read(key))),
  };
};
/** Where a store keeps docs for synchronous reads; `copy` absent when the store itself is there. */
type Copy = Pick<ReturnType<typeof local>, 'read'> & { copy?: (key: string, doc: Doc) => void };

const memory = (): Backend => {
  const m = new Map();
  return { getMany: async (keys) => keys.map((k) => m.get(k)), update: async (k, fn) => m.set(k, fn(m.get(k))) };
};

const keysOf = (attributes: Record<string, string>) => Object.keys(attributes).map((name) => stickyAttributeKey(name, attributes[name]));

/** The valid docs among `values` (read for `keys`, in order), each also handed to `keep`. */
function docsOf(keys: string[], values: unknown[], keep: (key: string, doc: Doc) => void): StickyAssignmentDocs {
  const docs: StickyAssignmentDocs = {};
  values.forEach((value, index) => {
    const doc = valid(value, keys[index]);
    if (doc) keep(keys[index], (docs[keys[index]] = doc));
  });
  return docs;
}

/**
 * A store over backends in order of preference (see storageChain). On a switch, docs already
 * read or written are copied over so the session keeps them. With a `copy`, every doc read or
 * written is also kept there, for {@link StickyBucketStore.peekAssignments}.
 */
function fallback(backends: [string, () => Backend][], log: Logger = defaultLog, copy?: Copy): StickyBucketStore {
  const seen = new Map<string, Doc>();
  const remember = (key: string, doc: Doc) => {
    seen.set(key, doc);
    try {
      if (copy && copy.copy) copy.copy(key, doc);
    } catch {
      // Not logged (nor in peekAssignments): only the head start is lost, the backend has the
      // doc, and storage that fails for real is logged by the chain. Workers have no localStorage.
    }
  };
  const run = storageChain('sticky buckets', backends, log, async (backend) => {
    for (const [key, doc] of seen) await put(backend, key, doc);
  });
  const all = async (attributes: Record<string, string>) => {
    const keys = keysOf(attributes);
    return docsOf(keys, await run((backend) => backend.getMany(keys)), remember);
  };
  return {
    getAllAssignments: all,
    getAssignments: async (name, value) => (await all({ [name]: value }))[stickyAttributeKey(name, value)] || null,
    async saveAssignments(doc) {
      const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
      remember(key, mergeStickyDocs(seen.get(key), doc));
      await run((backend) => put(backend, key, doc));
    },
    peekAssignments: copy && ((attributes) => {
      const keys = keysOf(attributes);
      try {
        return docsOf(keys, keys.map(copy.read), () => {});
      } catch {
        return {};
      }
    }),
  };
}

const PREFIX = 'splitflap:sticky:';

/** Sticky buckets in IndexedDB, one doc per identity; falls back to localStorage, then memory. */
export function indexedDbStickyBucketStore(options: { dbName?: string; storeName?: string; log?: Logger } = {}): StickyBucketStore {
  const db = () => idb(options.dbName || 'splitflap', options.storeName || 'sticky-buckets');
  // The copy shares the localStorage fallback's keys: should IndexedDB fail later, the docs are already there.
  return fallback([['IndexedDB', db], ['localStorage', () => local(PREFIX)], ['memory', memory]], options.log, local(PREFIX));
}

/** Sticky buckets in localStorage (not atomic across tabs); falls back to memory. */
export function localStorageStickyBucketStore(options: { prefix?: string; log?: Logger } = {}): StickyBucketStore {
  const store = local(options.prefix ?? PREFIX);
  return fallback([['localStorage', () => store], ['memory', memory]], options.log, { read: store.read });
}
