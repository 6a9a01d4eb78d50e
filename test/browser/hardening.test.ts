/**
 * Client-side defects of issue 14 in real Chromium, against the real example Sixpack server:
 * conversions lost on click-then-navigate (3), payloads that broke the start (4), the script tag
 * loaded twice (10), a corrupted `splitflap:goals` entry (11), a foreign `splitflap-queue`
 * database (minor), and experiments off by markup (9).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient } from '../../src/index';
import { startSixpack, type RunningSixpack } from '../helpers/sixpack-server';
import { describeInBrowser, launchChromium, newContext, servePages } from './harness';

/** The example server's counts for `experiment`: alternative → [participants, conversions]. */
async function counts(sixpack: RunningSixpack, experiment: string, kpi?: string): Promise<Record<string, [number, number]> | null> {
  const res = await sixpack.get(`/experiments/${experiment}`, kpi ? { kpi } : {});
  if (res.status !== 200) return null;
  const body = res.json as { alternatives: { name: string; participant_count: number; completed_count: number }[] };
  return Object.fromEntries(body.alternatives.map((a) => [a.name, [a.participant_count, a.completed_count]]));
}

/** Totals over the alternatives: [participants, conversions]. */
async function totals(sixpack: RunningSixpack, experiment: string, kpi?: string): Promise<[number, number]> {
  const byAlternative = (await counts(sixpack, experiment, kpi)) ?? {};
  return Object.values(byAlternative).reduce<[number, number]>((sum, [p, c]) => [sum[0] + p, sum[1] + c], [0, 0]);
}

/** Uncaught errors and console errors of a tab (not failed loads: the harness has no favicon). */
function watchErrors(tab: Page): string[] {
  const errors: string[] = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  tab.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  return errors;
}

/**
 * Payload rules that made createClient / setFeatures throw before the core dropped bad rules,
 * next to valid ones that must keep working.
 */
const HOSTILE_FEATURES = {
  ab: { defaultValue: 'plain', rules: [{ key: 'ab', variations: ['plain', 'bold'], weights: [{ toString: 1 }, 0.5] }] },
  ab2: {
    defaultValue: 'x',
    rules: [
      { key: 'ab2', variations: ['x', 'y'], weights: [{ toString: 1 }, 0.5] },
      { key: 'ab2', variations: ['x', 'y'], hashVersion: 2 },
    ],
  },
  e: null,
  experiments: { e: null },
  'flag-ok': { defaultValue: true },
};
const HOSTILE_MARKUP = `
<div data-experiment="ab"><p data-variant="plain">plain</p><p data-variant="bold" hidden>bold</p></div>
<div data-experiment="ab2"><p data-variant="x">x</p><p data-variant="y" hidden>y</p></div>
<p id="flag-ok" data-flag="flag-ok" hidden>on</p>`;

/** A payload experiment, and a visitor id it hashes into `a`, so only a URL override can show `b`. */
const URL_FEATURES = { 'url-local': { defaultValue: 'a', rules: [{ key: 'url-local', variations: ['a', 'b'] }] } };
const URL_VISITOR = Array.from({ length: 100 }, (_, i) => `url-visitor-${i}`).find(
  (id) => createClient({ clientId: id, cookie: false, stickyBucketStore: false, features: URL_FEATURES }).getFeatureValue('url-local', '') === 'a',
)!;

/** Pages of this context note `splitflap:ready`. */
const trackReady = (context: BrowserContext) =>
  context.addInitScript(() => document.addEventListener('splitflap:ready', () => ((window as unknown as { ready: boolean }).ready = true)));
const ready = (tab: Page) => tab.waitForFunction(() => (window as unknown as { ready?: boolean }).ready, undefined, { timeout: 5000 });

/** Visible variants per experiment. */
const shown = (tab: Page): Promise<Record<string, string[]>> =>
  tab.evaluate(() => {
    const out: Record<string, string[]> = {};
    document.querySelectorAll<HTMLElement>('[data-experiment]').forEach((el) => {
      out[el.dataset.experiment!] = [...el.querySelectorAll<HTMLElement>('[data-variant]')].filter((v) => !v.hidden).map((v) => v.dataset.variant!);
    });
    return out;
  });

