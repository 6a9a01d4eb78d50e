/**
 * The durable request queue (src/queue.ts): storage in memory and IndexedDB (fake-indexeddb),
 * and the outbox that delivers it (order, backoff with fake timers, final 4xx, browser triggers).
 */
import { IDBFactory } from 'fake-indexeddb';
import { createStore, get, set } from 'idb-keyval';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { fakeEnvironment } from '../../src/internal/env';
import { createOutbox, retryDelay } from '../../src/plugins/sixpack/outbox';
import { type Delivery, indexedDbQueue, memoryQueue, type QueuedRequest } from '../../src/plugins/sixpack/queue';

const entry = (id: string, path = `convert?experiment=${id}&client_id=c`): QueuedRequest => ({ id, path });
const SENT: Delivery = { status: 'sent' };
const QUEUED: Delivery = { status: 'queued', error: new Error('connection refused') };
const REJECTED: Delivery = { status: 'rejected', error: new Error('HTTP 400: this client was not participating') };

beforeEach(() => {
  vi.stubGlobal('indexedDB', new IDBFactory()); // a fresh, empty "browser profile"
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('memoryQueue', () => {
  it('keeps insertion order and removes by id', async () => {
    const q = memoryQueue();
    for (const id of ['a', 'b', 'c']) await q.add([entry(id)]);
    await q.remove(['b', 'zzz']);
    expect((await q.peekAll()).map((e) => e.id)).toEqual(['a', 'c']);
  });
});

describe('indexedDbQueue', () => {
  it('persists across instances (a page reload), in order, in its own database', async () => {
    const page1 = indexedDbQueue();
    await page1.add([entry('a')]);
    await page1.add([entry('b')]);
    const page2 = indexedDbQueue();
    expect(await page2.peekAll()).toEqual([entry('a'), entry('b')]);
    await page2.remove(['a']);
    expect(await indexedDbQueue().peekAll()).toEqual([entry('b')]);
    const dbs = await indexedDB.databases();
    expect(dbs.map((d) => d.name)).toEqual(['splitflap-queue']);
  });

  it('does not open the database until used', async () => {
    const open = vi.spyOn(indexedDB, 'open');
    const q = indexedDbQueue();
    expect(open).not.toHaveBeenCalled();
    await q.peekAll();
    expect(open).toHaveBeenCalledTimes(1);
    expect(open.mock.calls[0][0]).toBe('splitflap-queue');
  });

  it('ignores corrupt stored records; the earlier one-array layout is read and migrated, its junk dropped', async () => {
    const raw = createStore('splitflap-queue', 'requests');
    // What the previous version stored: one array under "q".
    await set('q', [null, 'x', { id: 1, path: 'convert?a' }, { id: 'evil', path: 'https://evil.example/' }, { id: 'p' }, entry('1.ok')], raw);
    const q = indexedDbQueue();
    expect(await q.peekAll()).toEqual([entry('1.ok')]);
    expect(await get('q', raw)).toBeUndefined(); // migrated
    await q.add([entry('2.new')]);
    // Records written by something else under our database: never replayed.
    await set('0.evil', { id: '0.evil', path: 'https://evil.example/' }, raw);
    await set('0.junk', 'garbage', raw);
    expect(await q.peekAll()).toEqual([entry('1.ok'), entry('2.new')]);
    expect(await indexedDbQueue().peekAll()).toEqual([entry('1.ok'), entry('2.new')]);
  });

  it.each([
    ['missing', undefined],
    [
      'throwing',
      {
        open() {
          throw new DOMException('denied', 'SecurityError');
        },
      },
    ],
  ])('falls back to memory with one log line when IndexedDB is %s', async (_name, idb) => {
    vi.stubGlobal('indexedDB', idb);
    const log = vi.fn();
    const q = indexedDbQueue({ log });
    await q.add([entry('a')]);
    await q.add([entry('b')]);
    await q.remove(['a']);
    expect(await q.peekAll()).toEqual([entry('b')]);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(/^Sixpack queue: IndexedDB failed \(.+\); using memory$/);
  });

  it('falls back when opening fails asynchronously', async () => {
    const open = vi.spyOn(indexedDB, 'open').mockImplementation(() => {
      const req = {} as IDBOpenDBRequest;
      setTimeout(() => (req as any).onerror?.(new Event('error')));
      return req;
    });
    const log = vi.fn();
    const q = indexedDbQueue({ log });
    await q.add([entry('a')]);
    expect(await q.peekAll()).toEqual([entry('a')]);
    expect(open).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledTimes(1);
  });
});

describe('outbox', () => {
  /** A deliver function answering from a script (default: sent), recording what it was asked. */
  function scripted(...answers: Delivery[]) {
    const calls: { path: string; at: number }[] = [];
    const deliver = vi.fn(async (path: string) => {
      calls.push({ path, at: Date.now() });
      return answers.shift() ?? SENT;
    });
    return { deliver, calls, paths: () => calls.map((c) => c.path.split('?')[1]!.split('&')[0]) };
  }

  it('send: persists first, then reports sent / rejected (dropped, logged) / queued (kept)', async () => {
    const q = memoryQueue();
    const add = vi.spyOn(q, 'add');
    const { deliver } = scripted(SENT, REJECTED, QUEUED);
    const log = vi.fn();
    const box = createOutbox(q, deliver, log);
    expect(await box.send('convert?experiment=a')).toEqual(SENT);
    expect(add).toHaveBeenCalledBefore(deliver);
    expect(await box.send('convert?experiment=b')).toEqual(REJECTED);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('refused'), { error: REJECTED.error });
    expect(await q.peekAll()).toEqual([]);
    expect(await box.send('convert?experiment=c')).toEqual(QUEUED);
    expect((await q.peekAll()).map((e) => e.path)).toEqual(['convert?experiment=c']);
    box.destroy();
  });

  it('delivers in order and stops at the first retryable failure (a participation before its conversion)', async () => {
    const q = memoryQueue();
    for (const id of ['p', 'c1', 'c2']) await q.add([entry(id, id == 'p' ? 'participate?experiment=p' : `convert?experiment=${id}`)]);
    const { deliver, paths } = scripted(SENT, QUEUED);
    const box = createOutbox(q, deliver);
    await box.flush();
    expect(paths()).toEqual(['experiment=p', 'experiment=c1']);
    expect((await q.peekAll()).map((e) => e.id)).toEqual(['c1', 'c2']);
    await box.flush();
    expect(paths()).toEqual(['experiment=p', 'experiment=c1', 'experiment=c1', 'experiment=c2']);
    expect(await q.peekAll()).toEqual([]);
    box.destroy();
  });

  it('a send waits behind older entries and reports its own outcome', async () => {
    const q = memoryQueue();
    await q.add([entry('old')]);
    const { deliver, paths } = scripted(SENT, REJECTED);
    const box = createOutbox(q, deliver);
    expect(await box.send('convert?experiment=new')).toEqual(REJECTED);
    expect(paths()).toEqual(['experiment=old', 'experiment=new']);
  });

  it('a send behind a failing entry is queued with that failure', async () => {
    const q = memoryQueue();
    await q.add([entry('old')]);
    const { deliver, paths } = scripted(QUEUED);
    const box = createOutbox(q, deliver);
    expect(await box.send('convert?experiment=new')).toEqual(QUEUED);
    expect(paths()).toEqual(['experiment=old']);
    expect(await q.peekAll()).toHaveLength(2);
    box.destroy();
  });

  it('retries with exponential backoff, 1 s doubling to 60 s, jittered, and resets after a success', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.999999); // the top of the jitter range: the full delay
    const answers = Array<Delivery>(10).fill(QUEUED);
    const { deliver, calls } = scripted(...answers);
    const box = createOutbox(memoryQueue(), deliver);
    const start = Date.now();
    expect((await box.send('convert?experiment=x')).status).toBe('queued');
    await vi.advanceTimersByTimeAsync(400_000);
    const gaps = calls.map((c, i) => c.at - (i ? calls[i - 1]!.at : start));
    expect(gaps.map((g) => Math.round(g / 100) * 100)).toEqual([0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
    // The 11th attempt succeeded: the queue is empty and no retry is pending.
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(11);
    expect(vi.getTimerCount()).toBe(0);

    // After a success the next failure starts from 1 s again.
    deliver.mockResolvedValueOnce(QUEUED);
    await box.send('convert?experiment=y');
    const before = deliver.mock.calls.length;
    await vi.advanceTimersByTimeAsync(990);
    expect(deliver).toHaveBeenCalledTimes(before); // not yet
    await vi.advanceTimersByTimeAsync(20);
    expect(deliver).toHaveBeenCalledTimes(before + 1);
    box.destroy();
  });

  it('jitter keeps each delay in the upper half of its step', () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0);
    expect([1, 2, 3, 7, 8, 50].map(retryDelay)).toEqual([500, 1000, 2000, 30000, 30000, 30000]);
    random.mockReturnValue(0.5);
    expect(retryDelay(1)).toBe(750);
  });

  it('retryLater keeps a request once, for the timer; destroy stops the timer', async () => {
    vi.useFakeTimers();
    const q = memoryQueue();
    const { deliver, calls } = scripted(QUEUED);
    const box = createOutbox(q, deliver);
    await box.retryLater('participate?experiment=p');
    await box.retryLater('participate?experiment=p'); // asked again while down: kept once
    expect(await q.peekAll()).toHaveLength(1);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(1); // failed: retried later
    box.destroy();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(1);
    expect(await q.peekAll()).toHaveLength(1); // still there for the next page
  });

  it('a queue that cannot store sends directly; a queue that throws on read is logged, never thrown', async () => {
    const log = vi.fn();
    const { deliver } = scripted(SENT);
    const failing = { add: () => Promise.reject(new Error('quota')), peekAll: () => Promise.reject(new Error('gone')), remove: async () => {} };
    const box = createOutbox(failing, deliver, log);
    expect(await box.send('convert?experiment=x')).toEqual(SENT);
    await expect(box.flush()).resolves.toBeUndefined();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('queue failed'), { error: new Error('quota') });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('queue failed'), { error: new Error('gone') });
    await expect(box.retryLater('participate?experiment=x')).resolves.toBeUndefined();
    box.destroy();
  });

  it('start delivers what an earlier page left in IndexedDB, once', async () => {
    const page1 = createOutbox(indexedDbQueue(), scripted(QUEUED).deliver);
    expect((await page1.send('convert?experiment=left')).status).toBe('queued');
    page1.destroy();

    const { deliver, paths } = scripted();
    const page2 = createOutbox(indexedDbQueue(), deliver);
    page2.start();
    page2.start();
    await page2.flush();
    expect(paths()).toEqual(['experiment=left']);
    expect(await indexedDbQueue().peekAll()).toEqual([]);
    page2.destroy();
  });

  it('in browsers, flushes when back online or visible again; destroy removes the listeners', async () => {
    // A page, faked in the one place Splitflap reads it.
    const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    const win = Object.assign(new EventTarget(), { document: doc });
    fakeEnvironment({ window: win as never, document: doc as never });
    onTestFinished(() => fakeEnvironment(undefined));

    const q = memoryQueue();
    const { deliver } = scripted();
    const box = createOutbox(q, deliver);
    const flushed = async () => {
      await new Promise((r) => setTimeout(r, 5));
      return deliver.mock.calls.length;
    };
    await q.add([entry('a')]);
    await box.flush();
    expect(await flushed()).toBe(1);

    box.start();
    await q.add([entry('b')]);
    win.dispatchEvent(new Event('online'));
    expect(await flushed()).toBe(2);

    await q.add([entry('c')]);
    doc.dispatchEvent(new Event('visibilitychange')); // hidden: nothing
    expect(await flushed()).toBe(2);
    doc.visibilityState = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(await flushed()).toBe(3);

    box.destroy();
    await q.add([entry('d')]);
    win.dispatchEvent(new Event('online'));
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(await flushed()).toBe(3);
  });
});
