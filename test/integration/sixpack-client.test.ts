/**
 * The Sixpack-mode client over real HTTP, against the example server (in-process, 127.0.0.1,
 * port 0) and a few tiny raw servers that misbehave (silent, HTML 500, JSONP, wrong JSON).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServer } from '../../server/src/index';
import { memoryStore } from '../../server/src/index';
import { memoryQueue, type RequestQueue } from '../../src/plugins/sixpack/queue';
import { createSixpackClient, SixpackError, type SixpackOptions } from '../../src/plugins/sixpack/client';
import { memoryStickyBucketStore } from '../../src/sticky';
import type { StickyBucketStore } from '../../src/types';
import { clientFor, type RunningSixpack, scriptedRandom, startSixpack } from '../helpers/sixpack-server';

const ALTS = ['red', 'blue'];
const rng = scriptedRandom();
/** The server's request log: `GET /participate?... 200 1ms`. */
const requests: string[] = [];
let sp: RunningSixpack;

beforeAll(async () => {
  sp = await startSixpack({ random: rng.random, ignoredIps: ['192.0.2.1'], log: (line) => requests.push(line) });
});
afterAll(() => sp.close());

type Client = ReturnType<typeof createSixpackClient>;
const clients: Client[] = [];
beforeEach(() => expect(rng.pending()).toBe(0));
afterEach(() => clients.splice(0).forEach((c) => c.destroy()));

let seq = 0;
/** A fresh experiment name per test, so tests share one server without interfering. */
const fresh = (base: string) => `${base}-${++seq}`;

function client(clientId: string, options: Partial<SixpackOptions> = {}) {
  const queue = memoryQueue();
  const log = vi.fn();
  const c = createSixpackClient(clientId, { baseUrl: sp.url, queue, log, ...options });
  clients.push(c);
  return Object.assign(c, { queue: options.queue ?? queue, log: options.log ?? log });
}

/** The queries the server received on `/endpoint` for `experiment`. */
function hits(endpoint: 'participate' | 'convert', experiment?: string): URLSearchParams[] {
  return requests
    .map((line) => line.split(' ')[1]!)
    .filter((url) => url.startsWith(`/${endpoint}?`))
    .map((url) => new URLSearchParams(url.split('?')[1]))
    .filter((q) => experiment === undefined || q.get('experiment') === experiment);
}

async function counts(experiment: string, kpi?: string) {
  const d = (await sp.get(`/experiments/${encodeURIComponent(experiment)}`, kpi ? { kpi } : {})).json;
  return {
    participants: Object.fromEntries(d.alternatives.map((a: any) => [a.name, a.participant_count])),
    conversions: d.total_conversions as number,
    excluded: d.excluded_clients as number,
  };
}

