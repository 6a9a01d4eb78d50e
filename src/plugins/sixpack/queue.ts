/**
 * The durable outbox for Sixpack requests: conversions, and participations that could not reach
 * the server. A request is persisted BEFORE it is sent, so a page that navigates away mid-request
 * (the usual case for a conversion) leaves it for the next page load to deliver.
 *
 * Delivery is at least once. Entries are sent one at a time, in the order they were added, and a
 * flush stops at the first retryable failure: a queued participation must reach the server before
 * the conversion that follows it, or the server answers "this client was not participating". A
 * duplicate is harmless, as Sixpack counts one participation and one conversion per client (and KPI).
 */
import { get, update } from 'idb-keyval';
import { idbStore, storageChain } from '../../internal/storage';
import { defaultLog } from '../../log';
import type { Logger } from '../../types';

/** One stored request: a path relative to the Sixpack base URL (`convert?experiment=…`). */
export interface QueuedRequest {
  /** Unique; starts with the time it was queued (ms since the epoch). */
  id: string;
  path: string;
}

/** Where queued requests are kept. Must keep insertion order. */
export interface RequestQueue {
  add(req: QueuedRequest): Promise<void>;
  peekAll(): Promise<QueuedRequest[]>;
  remove(ids: string[]): Promise<void>;
}

/** What happened to a request: delivered, refused for good (a 4xx), or left for a retry. */
export interface Delivery {
  status: 'sent' | 'queued' | 'rejected';
  error?: Error;
}

/** Anything read from storage is untrusted: only our own two request kinds are ever replayed. */
const isEntry = (e: any): e is QueuedRequest =>
  !!e && typeof e.id == 'string' && typeof e.path == 'string' && /^(participate|convert)\?/.test(e.path);

const entries = (list: unknown): QueuedRequest[] => (Array.isArray(list) ? list.filter(isEntry) : []);

/** The server default: lives as long as the client (a retry timer keeps trying). */
export function memoryQueue(): RequestQueue {
  let list: QueuedRequest[] = [];
  return {
    async add(req) {
      list.push(req);
    },
    async peekAll() {
      return list.slice();
    },
    async remove(ids) {
      list = list.filter((e) => !ids.includes(e.id));
    },
  };
}

/**
 * The browser default: one array in IndexedDB (database `splitflap-queue`), updated in a single
 * transaction so tabs sharing it never lose each other's writes. Nothing is opened until first
 * use. If IndexedDB is missing or fails (private modes, blocked storage), it logs once and keeps
 * working in memory for the rest of the page's life.
 */
export function indexedDbQueue(options: { log?: Logger; dbName?: string } = {}): RequestQueue {
  const store = idbStore(options.dbName || 'splitflap-queue', 'requests');
  const edit = (fn: (list: QueuedRequest[]) => QueuedRequest[]) => update('q', (list) => fn(entries(list)), store);
  const idb: RequestQueue = {
    add: (req) => edit((list) => [...list, req]),
    peekAll: async () => entries(await get('q', store)),
    remove: (ids) => edit((list) => list.filter((e) => !ids.includes(e.id))),
  };
  const run = storageChain<RequestQueue>('Sixpack queue', [['IndexedDB', () => idb], ['memory', memoryQueue]], options.log || defaultLog);
  return {
    add: (req) => run((queue) => queue.add(req)),
    peekAll: () => run((queue) => queue.peekAll()),
    remove: (ids) => run((queue) => queue.remove(ids)),
  };
}

export interface Outbox {
  /** Persists the request, then flushes; resolves with what happened to it on this attempt. */
  send(path: string): Promise<Delivery>;
  /** Persists the request for a later retry (a participation that already failed once). */
  retryLater(path: string): Promise<void>;
  /** Sends every queued request in order; never rejects. */
  flush(): Promise<void>;
  /** Starts the browser triggers (`online`, page visible again) and delivers what earlier pages left. */
  start(): void;
  /** Removes listeners and the retry timer. */
  destroy(): void;
}

/** Retry delays: 1 s doubling to 60 s, each jittered into its upper half (so tabs spread out). */
export const retryDelay = (failures: number) => Math.min(60000, 1000 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);

/** `deliver` sends one request and reports the outcome; it must not reject. Timers are the global ones. */
export function createOutbox(queue: RequestQueue, deliver: (path: string) => Promise<Delivery>, log?: Logger): Outbox {
  let chain: Promise<void> = Promise.resolve();
  let failures = 0;
  let timer: any;
  /** 1 started, 2 destroyed. */
  let state = 0;
  let lastFailure: Delivery;
  /** Outcomes of requests that a `send` call is waiting for. */
  const waiting = new Map<string, Delivery>();
  const warn = (what: string, error: unknown) => log?.('Sixpack ' + what, { error });

  const retry = () => {
    failures++;
    clearTimeout(timer);
    if (state > 1) return;
    timer = setTimeout(flush, retryDelay(failures));
    timer.unref?.(); // a pending retry must not keep a Node process alive
  };

  async function drain(): Promise<void> {
    clearTimeout(timer);
    timer = 0;
    for (const entry of await queue.peekAll()) {
      const result = await deliver(entry.path);
      if (waiting.has(entry.id)) waiting.set(entry.id, result);
      if (result.status == 'queued') {
        lastFailure = result;
        return retry();
      }
      if (result.error) warn('refused a queued request, dropped: ' + entry.path, result.error);
      await queue.remove([entry.id]);
    }
    failures = 0;
  }

  // Flushes run one after another, so no request is in flight twice from this page.
  function flush(): Promise<void> {
    return (chain = chain.then(drain).catch((error) => {
      warn('queue failed', error);
      retry();
    }));
  }

  const add = async (path: string) => {
    const id = Date.now() + Math.random().toString(36).slice(1);
    await queue.add({ id, path });
    return id;
  };

  const onOnline = () => void flush();
  const onVisible = () => document.visibilityState == 'visible' && flush();

  return {
    // A queue that fails to store the request cannot lose it: it is sent directly instead.
    send: (path) =>
      add(path).then(async (id) => {
        waiting.set(id, (lastFailure = { status: 'queued' }));
        await flush();
        const result = waiting.get(id)!;
        waiting.delete(id);
        return result.status == 'queued' ? lastFailure : result;
      }, () => deliver(path)),
    // Once is enough: a page that keeps rendering while the server is down asks again and again.
    retryLater: (path) =>
      queue
        .peekAll()
        .then(async (list) => {
          if (list.some((e) => e.path == path)) return;
          await add(path);
          if (!timer) retry();
        })
        .catch((error) => warn('queue failed', error)),
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
