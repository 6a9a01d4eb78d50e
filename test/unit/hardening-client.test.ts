/**
 * Regression tests for the client-side defects of issue 14 that live below the browser: hostile
 * inputs to `getBucket` (edx) and `variant`/`expose` (baseplate), a foreign `splitflap-queue`
 * database, a cached payload from the future, and the bounded, cheap Sixpack queue.
 * Browser-level items are in test/browser/hardening.test.ts, HTTP-level ones in
 * test/integration/hardening-client.test.ts.
 */
import { IDBFactory } from 'fake-indexeddb';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type Attributes, type ClientOptions, type StickyAssignmentDocs } from '../../src/index';
import { bandits, type BanditsOptions } from '../../src/plugins/bandits';
import { baseplate, type NamedExperiment } from '../../src/plugins/baseplate';
import { edx, type EdxExperiment } from '../../src/plugins/edx';
import { createSixpackClient } from '../../src/plugins/sixpack/client';
import { createOutbox } from '../../src/plugins/sixpack/outbox';
import { DEFAULT_QUEUE_LIMIT, indexedDbQueue, memoryQueue, type Delivery } from '../../src/plugins/sixpack/queue';

/** Values a payload, a config file or an app's own code may hand over where something else was meant. */
const HOSTILE = { toString: 1 } as unknown as string;

/** A client with both plugins for visitor `u`, its log and its exposures. */
function client(options: { edx?: unknown; baseplate?: unknown; attributes?: Attributes; stickyBucketAssignmentDocs?: unknown } = {}) {
  const log = vi.fn();
  const onExposure = vi.fn();
  const created = createClient({
    clientId: 'u',
    cookie: false,
    stickyBucketStore: undefined,
    attributes: options.attributes ?? { id: 'u' },
    stickyBucketAssignmentDocs: options.stickyBucketAssignmentDocs as StickyAssignmentDocs,
    log,
    onExposure,
    plugins: [edx(options.edx as Record<string, EdxExperiment>), baseplate(options.baseplate as Record<string, NamedExperiment>)],
  } as ClientOptions);
  return { client: created as typeof created & ReturnType<typeof withMethods>, log, onExposure };
}
/** Only for the type of `client()`: the methods both plugins add. */
const withMethods = () => createClient({ plugins: [edx(), baseplate({})] });

