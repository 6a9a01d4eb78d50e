/**
 * The durable outbox for Sixpack requests: conversions, and participations that could not reach
 * the server.
 *
 * Nothing is lost to a page that goes away. In browsers a request is first written to a
 * synchronous journal (localStorage, one key per request), in the same task as the call, so a
 * click on a link that converts and navigates keeps it even when the navigation wins every race.
 * It is then sent at once with `keepalive` (it stays on the wire through the navigation) when
 * nothing is queued ahead of it, and moved into the queue (IndexedDB) only if it has to wait. A
 * later page reads what the journal still holds into its queue and delivers it. Participations
 * in flight are journaled too, so the conversion that follows one is never replayed without it.
 *
 * Delivery is at least once. Requests are sent one at a time, in the order they were made, and a
 * flush stops at the first retryable failure: a queued participation must reach the server before
 * the conversion that follows it, or the server answers "this client was not participating". A
 * duplicate is harmless, as Sixpack counts one participation and one conversion per client (and
 * KPI): the page that made a request and the page after it may both send it when the first page
 * went away before the answer.
 *
 * The queue is bounded (1,000 requests by default): beyond that the oldest are dropped, with a
 * log line. While the server is unreachable, requests are stored in coalesced writes and only the
 * retry timer sends anything (one request per attempt), however many are added.
 */
import { promisifyRequest } from 'idb-keyval';
import { idbStore, storageChain } from '../../internal/storage';
import { defaultLog } from '../../log';
import type { Logger } from '../../types';
import { pageLocalStorage } from '../../internal/env';

/** One stored request: a path relative to the Sixpack base URL (`convert?experiment=…`). */
export interface QueuedRequest {
  /** Unique; sorts in the order requests were made (it starts with the time, ms since the epoch). */
  id: string;
  path: string;
}

/** Where queued requests are kept. */
export interface RequestQueue {
  /**
   * Stores `requests` in one write (an id already stored is not stored twice) and keeps at most
   * `limit` requests, dropping the oldest; resolves with the requests dropped.
   */
  add(requests: QueuedRequest[], limit?: number): Promise<QueuedRequest[]>;
  /** Every stored request, oldest first. */
  peekAll(): Promise<QueuedRequest[]>;
  remove(ids: string[]): Promise<void>;
  /**
   * Optional write-ahead journal: records `request` synchronously, so that it survives the page
   * going away the next instant, before any `add` could finish. `false` when it could not. A
   * journaled request is forgotten by `add` or `remove` of its id; a later page's `peekAll`
   * returns what is still journaled.
   */
  journal?(request: QueuedRequest): boolean;
}

/** What happened to a request: delivered, refused for good (a 4xx), or left for a retry. */
export interface Delivery {
  status: 'sent' | 'queued' | 'rejected';
  error?: Error;
}

/** The most requests a queue keeps by default. */
export const DEFAULT_QUEUE_LIMIT = 1000;

/** Anything read from storage is untrusted: only our own two request kinds are ever replayed. */
const isEntry = (e: any): e is QueuedRequest =>
  !!e && typeof e.id == 'string' && typeof e.path == 'string' && /^(participate|convert)\?/.test(e.path);

const entries = (list: unknown): QueuedRequest[] => (Array.isArray(list) ? list.filter(isEntry) : []);
export const byId = (a: QueuedRequest, b: QueuedRequest) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
export const isParticipation = (path: string) => path.startsWith('participate?');
export const noop = () => {};

let lastTime = 0;
let sequence = 0;
/** Ids sort in the order they were made on this page: the time (never going back), a counter, and a random tail for other tabs. */
export function newId(): string {
  lastTime = Math.max(lastTime, Date.now());
  return lastTime + '.' + (sequence++).toString(36).padStart(6, '0') + Math.random().toString(36).slice(2, 8);
}

/** The server default: lives as long as the client (a retry timer keeps trying). Keeps insertion order. */
export function memoryQueue(): RequestQueue {
  let list: QueuedRequest[] = [];
  return {
    async add(requests, limit = Infinity) {
      const known = new Set(list.map((e) => e.id));
      for (const { id, path } of requests) if (!known.has(id)) known.add(id), list.push({ id, path });
      return list.length > limit ? list.splice(0, list.length - limit) : [];
    },
    async peekAll() {
      return list.slice();
    },
    async remove(ids) {
      const gone = new Set(ids);
      list = list.filter((e) => !gone.has(e.id));
    },
  };
}

/** Before per-request keys, the queue was one array under this key. */
const LEGACY_KEY = 'q';

