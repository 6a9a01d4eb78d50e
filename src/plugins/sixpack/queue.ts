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
const byId = (a: QueuedRequest, b: QueuedRequest) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const isParticipation = (path: string) => path.startsWith('participate?');
const noop = () => {};

let lastTime = 0;
let sequence = 0;
/** Ids sort in the order they were made on this page: the time (never going back), a counter, and a random tail for other tabs. */
function newId(): string {
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
        storage = typeof localStorage != 'undefined' ? localStorage : null;
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

export interface Outbox {
  /**
   * Journals the request (or stores it, with a queue without a journal) and sends it in its
   * turn; resolves with what happened to it on this attempt. With `after` (the participation a
   * conversion belongs to, still in flight), it is sent once that has settled.
   */
  send(path: string, after?: Promise<unknown>): Promise<Delivery>;
  /** Journals a request the caller sends itself (a participation), so that a page closing before its answer leaves it for the next; undefined without a journal. */
  note(path: string): QueuedRequest | undefined;
  /** The caller's own request got its answer: the journal forgets it. */
  forget(noted: QueuedRequest | undefined): void;
  /** Stores a request that failed (a participation) for a later retry, once per path. */
  retryLater(path: string, noted?: QueuedRequest): Promise<void>;
  /** Sends every queued request in order; never rejects. */
  flush(): Promise<void>;
  /** Starts the browser triggers (`online`, page visible again) and delivers what earlier pages left. */
  start(): void;
  /** Removes listeners and the retry timer. */
  destroy(): void;
}

/** Retry delays: 1 s doubling to 60 s, each jittered into its upper half (so tabs spread out). */
export const retryDelay = (failures: number) => Math.min(60000, 1000 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);

/** A request of this page and whoever waits for its outcome. */
interface Pending {
  entry: QueuedRequest;
  /** Send only once this has settled (the participation a conversion belongs to). */
  after?: Promise<unknown>;
  settle(result: Delivery): void;
}

/**
 * `deliver` sends one request and reports the outcome; it must not reject. At most `limit`
 * requests are kept (default {@link DEFAULT_QUEUE_LIMIT}). Timers are the global ones.
 */
export function createOutbox(queue: RequestQueue, deliver: (path: string) => Promise<Delivery>, log?: Logger, limit = DEFAULT_QUEUE_LIMIT): Outbox {
  const warn = (what: string, error: unknown) => log?.('Sixpack ' + what, { error });
  /** Journaled and not stored, in order: sent directly in their turn (also what a failing queue could not store). */
  const fresh: Pending[] = [];
  /** To store on the drain's next turn (requests of a queue without a journal, participations to retry). */
  const toStore: Pending[] = [];
  /** Stored requests of this page whose `send` waits for their delivery. */
  const waiting = new Map<string, Pending>();
  /** Participations stored for a retry, so a page asking again while the server is down stores one. */
  const queuedPaths = new Set<string>();
  /** Whether the queue held nothing the last time it was read, and nothing was stored since. */
  let knownEmpty = false;
  /** Bumped by every store, so a drain can tell whether the queue it read is still the whole queue. */
  let generation = 0;
  let writes: Promise<void> = Promise.resolve();
  let draining: Promise<void> | undefined;
  let storeScheduled = false;
  /** `flush()` was called during a drain: drain once more when it ends. */
  let flushAgain = false;
  /** The last attempt failed: until the retry timer fires, new requests are stored, not sent. */
  let failed = false;
  let failures = 0;
  let timer: any;
  /** 1 started, 2 destroyed. */
  let state = 0;
  let lastFailure: Delivery = { status: 'queued' };
  /** Requests dropped for the limit and not yet reported. */
  let droppedUnreported = 0;
  let droppedReported = false;
  const dropped = (): Delivery => ({ status: 'rejected', error: new Error(`dropped: the Sixpack queue keeps at most ${limit} requests`) });

  const reportDrops = () => {
    if (!droppedUnreported) return;
    log?.(`Sixpack queue: more than ${limit} requests waiting; dropped the ${droppedUnreported} oldest${droppedReported ? ' (more)' : ''}`, { limit });
    droppedUnreported = 0;
    droppedReported = true;
  };

  const retry = () => {
    failures++;
    clearTimeout(timer);
    if (state > 1) return;
    timer = setTimeout(flush, retryDelay(failures));
    timer.unref?.(); // a pending retry must not keep a Node process alive
  };

  /** Stores `batch` in one write, after earlier writes; `settleQueued`: its sends hear "queued" (else they wait for delivery). */
  function store(batch: Pending[], settleQueued: boolean): Promise<void> {
    if (!batch.length) return writes;
    knownEmpty = false;
    generation++;
    for (const p of batch) {
      if (isParticipation(p.entry.path)) queuedPaths.add(p.entry.path);
      if (!settleQueued) waiting.set(p.entry.id, p);
    }
    return (writes = writes.then(async () => {
      let gone: QueuedRequest[];
      try {
        gone = await queue.add(batch.map((p) => p.entry), limit);
      } catch (error) {
        // Not stored: kept in memory and sent directly in its turn (a journaled one also survives the page).
        warn('queue failed', error);
        for (const p of batch) waiting.delete(p.entry.id), queuedPaths.delete(p.entry.path);
        fresh.unshift(...batch);
        if (settleQueued) for (const p of batch) p.settle(lastFailure);
        return;
      }
      if (gone.length) {
        const ids = new Set(gone.map((e) => e.id));
        for (const e of gone) {
          queuedPaths.delete(e.path);
          const w = waiting.get(e.id);
          waiting.delete(e.id);
          if (w) w.settle(dropped());
        }
        for (const p of batch) if (ids.has(p.entry.id)) p.settle(dropped());
        // The first drop of an outage is told at once, later ones with each retry.
        droppedUnreported += gone.length;
        if (!droppedReported) reportDrops();
      }
      if (settleQueued) for (const p of batch) p.settle(lastFailure);
    }));
  }

  /** The attempt failed: everything in memory is stored, in order, and hears "queued"; a retry is timed. */
  async function fail(result: Delivery): Promise<void> {
    lastFailure = result;
    failed = true;
    for (const p of waiting.values()) p.settle(result);
    waiting.clear();
    await store([...toStore.splice(0), ...fresh.splice(0)].sort((a, b) => byId(a.entry, b.entry)), true);
    reportDrops();
    retry();
  }

  async function drain(): Promise<void> {
    clearTimeout(timer);
    timer = 0;
    for (;;) {
      if (toStore.length) await store(toStore.splice(0), false);
      if (!knownEmpty) {
        const read = generation;
        flushAgain = false; // this read answers every flush asked for so far
        let list: QueuedRequest[] = [];
        try {
          list = await queue.peekAll();
        } catch (error) {
          warn('queue failed', error); // unreadable: what is in it cannot be sent, the rest can
        }
        for (const e of list) if (isParticipation(e.path)) queuedPaths.add(e.path);
        for (const entry of list) {
          const result = await deliver(entry.path);
          if (result.status == 'queued') return fail(result);
          if (result.error) warn('refused a queued request, dropped: ' + entry.path, result.error);
          queuedPaths.delete(entry.path);
          await queue.remove([entry.id]);
          const w = waiting.get(entry.id);
          waiting.delete(entry.id);
          if (w) w.settle(result);
        }
        knownEmpty = read == generation;
        continue;
      }
      const next = fresh[0];
      if (!next) break;
      if (next.after) {
        // Its participation first; if that failed it is queued now, ahead of this one.
        await next.after.then(noop, noop);
        next.after = undefined;
        continue;
      }
      const result = await deliver(next.entry.path);
      if (result.status == 'queued') return fail(result);
      if (result.error) warn('refused a request, dropped: ' + next.entry.path, result.error);
      fresh.splice(fresh.indexOf(next), 1);
      await queue.remove([next.entry.id]);
      next.settle(result);
    }
    failures = 0;
    failed = false;
    reportDrops();
    droppedReported = false;
  }

  /** Reads the queue again (other tabs and earlier pages add to it), then drains. */
  function flush(): Promise<void> {
    knownEmpty = false;
    generation++; // a read in progress may be older than what prompted this
    if (draining) flushAgain = true; // it may be past its last read already
    return run();
  }

  // One drain at a time, so no request is in flight twice from this page.
  function run(): Promise<void> {
    return (draining ||= drain()
      .catch((error) => {
        warn('queue failed', error);
        failed = true;
        retry();
      })
      .finally(() => {
        draining = undefined;
        if (flushAgain) {
          flushAgain = false;
          void flush();
        } else if (state < 2 && (fresh.length || toStore.length)) kick();
      }));
  }

  /** While the server is unreachable: what arrives is stored in one coalesced write, not sent. */
  function scheduleStore(): void {
    if (storeScheduled) return;
    storeScheduled = true;
    void Promise.resolve().then(async () => {
      storeScheduled = false;
      const batch = [...toStore.splice(0), ...fresh.splice(0)];
      // A participation still in flight is stored (if it fails) before the conversion behind it.
      await Promise.all(batch.map((p) => p.after && p.after.then(noop, noop)));
      await store(batch, true);
    });
  }

  /** Something new is in memory: send it now, or store it while the server is unreachable. */
  function kick(): void {
    if (draining) return; // the drain takes it in its turn
    if (failed && timer) scheduleStore();
    else void run();
  }

  const forget = (noted: QueuedRequest | undefined) => {
    if (noted) queue.remove([noted.id]).catch((error) => warn('queue failed', error));
  };

  const onOnline = () => void flush();
  const onVisible = () => document.visibilityState == 'visible' && flush();

  return {
    send(path, after) {
      return new Promise<Delivery>((settle) => {
        const pending: Pending = { entry: { id: newId(), path }, after, settle };
        let journaled = false;
        try {
          journaled = !!queue.journal && queue.journal(pending.entry);
        } catch (error) {
          warn('queue failed', error);
        }
        (journaled ? fresh : toStore).push(pending);
        // Synchronously, so that with nothing ahead of it the request is on the wire before this task ends.
        kick();
      });
    },
    note(path) {
      const entry = { id: newId(), path };
      try {
        return queue.journal && queue.journal(entry) ? entry : undefined;
      } catch (error) {
        warn('queue failed', error);
      }
    },
    forget,
    // Once is enough: a page that keeps rendering while the server is down asks again and again.
    retryLater(path, noted) {
      if (queuedPaths.has(path)) {
        forget(noted);
        return Promise.resolve();
      }
      queuedPaths.add(path);
      const pending: Pending = { entry: noted || { id: newId(), path }, settle: noop };
      if (draining) {
        toStore.push(pending);
        return Promise.resolve();
      }
      const stored = store([pending], true);
      if (!timer) retry();
      return stored;
    },
    flush,
    start() {
      if (state) return;
      state = 1;
      if (typeof document != 'undefined') {
        addEventListener('online', onOnline);
        document.addEventListener('visibilitychange', onVisible);
      }
      void flush();
    },
    destroy() {
      state = 2;
      clearTimeout(timer);
      if (typeof document != 'undefined') {
        removeEventListener('online', onOnline);
        document.removeEventListener('visibilitychange', onVisible);
      }
    },
  };
}