describe('getBucket (edx) and variant / expose (baseplate) never throw on bad input', () => {
  const AB = { variations: ['a', 'b'] };

  it('a sticky doc that is a number ({"id||u": 5}) is ignored', () => {
    const { client: c } = client({ edx: { e: {} }, baseplate: { e: AB }, stickyBucketAssignmentDocs: { 'id||u': 5 } });
    const plain = client({ edx: { e: {} }, baseplate: { e: AB } }).client;
    expect(c.getBucket('e')).toBe(plain.getBucket('e'));
    expect(c.variant('e')).toBe(plain.variant('e'));
    expect(['a', 'b']).toContain(c.variant('e'));
  });

  it('an attribute id {"toString":1}: control (edx: unhashed, as for an anonymous user) and not in the experiment (baseplate)', () => {
    const { client: c, onExposure } = client({ edx: { e: {} }, baseplate: { e: AB }, attributes: { id: HOSTILE } });
    for (const numBuckets of [2, 3, 10]) expect(c.getBucket('e', { numBuckets })).toBe(0);
    expect(c.variant('e')).toBeNull();
    expect(() => c.expose('e', 'a')).not.toThrow();
    expect(onExposure).toHaveBeenCalledTimes(1); // the explicit exposure only
  });

  it('an attribute id that JSON cannot write (BigInt): expose still reports, without a hash value', () => {
    const { client: c, onExposure, log } = client({ baseplate: { e: AB }, attributes: { id: 10n as unknown as string } });
    expect(() => c.variant('e')).not.toThrow();
    onExposure.mockClear();
    c.expose('e', 'b');
    expect(onExposure).toHaveBeenCalledTimes(1);
    expect(onExposure.mock.calls[0]![1]).toMatchObject({ key: 'b', hashValue: '' });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('cannot be written as text'), expect.anything());
  });

  it.each([
    ['null', null],
    ['a string', 'ab'],
    ['a number', 5],
    ['an object', { a: 1 }],
  ])('variations %s: variant() is null with a log line, getBucket() is unaffected', (_name, variations) => {
    const { client: c, log } = client({ edx: { e: { variations } }, baseplate: { e: { variations } } });
    expect(c.variant('e')).toBeNull();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('variant() failed'), expect.objectContaining({ experiment: 'e' }));
    expect([0, 1]).toContain(c.getBucket('e'));
  });

  it.each([
    ['an object', { bucket: 1, condition: {} }],
    ['a string', 'x'],
    ['a number', 1],
    ['null', null],
  ])('forcedBuckets %s is ignored: the hashed bucket', (_name, forcedBuckets) => {
    const plain = client({ edx: { e: {} } }).client.getBucket('e', { numBuckets: 7 });
    const { client: c } = client({ edx: { e: { forcedBuckets } }, baseplate: { e: { ...AB, forcedBuckets } } });
    expect(c.getBucket('e', { numBuckets: 7 })).toBe(plain);
    expect(['a', 'b']).toContain(c.variant('e'));
  });

  it('forced-bucket rules with hostile conditions are skipped', () => {
    const forcedBuckets = [
      { bucket: 1, condition: HOSTILE },
      { bucket: 2, condition: null },
      { bucket: 3, condition: { id: { $regex: '(' } } },
      { bucket: 4, condition: { id: 'u' } },
    ];
    expect(client({ edx: { e: { forcedBuckets } } }).client.getBucket('e', { numBuckets: 5 })).toBe(4);
  });

  it('getBucket(key, null) and other non-object options use the defaults', () => {
    const { client: c } = client({ edx: { e: {} } });
    const expected = c.getBucket('e');
    for (const options of [null, 'x', 5, [], true]) expect(c.getBucket('e', options as never)).toBe(expected);
  });

  it('a hostile key, scope or numBuckets: control and a log line (the scope threw: "Cannot convert object to primitive value")', () => {
    const { client: c, log, onExposure } = client({ edx: { e: {} } });
    expect(c.getBucket(HOSTILE)).toBe(0);
    expect(c.getBucket('e', { scope: HOSTILE })).toBe(0);
    expect(c.getBucket('e', { numBuckets: HOSTILE as unknown as number })).toBe(0);
    expect(log).toHaveBeenCalledTimes(3);
    expect(onExposure).not.toHaveBeenCalled();
  });

  it.each([
    ['null', null],
    ['a string', 'config'],
    ['an array', []],
  ])('definitions that are %s: defaults for getBucket, null for variant (edx(null) threw on every call)', (_name, definitions) => {
    const { client: c } = client({ edx: definitions, baseplate: definitions });
    expect([0, 1]).toContain(c.getBucket('e'));
    expect(c.getBucket('e')).toBe(client({ edx: {} }).client.getBucket('e'));
    expect(c.variant('e')).toBeNull();
    expect(() => c.expose('e', 'a')).not.toThrow();
  });

  it('expose() with a name or variant that is not a string is ignored with a log line', () => {
    const { client: c, log, onExposure } = client({ baseplate: { e: AB } });
    c.expose(HOSTILE, 'a');
    c.expose('e', HOSTILE);
    expect(onExposure).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(2);
  });
});