/** A bare node:http server for answers the example server never gives. */
async function rawServer(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const reply = (status: number, body: string, type = 'application/json'): http.RequestListener => (_req, res) => {
  res.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' });
  res.end(body);
};

describe('participate and convert', () => {
  it('gets the server’s assignment, then converts', async () => {
    const exp = fresh('button-color');
    const id = clientFor(exp, ALTS, 1);
    const c = client(id);
    expect(await c.participate(exp, ALTS)).toEqual({ alternative: 'blue', experiment: exp, clientId: id, source: 'server' });
    expect(await c.convert(exp)).toEqual({ status: 'sent' });
    expect(await counts(exp)).toMatchObject({ participants: { red: 0, blue: 1 }, conversions: 1 });
    expect(c.log).not.toHaveBeenCalled();
  });

  it('accepts CLIENTSPEC names: spaces in experiment names, any case', async () => {
    const exp = fresh('My Experiment');
    const c = client('case-1');
    const r = await c.participate(exp, ['Red', 'Blue']);
    expect(r.source).toBe('server');
    expect(['Red', 'Blue']).toContain(r.alternative);
    expect(hits('participate', exp)).toHaveLength(1);
  });

  it('sends exactly the reference query, to a base URL with a path, with or without a slash', async () => {
    const seen: http.IncomingMessage[] = [];
    const raw = await rawServer((req, res) => {
      seen.push(req);
      const q = new URLSearchParams(req.url!.split('?')[1]);
      reply(200, JSON.stringify({ status: 'ok', alternative: { name: q.get('force') ?? 'red' }, experiment: { name: 'x' } }))(req, res);
    });
    try {
      const options = { userAgent: 'Mozilla/5.0 (X11)', ip: '203.0.113.9' };
      const a = client('c 1', { ...options, baseUrl: raw.url + '/sixpack' });
      const b = client('c 1', { ...options, baseUrl: raw.url + '/sixpack/' });
      await a.participate('my exp', ALTS, { trafficFraction: 0.5, force: 'blue', recordForce: true, prefetch: true });
      await b.convert('my exp', { kpi: 'purchase' });
      await b.participate('my exp', ALTS, { recordForce: false, prefetch: false });
      expect(seen.map((r) => r.url)).toEqual([
        '/sixpack/participate?experiment=my+exp&alternatives=red&alternatives=blue&client_id=c+1&traffic_fraction=0.5&force=blue&record_force=true&prefetch=true&user_agent=Mozilla%2F5.0+%28X11%29&ip_address=203.0.113.9',
        '/sixpack/convert?experiment=my+exp&client_id=c+1&kpi=purchase&user_agent=Mozilla%2F5.0+%28X11%29&ip_address=203.0.113.9',
        '/sixpack/participate?experiment=my+exp&alternatives=red&alternatives=blue&client_id=c+1&user_agent=Mozilla%2F5.0+%28X11%29&ip_address=203.0.113.9',
      ]);
      for (const req of seen) {
        expect(req.method).toBe('GET');
        expect(req.headers.cookie).toBeUndefined();
      }
    } finally {
      await raw.close();
    }
  });

  it('credits KPIs separately, once per client', async () => {
    const exp = fresh('checkout');
    const c = client('kpi-1');
    await c.participate(exp, ALTS);
    expect(await c.convert(exp, { kpi: 'purchase' })).toEqual({ status: 'sent' });
    expect(await c.convert(exp, { kpi: 'purchase' })).toEqual({ status: 'sent' });
    expect(await c.convert(exp, { kpi: 'signup' })).toEqual({ status: 'sent' });
    expect((await counts(exp, 'purchase')).conversions).toBe(1);
    expect((await counts(exp, 'signup')).conversions).toBe(1);
    expect((await counts(exp)).conversions).toBe(0);
    expect(hits('convert', exp).map((q) => q.get('kpi'))).toEqual(['purchase', 'purchase', 'signup']);
  });

  it('a conversion without a participation is rejected (final, not queued), and logged', async () => {
    const exp = fresh('never');
    await client('someone').participate(exp, ALTS); // the experiment exists
    const c = client('stranger');
    const r = await c.convert(exp);
    expect(r.status).toBe('rejected');
    expect(r.error).toBeInstanceOf(SixpackError);
    expect(r.error).toMatchObject({ code: 'http', status: 400, message: expect.stringContaining('this client was not participating') });
    expect(await c.queue.peekAll()).toEqual([]);
    expect(c.log).toHaveBeenCalledWith(expect.stringContaining('refused'), expect.anything());
  });
});

describe('programmer errors reject before any request', () => {
  const bad: [string, (c: Client) => Promise<unknown>, string][] = [
    ['experiment with !', (c) => c.participate('Bad Name!', ALTS), 'invalid-name'],
    ['experiment starting with -', (c) => c.participate('-lead', ALTS), 'invalid-name'],
    ['empty experiment', (c) => c.participate('', ALTS), 'invalid-name'],
    ['experiment with a dot', (c) => c.participate('a.json', ALTS), 'invalid-name'],
    ['experiment not a string', (c) => c.participate(undefined as any, ALTS), 'invalid-name'],
    ['one alternative', (c) => c.participate('ok', ['red']), 'invalid-alternatives'],
    ['no alternatives', (c) => c.participate('ok', []), 'invalid-alternatives'],
    ['alternatives not an array', (c) => c.participate('ok', 'red,blue' as any), 'invalid-alternatives'],
    ['alternative with a space', (c) => c.participate('ok', ['red', 'bl ue']), 'invalid-alternatives'],
    ['alternative starting with -', (c) => c.participate('ok', ['red', '-blue']), 'invalid-alternatives'],
    ['empty alternative', (c) => c.participate('ok', ['red', '']), 'invalid-alternatives'],
    ['traffic fraction 0', (c) => c.participate('ok', ALTS, { trafficFraction: 0 }), 'invalid-traffic-fraction'],
    ['traffic fraction 1.5', (c) => c.participate('ok', ALTS, { trafficFraction: 1.5 }), 'invalid-traffic-fraction'],
    ['traffic fraction NaN', (c) => c.participate('ok', ALTS, { trafficFraction: NaN }), 'invalid-traffic-fraction'],
    ['KPI with a space', (c) => c.convert('ok', { kpi: 'bad kpi' }), 'invalid-kpi'],
    ['empty KPI', (c) => c.convert('ok', { kpi: '' }), 'invalid-kpi'],
    ['convert, bad experiment', (c) => c.convert('no/slash'), 'invalid-name'],
  ];
  it.each(bad)('%s', async (_name, call, code) => {
    const before = requests.length;
    const c = client('validator');
    const error = await call(c).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SixpackError);
    expect(error).toMatchObject({ name: 'SixpackError', code });
    await c.flush();
    expect(requests.length).toBe(before);
    expect(await c.queue.peekAll()).toEqual([]);
  });

  it('names the bad value in the message', async () => {
    await expect(client('v').participate('ok', ['red', 'bl ue'])).rejects.toThrow(/alternative name "bl ue"/);
    await expect(client('v').participate('ok', ALTS, { trafficFraction: 2 })).rejects.toThrow(/traffic fraction 2/);
  });
});