/** The IndexedDB backend: one record per request, keyed by its id (so records come back in order). */
function idbRequests(dbName: string): RequestQueue {
  const store = idbStore(dbName, 'requests');
  /** One transaction; resolves with `result()` once it has committed. */
  const transaction = <T>(mode: IDBTransactionMode, body: (requests: IDBObjectStore) => () => T): Promise<T> =>
    store(mode, (requests) => {
      const result = body(requests);
      return promisifyRequest(requests.transaction).then(result);
    });
  let migrated: Promise<void> | undefined;
  const migrate = () =>
    (migrated ||= transaction('readwrite', (requests) => {
      const legacy = requests.get(LEGACY_KEY);
      legacy.onsuccess = () => {
        if (legacy.result === undefined) return;
        for (const e of entries(legacy.result)) requests.put({ id: e.id, path: e.path }, e.id);
        requests.delete(LEGACY_KEY);
      };
      return noop;
    }));
  return {
    add: (list, limit = Infinity) =>
      migrate().then(() =>
        transaction('readwrite', (requests) => {
          const dropped: QueuedRequest[] = [];
          for (const { id, path } of list) requests.put({ id, path }, id);
          const count = requests.count();
          count.onsuccess = () => {
            let over = count.result - limit;
            if (!(over > 0)) return;
            // Oldest first: keys are ids, which sort in the order requests were made.
            const cursor = requests.openCursor();
            cursor.onsuccess = () => {
              const at = cursor.result;
              if (!at || over-- <= 0) return;
              if (isEntry(at.value)) dropped.push(at.value);
              at.delete();
              at.continue();
            };
          };
          return () => dropped;
        }),
      ),
    peekAll: () =>
      migrate().then(() =>
        transaction('readonly', (requests) => {
          const all = requests.getAll();
          return () => entries(all.result);
        }),
      ),
    remove: (ids) =>
      migrate().then(() =>
        transaction('readwrite', (requests) => {
          for (const id of ids) requests.delete(id);
          return noop;
        }),
      ),
  };
}

/**
 * The write-ahead journal in localStorage: one key per request (`<prefix><id>` → path), so no
 * write reads or rewrites another and tabs never overwrite each other. Unusable storage (a
 * sandboxed frame, a full quota) means no journal, with one log line.
 */
function localStorageJournal(prefix: string, log: Logger) {
  let storage: Storage | null | undefined;
  let warned = false;
  /** Ids this page journaled or took over: not "left by another page". */
  const own = new Set<string>();
  const fail = (error: unknown) => {
    if (!warned) log('Sixpack queue: the localStorage journal failed; requests wait in IndexedDB only', { error });
    warned = true;
  };
  const open = (): Storage | null => {
    if (storage === undefined) {
      try {
        storage = pageLocalStorage() || null;
        storage && storage.length; // throws where storage is blocked
      } catch (error) {
        storage = null;
        fail(error);
      }
    }
    return storage;
  };
  return {
    write(entry: QueuedRequest): boolean {
      const s = open();
      if (!s) return false;
      try {
        s.setItem(prefix + entry.id, entry.path);
        own.add(entry.id);
        return true;
      } catch (error) {
        fail(error);
        return false;
      }
    },
    remove(ids: string[]): void {
      const s = open();
      for (const id of ids) {
        own.delete(id);
        try {
          s && s.removeItem(prefix + id);
        } catch {}
      }
    },
    /** What other pages journaled (earlier ones, or other tabs), oldest first; marked as this page's from now on. */
    takeOver(): QueuedRequest[] {
      const s = open();
      const found: QueuedRequest[] = [];
      const junk: string[] = [];
      try {
        for (let i = 0; s && i < s.length; i++) {
          const key = s.key(i);
          if (!key || !key.startsWith(prefix) || own.has(key.slice(prefix.length))) continue;
          const entry = { id: key.slice(prefix.length), path: s.getItem(key) };
          if (isEntry(entry)) found.push(entry);
          else junk.push(entry.id);
        }
      } catch (error) {
        fail(error);
      }
      this.remove(junk);
      for (const e of found) own.add(e.id);
      return found.sort(byId);
    },
  };
}

/**
 * The browser default: requests in IndexedDB (database `splitflap-queue`, one record each, so
 * adding one is one small write and tabs sharing it never lose each other's), behind a
 * localStorage journal. Nothing is opened until first use. If IndexedDB is missing or fails
 * (private modes, blocked storage), it logs once and keeps working in memory for the rest of the
 * page's life; the journal then keeps the requests until they are delivered, so a reload still
 * finds them.
 */
export function indexedDbQueue(options: { log?: Logger; dbName?: string } = {}): RequestQueue {
  const log = options.log || defaultLog;
  const dbName = options.dbName || 'splitflap-queue';
  const journal = localStorageJournal(dbName + ':', log);
  /** Whether the backend in use keeps requests across pages (IndexedDB, not memory). */
  let durable = false;
  const run = storageChain<RequestQueue>(
    'Sixpack queue',
    [
      ['IndexedDB', () => ((durable = true), idbRequests(dbName))],
      ['memory', () => ((durable = false), memoryQueue())],
    ],
    log,
  );
  /** Journaled by this page and not stored in the backend: removing them needs no transaction. */
  const journalOnly = new Set<string>();
  const add = async (requests: QueuedRequest[], limit?: number) => {
    const dropped = await run((queue) => queue.add(requests, limit));
    for (const e of requests) journalOnly.delete(e.id);
    // Stored for good: the journal is done with them. In memory, it keeps them for the next page.
    journal.remove(durable ? requests.map((e) => e.id) : dropped.map((e) => e.id));
    return dropped;
  };
  return {
    journal(request) {
      if (!journal.write(request)) return false;
      journalOnly.add(request.id);
      return true;
    },
    add,
    async peekAll() {
      const left = journal.takeOver();
      if (left.length) await add(left);
      return run((queue) => queue.peekAll());
    },
    async remove(ids) {
      journal.remove(ids);
      const stored = ids.filter((id) => !journalOnly.delete(id));
      if (stored.length) await run((queue) => queue.remove(stored));
    },
  };
}