describe('named experiments and bandit settings: an entry of {"e": null} drops only itself', () => {
  const AB = { variations: ['a', 'b'] };
  const STATS = [
    { participants: 100, conversions: 10 },
    { participants: 100, conversions: 30 },
  ];

  it('bandits({ experiments }): the other bandits keep working and the bad entry is logged (it stopped the whole plugin: no getBandit)', () => {
    const log = vi.fn();
    const c = createClient({
      clientId: 'u',
      cookie: false,
      log,
      plugins: [bandits({ experiments: { e: null, ok: { policy: 'epsilon-greedy', params: { epsilon: 0.2 } } } as unknown as BanditsOptions['experiments'] })],
    });
    expect(typeof c.getBandit).toBe('function');
    c.setBanditStats('ok', STATS);
    c.setBanditStats('e', STATS);
    expect(c.getBandit('ok')?.weights).toEqual([0.1, 0.9]);
    expect(c.getBandit('e')).toBeUndefined();
    expect(log.mock.calls).toEqual([['Ignored bad bandit settings', { experiment: 'e' }]]);
  });

  it('edx and baseplate definitions: the valid experiment next to it answers as without it', () => {
    const plain = client({ edx: { ok: {} }, baseplate: { ok: AB } }).client;
    const { client: c } = client({ edx: { e: null, ok: {} }, baseplate: { e: null, ok: AB } });
    expect(c.getBucket('ok', { numBuckets: 7 })).toBe(plain.getBucket('ok', { numBuckets: 7 }));
    expect(c.variant('ok')).toBe(plain.variant('ok'));
    expect(c.variant('e')).toBeNull();
    expect([0, 1]).toContain(c.getBucket('e'));
  });
});

/** A URL nothing listens on: a server that is down (connection refused at once). */
async function downUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** A Storage in memory, for the journal in Node (jsdom's would do too). */
function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    key: (i) => [...data.keys()][i] ?? null,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, String(v)),
    removeItem: (k) => void data.delete(k),
    clear: () => data.clear(),
  };
}