describe('server answers that are not the visitor’s own assignment', () => {
  it('changed alternatives → control with the server’s error, not queued', async () => {
    const exp = fresh('changed');
    const c = client(clientFor(exp, ALTS, 1));
    expect((await c.participate(exp, ALTS)).alternative).toBe('blue');
    const r = await c.participate(exp, ['red', 'green']);
    expect(r).toMatchObject({ alternative: 'red', source: 'fallback' });
    expect(r.error).toMatchObject({ code: 'http', status: 400, message: expect.stringContaining('alternatives have changed') });
    expect(await c.queue.peekAll()).toEqual([]);
  });

  it('traffic exclusion: the control from the server, uncounted; converting is rejected', async () => {
    const exp = fresh('fraction');
    const c = client(clientFor(exp, ALTS, 1));
    rng.push(0.9); // >= 0.3: excluded
    expect(await c.participate(exp, ALTS, { trafficFraction: 0.3 })).toMatchObject({ alternative: 'red', source: 'server' });
    expect(hits('participate', exp)[0]!.get('traffic_fraction')).toBe('0.3');
    expect(await counts(exp)).toMatchObject({ participants: { red: 0, blue: 0 }, excluded: 1 });
    expect((await c.convert(exp)).status).toBe('rejected');
  });

  it('force option goes to the server: unrecorded, or recorded with recordForce', async () => {
    const exp = fresh('force');
    const a = client(clientFor(exp, ALTS, 0, 'a'));
    // A forced answer is not the visitor's own assignment: `source: 'force'`, as a URL force says.
    expect(await a.participate(exp, ALTS, { force: 'blue' })).toMatchObject({ alternative: 'blue', source: 'force' });
    expect(await counts(exp)).toMatchObject({ participants: { red: 0, blue: 0 } });
    const b = client(clientFor(exp, ALTS, 0, 'b'));
    expect(await b.participate(exp, ALTS, { force: 'blue', recordForce: true })).toMatchObject({ alternative: 'blue', source: 'force' });
    expect(await counts(exp)).toMatchObject({ participants: { red: 0, blue: 1 } });
    expect(hits('participate', exp).map((q) => [q.get('force'), q.get('record_force')])).toEqual([
      ['blue', null],
      ['blue', 'true'],
    ]);
  });

  it('?sixpack-force-EXP=ALT in the page URL: shown, never sent; unless disabled or unknown', async () => {
    const exp = fresh('url-force');
    const url = `https://shop.example/p?x=1&sixpack-force-${exp}=blue#top`;
    const id = clientFor(exp, ALTS, 0);
    expect(await client(id, { url }).participate(exp, ALTS)).toEqual({ alternative: 'blue', experiment: exp, clientId: id, source: 'force' });
    expect(hits('participate', exp)).toHaveLength(0);
    expect(await client(id, { url, allowUrlForce: false }).participate(exp, ALTS)).toMatchObject({ alternative: 'red', source: 'server' });
    const other = `https://shop.example/p?sixpack-force-${exp}=green`;
    expect(await client(id, { url: other }).participate(exp, ALTS)).toMatchObject({ alternative: 'red', source: 'server' });
    expect(hits('participate', exp)).toHaveLength(2);
  });

  it('a bot user agent or an ignored IP gets the control, uncounted', async () => {
    const exp = fresh('bots');
    const human = clientFor(exp, ALTS, 1, 'h');
    expect((await client(human).participate(exp, ALTS)).alternative).toBe('blue');
    const bot = client(human, { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)' });
    expect(await bot.participate(exp, ALTS)).toMatchObject({ alternative: 'red', source: 'server' });
    expect(hits('participate', exp)[1]!.get('user_agent')).toBe('Mozilla/5.0 (compatible; Googlebot/2.1)');
    expect(await client(clientFor(exp, ALTS, 1, 'i'), { ip: '192.0.2.1' }).participate(exp, ALTS)).toMatchObject({ alternative: 'red' });
    expect(await counts(exp)).toMatchObject({ participants: { red: 0, blue: 1 } });
    // A bot's conversion is answered "excluded": sent, and not counted.
    expect(await bot.convert(exp)).toEqual({ status: 'sent' });
    expect((await counts(exp)).conversions).toBe(0);
  });
});

describe('stickiness', () => {
  const doc = (clientId: string, assignments: Record<string, string>) => ({
    attributeName: 'sixpack_client_id',
    attributeValue: clientId,
    assignments,
  });

  it('a second instance with the same id renders the remembered answer at once, and still tells the server', async () => {
    const exp = fresh('sticky');
    const id = clientFor(exp, ALTS, 1);
    const store = memoryStickyBucketStore();
    expect(await client(id, { stickyStore: store }).participate(exp, ALTS)).toMatchObject({ alternative: 'blue', source: 'server' });
    expect(await store.getAssignments('sixpack_client_id', id)).toEqual(doc(id, { [`sixpack:${exp}__0`]: 'blue' }));

    expect(await client(id, { stickyStore: store }).participate(exp, ALTS)).toMatchObject({ alternative: 'blue', source: 'sticky' });
    await vi.waitFor(() => expect(hits('participate', exp)).toHaveLength(2));

    // The server now says otherwise (a winner): shown from memory once more, then remembered.
    await sp.send('POST', `/_admin/experiments/${exp}`, { winner: 'red' });
    expect(await client(id, { stickyStore: store }).participate(exp, ALTS)).toMatchObject({ alternative: 'blue', source: 'sticky' });
    await vi.waitFor(async () => expect((await store.getAssignments('sixpack_client_id', id))?.assignments).toEqual({ [`sixpack:${exp}__0`]: 'red' }));
    expect(await client(id, { stickyStore: store }).participate(exp, ALTS)).toMatchObject({ alternative: 'red', source: 'sticky' });
  });

  it('keeps other experiments’ memories, ignores a remembered alternative no longer listed', async () => {
    const exp = fresh('gone');
    const id = clientFor(exp, ALTS, 1);
    const store = memoryStickyBucketStore([doc(id, { [`sixpack:${exp}__0`]: 'purple', 'sixpack:other__0': 'x' })]);
    expect(await client(id, { stickyStore: store }).participate(exp, ALTS)).toMatchObject({ alternative: 'blue', source: 'server' });
    expect((await store.getAssignments('sixpack_client_id', id))?.assignments).toEqual({
      [`sixpack:${exp}__0`]: 'blue',
      'sixpack:other__0': 'x',
    });
  });

  it('does not remember forced answers; a failing store is logged and ignored', async () => {
    const exp = fresh('no-memory');
    const id = clientFor(exp, ALTS, 0);
    const store = memoryStickyBucketStore();
    await client(id, { stickyStore: store }).participate(exp, ALTS, { force: 'blue' });
    expect(store.docs.size).toBe(0);

    const broken: StickyBucketStore = {
      getAssignments: () => Promise.reject(new Error('disk full')),
      saveAssignments: () => Promise.reject(new Error('disk full')),
    };
    const c = client(id, { stickyStore: broken });
    expect(await c.participate(exp, ALTS)).toMatchObject({ alternative: 'red', source: 'server' });
    expect(c.log).toHaveBeenCalledWith(expect.stringContaining('sticky'), expect.anything());
  });
});

describe('coalescing', () => {
  it('identical concurrent calls make one request; different options do not', async () => {
    const exp = fresh('coalesce');
    const c = client(clientFor(exp, ALTS, 1));
    const results = await Promise.all([c.participate(exp, ALTS), c.participate(exp, ALTS), c.participate(exp, ALTS), c.participate(exp, ALTS, { prefetch: true })]);
    expect(results.map((r) => r.alternative)).toEqual(['blue', 'blue', 'blue', 'blue']);
    expect(hits('participate', exp)).toHaveLength(2);
    // Settled requests are not cached: the next call asks again.
    await c.participate(exp, ALTS);
    expect(hits('participate', exp)).toHaveLength(3);
  });
});

describe('run-time failures resolve with the control', () => {
  it('server down (closed port): fast, and the participation is queued', async () => {
    const gone = await rawServer(() => {});
    await gone.close();
    const c = client('down', { baseUrl: gone.url });
    const started = Date.now();
    const r = await c.participate('exp', ALTS);
    expect(Date.now() - started).toBeLessThan(500);
    expect(r).toMatchObject({ alternative: 'red', source: 'fallback', error: { code: 'network' } });
    expect(r.error).toBeInstanceOf(SixpackError);
    await vi.waitFor(async () => expect((await c.queue.peekAll()).map((e) => e.path)).toEqual([expect.stringMatching(/^participate\?experiment=exp&/)]));
    expect(await c.convert('exp')).toMatchObject({ status: 'queued', error: { code: 'network' } });
    // A prefetch is not worth replaying.
    await c.participate('exp2', ALTS, { prefetch: true });
    expect(await c.queue.peekAll()).toHaveLength(2);
  });

  it('a server that never answers: control within about the timeout', async () => {
    const silent = await rawServer(() => {});
    try {
      const c = client('slow', { baseUrl: silent.url, timeoutMs: 200 });
      const started = Date.now();
      const [p, cv] = await Promise.all([c.participate('exp', ALTS), c.convert('exp')]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(1000);
      expect(p).toMatchObject({ alternative: 'red', source: 'fallback', error: { code: 'timeout' } });
      expect(cv).toMatchObject({ status: 'queued', error: { code: 'timeout' } });
    } finally {
      await silent.close();
    }
  });

  it.each([
    ['an HTML 500 page', reply(500, '<html><body>Internal Server Error</body></html>', 'text/html'), { code: 'http', status: 500 }, true],
    ['a 503 JSON error', reply(503, '{"status": "failed", "message": "redis is not available"}'), { code: 'http', status: 503, message: expect.stringContaining('redis') }, true],
    ['an HTML 404 page', reply(404, '<h1>Not Found</h1>', 'text/html'), { code: 'http', status: 404 }, false],
    ['a JSONP body', reply(200, 'cb({"status": "ok", "alternative": {"name": "blue"}})', 'application/javascript'), { code: 'bad-response' }, false],
    ['JSON without an alternative', reply(200, '{"status": "ok"}'), { code: 'bad-response' }, false],
    ['an alternative not asked for', reply(200, '{"status": "ok", "alternative": {"name": "green"}}'), { code: 'bad-response' }, false],
    ['an empty 200', reply(200, ''), { code: 'bad-response' }, false],
  ])('%s → control', async (_name, handler, error, queued) => {
    const raw = await rawServer(handler);
    try {
      const c = client('odd', { baseUrl: raw.url });
      const r = await c.participate('exp', ALTS);
      expect(r).toMatchObject({ alternative: 'red', source: 'fallback', error });
      expect(r.error).toBeInstanceOf(SixpackError);
      await vi.waitFor(async () => expect(await c.queue.peekAll()).toHaveLength(queued ? 1 : 0));
    } finally {
      await raw.close();
    }
  });
});

describe('isomorphic creation', () => {
  it('touches neither the queue nor the sticky store until used', async () => {
    const calls: string[] = [];
    const inner = memoryQueue();
    const queue: RequestQueue = {
      add: (r) => (calls.push('add'), inner.add(r)),
      peekAll: () => (calls.push('peekAll'), inner.peekAll()),
      remove: (ids) => (calls.push('remove'), inner.remove(ids)),
    };
    const store = memoryStickyBucketStore();
    const get = vi.spyOn(store, 'getAssignments');
    const c = client('lazy', { queue, stickyStore: store });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
    expect(get).not.toHaveBeenCalled();
    await c.participate(fresh('lazy'), ALTS);
    expect(calls).toContain('peekAll'); // the first use delivers what an earlier page left
    expect(get).toHaveBeenCalled();
  });
});

describe('the durable queue loses nothing', () => {
  it('server killed: conversions queue; restarted on the same port with the same store: each arrives exactly once', async () => {
    const store = memoryStore();
    const log: string[] = [];
    let server = createServer({ store, log: (l) => log.push(l) });
    const { url, port } = await server.listen(0);
    const queue = memoryQueue();
    const id = 'loyal-visitor';
    const page1 = client(id, { baseUrl: url, queue });
    await page1.participate('alpha', ALTS);
    await page1.participate('beta', ALTS);

    await server.close();
    const queued = await Promise.all([
      page1.convert('alpha'),
      page1.convert('alpha', { kpi: 'purchase' }),
      page1.convert('beta', { kpi: 'signup' }),
    ]);
    // A participation that could not be recorded is queued ahead of its conversion.
    expect(await page1.participate('gamma', ALTS)).toMatchObject({ source: 'fallback', error: { code: 'network' } });
    await vi.waitFor(async () => expect(await queue.peekAll()).toHaveLength(4));
    queued.push(await page1.convert('gamma', { kpi: 'purchase' }));
    expect(queued.map((r) => r.status)).toEqual(['queued', 'queued', 'queued', 'queued']);
    expect((await queue.peekAll()).map((e) => e.path.split('&client_id')[0])).toEqual([
      'convert?experiment=alpha',
      'convert?experiment=alpha',
      'convert?experiment=beta',
      'participate?experiment=gamma&alternatives=red&alternatives=blue',
      'convert?experiment=gamma',
    ]);
    page1.destroy(); // the page goes away

    server = createServer({ store, log: (l) => log.push(l) });
    await server.listen(port);
    log.length = 0;
    try {
      const page2 = client(id, { baseUrl: url, queue }); // a reload: same queue
      await page2.flush();
      expect(await queue.peekAll()).toEqual([]);
      const sent = log.map((l) => l.split(' ').slice(1, 3).join(' '));
      expect(sent.filter((l) => l.startsWith('/convert')).map((l) => l.replace(/&client_id=[^& ]*/, ''))).toEqual([
        '/convert?experiment=alpha 200',
        '/convert?experiment=alpha&kpi=purchase 200',
        '/convert?experiment=beta&kpi=signup 200',
        '/convert?experiment=gamma&kpi=purchase 200',
      ]);
      expect(sent.filter((l) => l.startsWith('/participate'))).toHaveLength(1);

      const stats = async (exp: string, kpi?: string) =>
        (await (await fetch(`${url}/experiments/${exp}${kpi ? `?kpi=${kpi}` : ''}`)).json()) as { total_conversions: number; total_participants: number };
      expect((await stats('alpha')).total_conversions).toBe(1);
      expect((await stats('alpha', 'purchase')).total_conversions).toBe(1);
      expect((await stats('beta')).total_conversions).toBe(0);
      expect((await stats('beta', 'signup')).total_conversions).toBe(1);
      expect((await stats('gamma')).total_participants).toBe(1);
      expect((await stats('gamma', 'purchase')).total_conversions).toBe(1);
    } finally {
      await server.close();
    }
  });
});
