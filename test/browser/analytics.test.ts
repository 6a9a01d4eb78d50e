/**
 * `splitflap/analytics`' endpoint plugin in real Chromium, posting to a collector on another
 * 127.0.0.1 port (another origin, no CORS headers): a visitor who reloads ten times is one
 * exposure (the ledger in IndexedDB), and events made right before the page is left, by
 * navigation or by closing the tab, still arrive (beacons on pagehide).
 */
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import type { AnalyticsEvent } from '../../src/plugins/analytics';
import { describeInBrowser, launchChromium, newContext, servePages } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The core and the analytics plugins as one script (global `SF`), bundled from src/. */
async function bundle(): Promise<string> {
  const result = await build({
    stdin: { contents: "export { createClient } from './src/index';\nexport { endpoint } from './src/plugins/analytics';\n", resolveDir: root, loader: 'ts' },
    bundle: true,
    format: 'iife',
    globalName: 'SF',
    target: 'es2018',
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0]!.text;
}

const features = { color: { defaultValue: 'grey', rules: [{ key: 'color-test', variations: ['red', 'blue'], weights: [0, 1] }] } };

const page = (collector: string) => `<!doctype html>
<html><head><script src="/analytics.js"></script></head><body>
<a id="next" href="/next">next</a>
<script>
  // A minute between batches: only leaving the page can send these events.
  const client = SF.createClient({ features: ${JSON.stringify(features)}, plugins: [SF.endpoint({ url: ${JSON.stringify(collector)}, flushIntervalMs: 60000 })] });
  window.done = client.ready().then(() => client.evalFeature('color').value);
  // Resolves once this page's exposures are checked against the ledger (and sent if new).
  window.checked = () => client.flushAnalytics();
  // Events made right before leaving: an exposure, a conversion, then the navigation at once.
  window.buyAndLeave = (leave) => {
    client.run({ key: 'last-moment', variations: ['a', 'b'], weights: [0, 1] });
    document.dispatchEvent(new CustomEvent('splitflap:convert', { detail: { experiment: 'last-moment', kpi: 'buy' } }));
    if (leave) location.href = '/next';
  };
</script></body></html>`;

describeInBrowser('analytics delivery in Chromium', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePages>>;
  let collector: Server;
  const received: AnalyticsEvent[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        if (req.method === 'POST') received.push(...(JSON.parse(body) as { events: AnalyticsEvent[] }).events);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/collect`;
    const script = await bundle();
    site = await servePages({ '/': page(collectorUrl), '/next': '<!doctype html><p>next</p>' }, (req, res) => {
      if (req.url === '/analytics.js') res.writeHead(200, { 'content-type': 'application/javascript' }).end(script);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    collector?.closeAllConnections();
    await new Promise((resolve) => collector?.close(resolve));
  });
  beforeEach(() => void received.splice(0));

  /** Whether this tab's ledger has recorded an exposure (raw IndexedDB, no Splitflap code). */
  const ledgerHasEntry = (tab: Page) =>
    tab.evaluate(
      () =>
        new Promise<boolean>((resolve) => {
          const open = indexedDB.open('splitflap-exposures');
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('delivered')) return db.close(), resolve(false);
            const count = db.transaction('delivered').objectStore('delivered').count();
            count.onsuccess = () => (db.close(), resolve(count.result > 0));
          };
          open.onerror = () => resolve(false);
        }),
    );

  it('ten reloads are one exposure at the collector', async () => {
    const context = await newContext(browser);
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(site.url + '/');
    for (let load = 0; load < 10; load++) {
      expect(await tab.evaluate(() => (window as unknown as { done: Promise<string> }).done)).toBe('blue');
      // A person reloads after the page has settled: an exposure still waiting for its check when
      // the page is left goes out unchecked (a duplicate rather than a loss), so wait for it.
      await tab.evaluate(() => (window as unknown as { checked(): Promise<void> }).checked());
      // The first load's record is what every reload finds.
      expect(await ledgerHasEntry(tab)).toBe(true);
      await tab.reload();
    }
    await tab.evaluate(() => (window as unknown as { done: Promise<string> }).done);
    // The last load too is left only once its check has settled (closing the tab mid-check would
    // send its exposure unchecked, as above).
    await tab.evaluate(() => (window as unknown as { checked(): Promise<void> }).checked());
    await context.close(); // the last load leaves too
    await vi.waitFor(() => expect(received.length).toBeGreaterThan(0));
    await new Promise((resolve) => setTimeout(resolve, 300)); // any late duplicate would be in by now
    const exposures = received.filter((event) => event.type === 'exposure');
    expect(exposures).toHaveLength(1);
    expect(exposures[0]).toMatchObject({ experiment: 'color-test', variation: '1', hashAttribute: 'id' });
    expect(errors).toEqual([]);
  });

  it('events made right before a navigation arrive', async () => {
    const context = await newContext(browser);
    const tab = await context.newPage();
    await tab.goto(site.url + '/');
    await tab.evaluate(() => (window as unknown as { done: Promise<string> }).done);
    await Promise.all([tab.waitForURL(site.url + '/next'), tab.evaluate(() => (window as unknown as { buyAndLeave(leave: boolean): void }).buyAndLeave(true))]);
    await vi.waitFor(() => expect(received.filter((event) => event.experiment === 'last-moment')).toHaveLength(2));
    const clientId = received.find((event) => event.experiment === 'color-test')?.clientId;
    expect(received.filter((event) => event.experiment === 'last-moment').map(({ type, clientId: id, ...rest }) => [type, id, 'kpi' in rest ? rest.kpi : rest.variation])).toEqual(
      expect.arrayContaining([
        ['exposure', clientId, '1'],
        ['conversion', clientId, 'buy'],
      ]),
    );
    await context.close();
  });

  it('events made right before the tab is closed arrive', async () => {
    const context = await newContext(browser);
    const tab = await context.newPage();
    await tab.goto(site.url + '/');
    await tab.evaluate(() => (window as unknown as { done: Promise<string> }).done);
    await tab.evaluate(() => (window as unknown as { buyAndLeave(leave: boolean): void }).buyAndLeave(false));
    await tab.close({ runBeforeUnload: true });
    await vi.waitFor(() => expect(received.filter((event) => event.experiment === 'last-moment').map((event) => event.type).sort()).toEqual(['conversion', 'exposure']));
    await context.close();
  });
});