describeInBrowser('client hardening (issue 14) in Chromium', () => {
  let browser: Browser;
  let sixpack: RunningSixpack;
  let site: Awaited<ReturnType<typeof servePages>>;
  /** Request URLs the Sixpack server answered, in order. */
  const requests: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    sixpack = await startSixpack({ log: (line) => requests.push(line.split(' ')[1]!) });
    const tag = `<script src="/splitflap.global.js" data-sixpack-url="${sixpack.url}"></script>`;
    const buyButton = (experiment: string) => `<div data-experiment="${experiment}" data-alternatives="control,treatment">
  <button data-variant="control" data-convert="${experiment}">Buy</button>
  <button data-variant="treatment" data-convert="${experiment}" hidden>Buy!</button>
</div>`;
    const countEvents = `<script>window.converts = 0; document.addEventListener('splitflap:convert', function () { window.converts++; });</script>`;
    const hostileFeatures = JSON.stringify(HOSTILE_FEATURES).replaceAll("'", '&#39;');
    site = await servePages({
      '/twice': `<!doctype html><html><head>${countEvents}${tag}${tag}</head><body>${buyButton('twice-test')}</body></html>`,
      '/bad-inline': `<!doctype html><html><head>
<script>window.splitflapQueue = [function (client) { window.queued = client.isOn('flag-ok'); }];</script>
<script src="/splitflap.global.js" data-features='${hostileFeatures}'></script></head><body>${HOSTILE_MARKUP}</body></html>`,
      '/bad-url': `<!doctype html><html><head>
<script>window.splitflapQueue = [function (client) { client.ready().then(function () { window.queued = client.isOn('flag-ok'); }); }];</script>
<script src="/splitflap.global.js" data-features-url="/hostile.json"></script></head><body>${HOSTILE_MARKUP}</body></html>`,
      '/off': `<!doctype html><html><head>${countEvents}<script src="/splitflap.global.js" data-sixpack-url="${sixpack.url}" data-enabled="false"></script></head><body>${buyButton('off-tag')}</body></html>`,
      '/qa': `<!doctype html><html><head>${countEvents}<script>window.splitflapConfig = { qaMode: true };</script>${tag}</head><body>${buyButton('off-qa')}</body></html>`,
      '/goals': `<!doctype html><html><head>${tag}</head><body>
<div data-experiment="goal-test" data-alternatives="control,treatment" data-goal-url="/goal-reached"><p data-variant="control">A</p><p data-variant="treatment" hidden>B</p></div></body></html>`,
      '/blank': '<!doctype html><html><body>no script</body></html>',
      '/down': `<!doctype html><html><head><script src="/splitflap.global.js" data-sixpack-url="http://127.0.0.1:9"></script></head><body></body></html>`,
      ...Object.fromEntries(
        ['on', 'off'].map((mode) => [
          `/url-${mode}`,
          `<!doctype html><html><head><script src="/splitflap.global.js" data-sixpack-url="${sixpack.url}" data-attributes='{"id":"${URL_VISITOR}"}' data-features='${JSON.stringify(URL_FEATURES)}'${mode === 'off' ? ' data-allow-url-overrides="false"' : ''}></script></head><body>
<div data-experiment="url-local"><p data-variant="a">a</p><p data-variant="b" hidden>b</p></div>
<div data-experiment="url-six-${mode}" data-alternatives="control,treatment"><p data-variant="control">c</p><p data-variant="treatment" hidden>t</p></div></body></html>`,
        ]),
      ),
      '/goal-reached': `<!doctype html><html><head>${countEvents}${tag}</head><body><p>Goal</p></body></html>`,
      // A link that converts and navigates: the click-then-navigate.
      '/shop': `<!doctype html><html><head>${tag}</head><body>
<div data-experiment="nav-convert" data-alternatives="plain,bold">
  <a id="buy" data-variant="plain" data-convert="nav-convert" href="/paid">Buy</a>
  <a data-variant="bold" data-convert="nav-convert" href="/paid" hidden><b>Buy</b></a>
</div></body></html>`,
      // The next page of the same site, with the tag as on every page, and no experiment.
      '/paid': `<!doctype html><html><head>${tag}</head><body><p>Thanks</p></body></html>`,
    }, (req, res) => {
      if (req.url !== '/hostile.json') return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ features: HOSTILE_FEATURES, experiments: { e: null }, savedGroups: 5 }));
    });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await sixpack?.close();
  });

  it('click-then-navigate 50 ms after load and ready: every one of 100 conversions reaches the server, counted once', async () => {
    const RUNS = 100;
    const context: BrowserContext = await newContext(browser);
    // The pages drive the runs themselves (no round trip to the test per step): on /shop, 50 ms
    // after the load event and the client's ready(), click the link shown (a real link
    // activation: it navigates to /paid); on /paid, count the run, forget the visitor (a new
    // client id) and go back to /shop.
    await context.addInitScript((runs: number) => {
      addEventListener('load', () => {
        if (location.pathname === '/shop') {
          // 50 ms after the page has decided its experiment (at once after load, unless IndexedDB
          // is slow on a loaded machine): the participation is then in flight. A click before that
          // converts an experiment the visitor has not joined, which Sixpack counts for nobody.
          const queue = (window as unknown as { splitflapQueue: { push(callback: (client: { ready(): Promise<void> }) => void): void } }).splitflapQueue;
          queue.push((client) => void client.ready().then(() => setTimeout(() => document.querySelector<HTMLAnchorElement>('[data-convert]:not([hidden])')!.click(), 50)));
        } else if (location.pathname === '/paid') {
          const done = Number(sessionStorage.getItem('runs') ?? 0) + 1;
          sessionStorage.setItem('runs', String(done));
          if (done >= runs) return void ((window as unknown as { finished: boolean }).finished = true);
          document.cookie = 'sixpack_client_id=; path=/; max-age=0';
          setTimeout(() => location.assign('/shop'), 10);
        }
      });
    }, RUNS);
    const tab = await context.newPage();
    const errors = watchErrors(tab);
    const t0 = Date.now();
    await tab.goto(site.url + '/shop');
    // 100 page loads: about 10 s on an idle machine. The deadline is for a loaded one, not a measure.
    await tab.waitForFunction(() => (window as unknown as { finished?: boolean }).finished, undefined, { timeout: 240_000, polling: 100 });
    const seen = await totals(sixpack, 'nav-convert');
    console.log(`[click-then-navigate] ${RUNS} runs in ${Date.now() - t0} ms; at the server then: ${seen[0]} participants, ${seen[1]} conversions`);
    // Each visitor participated once and converted once: none lost, none counted twice.
    await expect.poll(() => totals(sixpack, 'nav-convert'), { timeout: 20_000, interval: 200 }).toEqual([RUNS, RUNS]);
    await context.close();
    expect(errors).toEqual([]);
  }, 300_000);

  it('the script tag twice: one participation per load, one convert request and one event per click, and a warning', async () => {
    const context = await newContext(browser);
    await trackReady(context);
    const tab = await context.newPage();
    const errors = watchErrors(tab);
    const warnings: string[] = [];
    tab.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
    const requestsOf = (endpoint: string) => requests.filter((url) => url.startsWith(`/${endpoint}?`) && url.includes('experiment=twice-test'));
    for (let load = 1; load <= 2; load++) {
      if (load === 1) await tab.goto(site.url + '/twice');
      else await tab.reload();
      await ready(tab);
      await expect.poll(() => requestsOf('participate').length).toBe(load);
      expect(Object.values(await shown(tab))).toEqual([[expect.any(String)]]);
      await tab.click('[data-convert]:not([hidden])');
      await expect.poll(() => requestsOf('convert').length).toBe(load);
      expect(await tab.evaluate(() => (window as unknown as { converts: number }).converts)).toBe(1);
    }
    await tab.waitForTimeout(200); // nothing more trickles in
    expect([requestsOf('participate').length, requestsOf('convert').length]).toEqual([2, 2]);
    expect(await totals(sixpack, 'twice-test')).toEqual([1, 1]);
    expect(warnings.filter((w) => w.includes('twice'))).toHaveLength(2); // once per load
    expect(errors).toEqual([]);
    await context.close();
  });

  it.each([
    ['inline data-features', '/bad-inline'],
    ['data-features-url', '/bad-url'],
  ])('a payload with rules that used to throw (%s): no page error, one variant each, valid flags on, queue callbacks run', async (_name, path) => {
    const context = await newContext(browser);
    await trackReady(context);
    const tab = await context.newPage();
    const errors = watchErrors(tab);
    await tab.goto(site.url + path);
    await ready(tab);
    await tab.waitForFunction(() => (window as unknown as { queued?: boolean }).queued !== undefined);
    expect(await tab.evaluate(() => (window as unknown as { queued: boolean }).queued)).toBe(true);
    expect(await tab.evaluate(() => typeof (window as unknown as { Splitflap: { client?: object } }).Splitflap.client)).toBe('object');
    const variants = await shown(tab);
    expect(variants.ab).toEqual(['plain']); // its only rule is dropped: the default value
    expect(variants.ab2).toHaveLength(1); // the valid rule of the two decides
    expect(await tab.isVisible('#flag-ok')).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it.each([
    ['data-enabled="false"', '/off', 'off-tag'],
    ['splitflapConfig.qaMode', '/qa', 'off-qa'],
  ])('experiments off by %s: the control shows, clicks convert locally only, the server hears nothing', async (_name, path, experiment) => {
    const context = await newContext(browser);
    await trackReady(context);
    const tab = await context.newPage();
    const errors = watchErrors(tab);
    for (let load = 0; load < 2; load++) {
      if (load === 0) await tab.goto(site.url + path);
      else await tab.reload();
      await ready(tab);
      expect(await shown(tab)).toEqual({ [experiment]: ['control'] });
      await tab.click('[data-convert]');
      expect(await tab.evaluate(() => (window as unknown as { converts: number }).converts)).toBe(1); // the local event still fires
    }
    await tab.waitForTimeout(300);
    expect(requests.filter((url) => url.includes(experiment))).toEqual([]);
    expect(await counts(sixpack, experiment)).toBeNull(); // the server never heard of it
    expect(errors).toEqual([]);
    await context.close();
  });

  it.each([
    ['an unparsable value', '{not json'],
    ['entries of the wrong shape', JSON.stringify([['x', 5], ['y', 'not a url'], null, 'z', ['w', 'http://127.0.0.1/', 7]])],
  ])('corrupt remembered goals (%s) are dropped and repaired: the goal URL converts', async (_name, corrupt) => {
    const context = await newContext(browser);
    await trackReady(context);
    const tab = await context.newPage();
    const errors = watchErrors(tab);
    await tab.goto(site.url + '/paid');
    await tab.evaluate((value) => localStorage.setItem('splitflap:goals', value), corrupt);
    const before = await totals(sixpack, 'goal-test');
    await tab.goto(site.url + '/goals');
    await ready(tab);
    await expect.poll(async () => (await totals(sixpack, 'goal-test'))[0]).toBe(before[0] + 1);
    const remembered = JSON.parse((await tab.evaluate(() => localStorage.getItem('splitflap:goals')))!) as unknown[];
    expect(remembered).toEqual([['goal-test', site.url + '/goal-reached', null]]);
    await tab.goto(site.url + '/goal-reached');
    await ready(tab);
    await expect.poll(async () => (await totals(sixpack, 'goal-test'))[1]).toBe(before[1] + 1);
    expect(await tab.evaluate(() => (window as unknown as { converts: number }).converts)).toBe(1);
    expect(await tab.evaluate(() => localStorage.getItem('splitflap:goals'))).toBe('[]');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a foreign splitflap-queue database without our store: the queue adds it and stays durable across a reload', async () => {
    const context = await newContext(browser);
    const tab = await context.newPage();
    const errors = watchErrors(tab);
    const warnings: string[] = [];
    tab.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
    await tab.goto(site.url + '/blank');
    await tab.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const open = indexedDB.open('splitflap-queue', 1);
          open.onupgradeneeded = () => open.result.createObjectStore('theirs').put('their data', 'k');
          open.onsuccess = () => (open.result.close(), resolve());
        }),
    );
    // Sixpack is down: the conversion waits in the queue.
    await tab.goto(site.url + '/down');
    type Tab = { Splitflap: { client: { convert(e: string): Promise<{ status: string }> } } };
    expect(await tab.evaluate(() => (window as unknown as Tab).Splitflap.client.convert('foreign-db').then((r) => r.status))).toBe('queued');
    await tab.reload();
    const stored = await tab.evaluate(
      () =>
        new Promise<{ stores: string[]; paths: string[]; theirs: unknown }>((resolve) => {
          const open = indexedDB.open('splitflap-queue');
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('requests')) return resolve({ stores: [...db.objectStoreNames], paths: [], theirs: null });
            const tx = db.transaction(['requests', 'theirs']);
            const all = tx.objectStore('requests').getAll();
            const theirs = tx.objectStore('theirs').get('k');
            tx.oncomplete = () => {
              db.close();
              resolve({ stores: [...db.objectStoreNames], paths: all.result.map((e: { path: string }) => e.path.split('&')[0]), theirs: theirs.result });
            };
          };
        }),
    );
    expect(stored).toEqual({ stores: ['requests', 'theirs'], paths: ['convert?experiment=foreign-db'], theirs: 'their data' });
    expect(warnings.filter((w) => /using memory/.test(w))).toEqual([]);
    expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED|net::/.test(e))).toEqual([]);
    await context.close();
  });

  it.each([
    ['on by default', 'on', 'b'],
    ['off with data-allow-url-overrides="false"', 'off', 'a'],
  ])('URL overrides %s', async (_name, mode, local) => {
    const context = await newContext(browser);
    await trackReady(context);
    const tab = await context.newPage();
    const errors = watchErrors(tab);
    await tab.goto(`${site.url}/url-${mode}?url-local=1&sixpack-force-url-six-${mode}=treatment`);
    await ready(tab);
    const variants = await shown(tab);
    expect(variants['url-local']).toEqual([local]);
    if (mode === 'on') {
      // A forced Sixpack alternative is shown and never sent.
      expect(variants['url-six-on']).toEqual(['treatment']);
      await tab.waitForTimeout(200);
      expect(await counts(sixpack, 'url-six-on')).toBeNull();
    } else {
      // The server decides (either alternative, by its hash of a fresh client id) and counts the visitor there.
      const byAlternative = await counts(sixpack, 'url-six-off');
      const recorded = Object.keys(byAlternative!).filter((name) => byAlternative![name]![0] === 1);
      expect(variants['url-six-off']).toEqual(recorded);
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
