/**
 * The outbox over a {@link RequestQueue}: journals each request, sends in order, retries with
 * backoff, and tells each caller what happened to its request (see queue.ts for the durability
 * rules it keeps).
 */
import type { Logger } from '../../types';
import { byId, DEFAULT_QUEUE_LIMIT, isParticipation, newId, noop, type Delivery, type QueuedRequest, type RequestQueue } from './queue';
import { pageDocument, pageWindow } from '../../internal/env';

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
  const onVisible = () => pageDocument()?.visibilityState == 'visible' && flush();

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
      const page = pageWindow();
      if (page) {
        page.addEventListener('online', onOnline);
        page.document.addEventListener('visibilitychange', onVisible);
      }
      void flush();
    },
    destroy() {
      state = 2;
      clearTimeout(timer);
      const page = pageWindow();
      if (page) {
        page.removeEventListener('online', onOnline);
        page.document.removeEventListener('visibilitychange', onVisible);
      }
    },
  };
}