describe('the Sixpack queue is bounded and cheap while the server is down', () => {
  beforeEach(() => {
    vi.stubGlobal('indexedDB', new IDBFactory());
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it.each([
    ['IndexedDB', false],
    ['IndexedDB behind the localStorage journal', true],
  ])('5,000 converts (%s): one fetch attempt, the newest 1,000 kept in order, the oldest dropped with a log line', async (_name, journal) => {
    if (journal) vi.stubGlobal('localStorage', memoryStorage());
    const baseUrl = await downUrl();
    const attempts: string[] = [];
    const countingFetch: typeof fetch = (input, init) => (attempts.push(String(input)), fetch(input, init));
    const log = vi.fn();
    const queue = indexedDbQueue({ log });
    const client = createSixpackClient('down-visitor', { baseUrl, fetch: countingFetch, queue, log, timeoutMs: 500 });
    const results = await Promise.all(Array.from({ length: 5000 }, (_, i) => client.convert(`e${i}`)));
    client.destroy(); // no retry during the assertions

    // One attempt told the outbox the server is down; the other 4,999 were stored, not sent.
    expect(attempts.length).toBeLessThanOrEqual(2);
    const stored = await queue.peekAll();
    expect(stored).toHaveLength(DEFAULT_QUEUE_LIMIT);
    expect(stored.map((e) => new URLSearchParams(e.path.split('?')[1]).get('experiment'))).toEqual(
      Array.from({ length: 1000 }, (_, i) => `e${4000 + i}`),
    );
    expect(results.filter((r) => r.status === 'queued')).toHaveLength(1000);
    expect(results.filter((r) => r.status === 'rejected' && /dropped/.test(String(r.error)))).toHaveLength(4000);
    const drops = log.mock.calls.filter(([message]) => /dropped the \d+ oldest/.test(message));
    expect(drops.map(([message]) => message)).toEqual(['Sixpack queue: more than 1000 requests waiting; dropped the 4000 oldest']);
    if (journal) expect(localStorage.length).toBe(0); // in IndexedDB now: the journal is done with them
  });

  it('converts awaited one by one while the server is down: one write each, no fetch, bounded by maxQueued', async () => {
    const baseUrl = await downUrl();
    let attempts = 0;
    const countingFetch: typeof fetch = (input, init) => (attempts++, fetch(input, init));
    const log = vi.fn();
    const queue = indexedDbQueue({ log });
    const client = createSixpackClient('down-visitor', { baseUrl, fetch: countingFetch, queue, log, maxQueued: 50 });
    for (let i = 0; i < 300; i++) expect((await client.convert(`e${i}`)).status).toMatch(/^(queued|rejected)$/);
    client.destroy();
    expect(attempts).toBe(1);
    const stored = await queue.peekAll();
    expect(stored.map((e) => new URLSearchParams(e.path.split('?')[1]).get('experiment'))).toEqual(Array.from({ length: 50 }, (_, i) => `e${250 + i}`));
    // Told once when dropping starts (not once per request).
    expect(log.mock.calls.filter(([message]) => /dropped/.test(message))).toHaveLength(1);
  });

  it('a bad maxQueued falls back to 1,000 with a log line', async () => {
    const log = vi.fn();
    createSixpackClient('v', { baseUrl: 'http://127.0.0.1:9', maxQueued: 0, log, queue: memoryQueue() }).destroy();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('maxQueued'), { maxQueued: 0 });
  });
});

describe('a foreign splitflap-queue database without our store', () => {
  beforeEach(() => {
    vi.stubGlobal('indexedDB', new IDBFactory());
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** Another app (or another version of this code) made the database with a store of its own. */
  async function foreignDatabase(): Promise<void> {
    const open = indexedDB.open('splitflap-queue', 3);
    open.onupgradeneeded = () => open.result.createObjectStore('theirs').put('their data', 'k');
    const db = await new Promise<IDBDatabase>((resolve, reject) => ((open.onsuccess = () => resolve(open.result)), (open.onerror = () => reject(open.error))));
    db.close();
  }

  it('gets the requests store added in a version upgrade: the queue stays durable (it fell back to memory and lost the conversion on reload)', async () => {
    await foreignDatabase();
    const log = vi.fn();
    const page1 = indexedDbQueue({ log });
    await page1.add([{ id: '1.a', path: 'convert?experiment=x&client_id=c' }]);
    expect(log).not.toHaveBeenCalled(); // no "using memory"
    // A reload: a new queue on the same database finds it.
    expect(await indexedDbQueue({ log }).peekAll()).toEqual([{ id: '1.a', path: 'convert?experiment=x&client_id=c' }]);
    // Their store and data are untouched.
    const open = indexedDB.open('splitflap-queue');
    const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
    expect([...db.objectStoreNames].sort()).toEqual(['requests', 'theirs']);
    expect(db.version).toBe(4);
    const read = db.transaction('theirs').objectStore('theirs').get('k');
    expect(await new Promise((resolve) => (read.onsuccess = () => resolve(read.result)))).toBe('their data');
    db.close();
  });

  it("does not block the other app's later upgrade, and reopens after it", async () => {
    await foreignDatabase();
    const queue = indexedDbQueue({ log: () => {} });
    await queue.add([{ id: '1.a', path: 'convert?experiment=x' }]); // holds a connection at version 4
    const upgrade = indexedDB.open('splitflap-queue', 5);
    const blocked = vi.fn();
    upgrade.onblocked = blocked;
    upgrade.onupgradeneeded = () => upgrade.result.createObjectStore('theirs-too');
    const db = await new Promise<IDBDatabase>((resolve) => (upgrade.onsuccess = () => resolve(upgrade.result)));
    db.close();
    expect(blocked).not.toHaveBeenCalled();
    await queue.add([{ id: '2.b', path: 'convert?experiment=y' }]);
    expect((await indexedDbQueue().peekAll()).map((e) => e.id)).toEqual(['1.a', '2.b']);
  });
});

describe('the journal: a request is durable, or on the wire, before the caller returns (click-then-navigate)', () => {
  let storage: Storage;
  beforeEach(() => {
    vi.stubGlobal('indexedDB', new IDBFactory());
    vi.stubGlobal('localStorage', (storage = memoryStorage()));
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
  const SENT: Delivery = { status: 'sent' };
  const DOWN: Delivery = { status: 'queued', error: new Error('connection refused') };
  const journalKeys = () => Array.from({ length: storage.length }, (_, i) => storage.key(i)!).filter((k) => k.startsWith('splitflap-queue:'));

  it('with nothing queued ahead, send journals and starts the request synchronously; an answer clears the journal', async () => {
    const deliver = vi.fn(async (_path: string) => SENT);
    const box = createOutbox(indexedDbQueue(), deliver);
    await box.flush(); // the page's start: the queue is read once, empty
    const sent = box.send('convert?experiment=buy&client_id=c');
    // Still in the caller's task (a click handler): journaled and on the wire.
    expect(journalKeys()).toHaveLength(1);
    expect(deliver).toHaveBeenCalledWith('convert?experiment=buy&client_id=c');
    expect(await sent).toEqual(SENT);
    expect(journalKeys()).toEqual([]);
    box.destroy();
  });

  it('a page that goes away before the answer leaves the request in the journal; the next page delivers it, once', async () => {
    const page1 = createOutbox(indexedDbQueue(), () => new Promise<Delivery>(() => {})); // the navigation: never answered
    await page1.flush();
    void page1.send('convert?experiment=buy&client_id=c');
    page1.destroy();
    expect(journalKeys()).toHaveLength(1);

    const deliver = vi.fn(async (_path: string) => SENT);
    const page2 = createOutbox(indexedDbQueue(), deliver);
    page2.start();
    await page2.flush();
    expect(deliver.mock.calls).toEqual([['convert?experiment=buy&client_id=c']]);
    expect(journalKeys()).toEqual([]);
    expect(await indexedDbQueue().peekAll()).toEqual([]);
    page2.destroy();
  });

  it('a conversion waits for its participation in flight; a participation that failed is delivered before it', async () => {
    const calls: string[] = [];
    const answers = [DOWN];
    const deliver = vi.fn(async (path: string) => (calls.push(path.split('?')[0]!), answers.shift() ?? SENT));
    const queue = indexedDbQueue();
    const box = createOutbox(queue, deliver);
    await box.flush();
    // The participation is in flight (the caller sends it itself) when the visitor converts.
    const noted = box.note('participate?experiment=buy&alternatives=a&alternatives=b&client_id=c');
    expect(noted).toBeDefined();
    let answer!: () => void;
    const participation = new Promise<void>((resolve) => (answer = resolve));
    const converted = box.send('convert?experiment=buy&client_id=c', participation);
    await new Promise((r) => setTimeout(r, 10));
    expect(deliver).not.toHaveBeenCalled();
    // It fails (the server went down): it is queued for a retry, ahead of the conversion.
    await box.retryLater('participate?experiment=buy&alternatives=a&alternatives=b&client_id=c', noted);
    answer();
    expect(await converted).toEqual(DOWN);
    expect(calls).toEqual(['participate']);
    expect((await queue.peekAll()).map((e) => e.path.split('?')[0])).toEqual(['participate', 'convert']);
    await box.flush(); // the server is back
    expect(calls).toEqual(['participate', 'participate', 'convert']);
    expect(await queue.peekAll()).toEqual([]);
    box.destroy();
  });

  it('with IndexedDB unusable, the journal keeps queued requests across a reload (memory alone lost them)', async () => {
    vi.stubGlobal('indexedDB', undefined);
    const log = vi.fn();
    const page1 = createOutbox(indexedDbQueue({ log }), async () => DOWN);
    expect((await page1.send('convert?experiment=buy&client_id=c')).status).toBe('queued');
    page1.destroy();
    expect(log.mock.calls[0]![0]).toMatch(/using memory/);

    const deliver = vi.fn(async (_path: string) => SENT);
    const page2 = createOutbox(indexedDbQueue({ log }), deliver);
    await page2.flush();
    expect(deliver.mock.calls).toEqual([['convert?experiment=buy&client_id=c']]);
    expect(journalKeys()).toEqual([]);
    page2.destroy();
  });

  it('unusable localStorage: no journal, one log line, requests go through IndexedDB as before', async () => {
    vi.stubGlobal('localStorage', {
      get length(): number {
        throw new DOMException('denied', 'SecurityError');
      },
    });
    const log = vi.fn();
    const deliver = vi.fn(async (_path: string) => SENT);
    const box = createOutbox(indexedDbQueue({ log }), deliver);
    expect(await box.send('convert?experiment=a')).toEqual(SENT);
    expect(await box.send('convert?experiment=b')).toEqual(SENT);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(/journal failed/);
    box.destroy();
  });
});
