/**
 * Sticky buckets in real IndexedDB (Chromium via playwright-core, the script-tag build): a visitor
 * keeps the variation they were given after the weights change and the page reloads; the stored
 * docs are read straight from IndexedDB; two tabs writing the same visitor's doc merge; and a
 * browser whose IndexedDB throws falls back to localStorage without a page error.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, launchChromium, newContext, servePages } from './harness';

const DB = 'splitflap';
const STORE = 'sticky-buckets';

/**
 * A page rendering feature `feature` from an experiment rule with `weights` (coverage 1). Weights
 * like [0, 0, 1] put every visitor in one variation, so a change of weights provably moves a
 * visitor who has no sticky bucket.
 */
function page(feature: string, experiment: string, variations: string[], weights: number[]): string {
  const features = {
    [feature]: { defaultValue: 'none', rules: [{ key: experiment, variations, weights, coverage: 1, hashVersion: 2 }] },
  };
  return `<!doctype html>
<html><head><script src="/splitflap.global.js"></script></head>
<body><p id="out"></p>
<script>
  window.done = (async () => {
    const client = Splitflap.createClient({ features: ${JSON.stringify(features)} });
    window.client = client;
    // What the page would paint at once, before IndexedDB has answered.
    const early = client.evalFeature(${JSON.stringify(feature)}, { track: false }).value;
    await client.ready();
    const r = client.evalFeature(${JSON.stringify(feature)});
    document.getElementById('out').textContent = r.value;
    return { clientId: client.clientId, early, value: r.value, source: r.source, result: r.experimentResult };
  })();
</script></body></html>`;
}

const COLORS = ['red', 'blue', 'green'];
/** Variation 2 (green) for everyone, then variation 0 (red) for everyone without a sticky bucket. */
const colorPage = (weights: number[]) => page('color', 'color-exp', COLORS, weights);
const sizePage = page('size', 'size-exp', ['small', 'large'], [0, 1]);

interface Rendered {
  clientId: string;
  /** The value evaluated synchronously right after createClient. */
  early: string;
  value: string;
  source: string;
  result: { key: string; variationId: number; inExperiment: boolean; hashUsed: boolean; stickyBucketUsed: boolean };
}

const rendered = (tab: Page): Promise<Rendered> => tab.evaluate(() => (window as unknown as { done: Promise<Rendered> }).done);

/** Every entry of the sticky store, read with the raw IndexedDB API (no idb-keyval). */
function readStickyStore(tab: Page): Promise<Record<string, unknown>> {
  return tab.evaluate(
    ([db, store]) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const open = indexedDB.open(db!);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const conn = open.result;
          if (!conn.objectStoreNames.contains(store!)) return conn.close(), resolve({});
          const tx = conn.transaction(store!, 'readonly');
          const keys = tx.objectStore(store!).getAllKeys();
          const values = tx.objectStore(store!).getAll();
          tx.oncomplete = () => {
            conn.close();
            const out: Record<string, unknown> = {};
            keys.result.forEach((k, i) => (out[String(k)] = values.result[i]));
            resolve(out);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    [DB, STORE],
  );
}

/** The stored doc of `id||clientId`, once it has been written (saves run after evaluation). */
async function storedDoc(tab: Page, clientId: string, assignments: Record<string, string>) {
  const key = 'id||' + clientId;
  await expect.poll(async () => (await readStickyStore(tab))[key], { timeout: 5_000, interval: 50 }).toEqual({
    attributeName: 'id',
    attributeValue: clientId,
    assignments,
  });
}

describeInBrowser('sticky buckets in real IndexedDB', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePages>>;
  // Looked up per request: a test changes the served payload by replacing a page.
  const pages: Record<string, string> = {};

  beforeAll(async () => {
    browser = await launchChromium();
    site = await servePages(pages);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  /** A fresh profile with page errors and console warnings collected. */
  async function open(init?: string): Promise<{ context: BrowserContext; tab: Page; errors: string[]; warnings: string[] }> {
    const context = await newContext(browser);
    if (init) await context.addInitScript(init);
    const tab = await context.newPage();
    const errors: string[] = [];
    const warnings: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    tab.on('console', (msg) => msg.type() === 'warning' && warnings.push(msg.text()));
    return { context, tab, errors, warnings };
  }

  it('keeps the recorded variant across a reload after the weights change, read back from IndexedDB', async () => {
    pages['/'] = colorPage([0, 0, 1]);
    const { context, tab, errors, warnings } = await open();
    await tab.goto(site.url + '/');
    const first = await rendered(tab);
    expect(first.value).toBe('green');
    expect(first.result).toMatchObject({ key: '2', variationId: 2, inExperiment: true, hashUsed: true, stickyBucketUsed: false });

    // The assignment is in IndexedDB, in GrowthBook's doc shape, under the visitor's id.
    await storedDoc(tab, first.clientId, { 'color-exp__0': '2' });
    expect(Object.keys(await readStickyStore(tab))).toEqual(['id||' + first.clientId]);

    // The payload changes: hashing alone now gives everyone red.
    pages['/'] = colorPage([1, 0, 0]);
    await tab.reload();
    const second = await rendered(tab);
    expect(second.clientId).toBe(first.clientId);
    // Known at once, from the localStorage copy, before IndexedDB opened: no red first paint.
    expect(second.early).toBe('green');
    expect(await tab.evaluate((key) => JSON.parse(localStorage.getItem(key)!), 'splitflap:sticky:id||' + first.clientId)).toEqual({
      attributeName: 'id',
      attributeValue: first.clientId,
      assignments: { 'color-exp__0': '2' },
    });
    expect(second.value).toBe('green');
    expect(second.result).toMatchObject({ key: '2', variationId: 2, inExperiment: true, stickyBucketUsed: true });
    expect(await tab.textContent('#out')).toBe('green');
    // Reading it back changed nothing.
    await storedDoc(tab, first.clientId, { 'color-exp__0': '2' });

    // A visitor without a sticky bucket does get the new weights (so the reload above proves stickiness).
    const other = await open();
    await other.tab.goto(site.url + '/');
    const fresh = await rendered(other.tab);
    expect(fresh.clientId).not.toBe(first.clientId);
    expect(fresh.value).toBe('red');
    expect(fresh.result).toMatchObject({ key: '0', inExperiment: true, stickyBucketUsed: false });
    await storedDoc(other.tab, fresh.clientId, { 'color-exp__0': '0' });
    expect(other.errors).toEqual([]);
    await other.context.close();

    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    await context.close();
  });

  it("a second tab's assignment for another experiment is merged, not overwritten", async () => {
    pages['/'] = colorPage([0, 0, 1]);
    pages['/size'] = sizePage;
    const { context, tab: tabA, errors } = await open();
    await tabA.goto(site.url + '/');
    const a = await rendered(tabA);
    expect(a.value).toBe('green');
    await storedDoc(tabA, a.clientId, { 'color-exp__0': '2' });

    // Tab B (same profile, same visitor) assigns another experiment while tab A stays open.
    const tabB = await context.newPage();
    tabB.on('pageerror', (error) => errors.push(error.message));
    await tabB.goto(site.url + '/size');
    const b = await rendered(tabB);
    expect(b.clientId).toBe(a.clientId);
    expect(b.value).toBe('large');
    await storedDoc(tabA, a.clientId, { 'color-exp__0': '2', 'size-exp__0': '1' });

    // Tab A still holds the doc it loaded (without size-exp) and now saves a new assignment: the
    // store merges it into what tab B wrote instead of overwriting it.
    const late = await tabA.evaluate(() => {
      const client = (window as unknown as { client: { run(e: object): { value: string; inExperiment: boolean } } }).client;
      return client.run({ key: 'late-exp', variations: ['x', 'y'], weights: [0, 1] });
    });
    expect(late).toMatchObject({ value: 'y', inExperiment: true });
    await storedDoc(tabA, a.clientId, { 'color-exp__0': '2', 'size-exp__0': '1', 'late-exp__0': '1' });

    // Both tabs read every assignment back after a reload, even with the weights changed.
    pages['/'] = colorPage([1, 0, 0]);
    await tabA.reload();
    expect((await rendered(tabA)).result).toMatchObject({ key: '2', stickyBucketUsed: true });
    await tabB.reload();
    expect((await rendered(tabB)).result).toMatchObject({ key: '1', stickyBucketUsed: true });
    await storedDoc(tabB, a.clientId, { 'color-exp__0': '2', 'size-exp__0': '1', 'late-exp__0': '1' });

    expect(errors).toEqual([]);
    await context.close();
  });

  it('IndexedDB that throws: falls back to localStorage, still sticky, no page errors', async () => {
    pages['/'] = colorPage([0, 0, 1]);
    const { context, tab, errors, warnings } = await open(`
      IDBFactory.prototype.open = function () {
        throw new DOMException('The user denied permission to access the database.', 'UnknownError');
      };`);
    await tab.goto(site.url + '/');
    const first = await rendered(tab);
    expect(first.value).toBe('green');
    expect(first.result).toMatchObject({ key: '2', inExperiment: true, stickyBucketUsed: false });

    const key = 'splitflap:sticky:id||' + first.clientId;
    const readLocal = () => tab.evaluate((k) => localStorage.getItem(k), key);
    await expect.poll(async () => JSON.parse((await readLocal()) ?? 'null'), { timeout: 5_000, interval: 50 }).toEqual({
      attributeName: 'id',
      attributeValue: first.clientId,
      assignments: { 'color-exp__0': '2' },
    });
    // Nothing reached IndexedDB, and the switch was logged once.
    expect((await tab.evaluate(() => indexedDB.databases())).map((d) => d.name)).not.toContain(DB);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/sticky buckets: IndexedDB failed \(.*denied permission.*\); using localStorage/);

    // Read back from localStorage after the weights change.
    pages['/'] = colorPage([1, 0, 0]);
    await tab.reload();
    const second = await rendered(tab);
    expect(second.clientId).toBe(first.clientId);
    // Known at once, from the localStorage copy, before IndexedDB opened: no red first paint.
    expect(second.early).toBe('green');
    expect(await tab.evaluate((key) => JSON.parse(localStorage.getItem(key)!), 'splitflap:sticky:id||' + first.clientId)).toEqual({
      attributeName: 'id',
      attributeValue: first.clientId,
      assignments: { 'color-exp__0': '2' },
    });
    expect(second.value).toBe('green');
    expect(second.result).toMatchObject({ key: '2', stickyBucketUsed: true });

    expect(errors).toEqual([]);
    await context.close();
  });
});
