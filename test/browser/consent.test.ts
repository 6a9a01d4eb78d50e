/**
 * Consent in real Chromium: examples/plain/consent.html (the script tag with the cookie-banner
 * pattern, under a strict CSP) against the example Sixpack server. Before an answer: no cookie,
 * nothing in localStorage, sessionStorage or IndexedDB, no request but the page's own files and
 * its payload, though the page renders and a click converts (later). Accept: the id cookie,
 * stored assignments, and the participation then the conversion, once each. Reject: nothing, ever.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createServer } from '../../server/src/index';
import { exampleRoute, STRICT_CSP } from './examples';
import { describeInBrowser, launchChromium, newContext, servePages } from './harness';

interface Stored {
  cookies: string[];
  localStorage: string[];
  sessionStorage: number;
  databases: string[];
}

describeInBrowser('consent on a plain page', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePages>>;
  const sixpack = createServer();
  let sixpackUrl = '';
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await launchChromium();
    sixpackUrl = (await sixpack.listen(0, '127.0.0.1')).url;
    site = await servePages({}, exampleRoute({ plain: { dir: 'plain', sixpackUrl, csp: STRICT_CSP } }));
  });
  afterEach(() => context?.close());
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await sixpack.close();
  });

  /** A fresh visitor on the consent page; `requests` lists every URL the page asks for, in order. */
  async function open() {
    context = await newContext(browser);
    const tab = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    tab.on('request', (request) => requests.push(request.url()));
    tab.on('console', (message) => message.type() == 'error' && errors.push(message.text()));
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(site.url + '/plain/consent.html');
    // Rendered: the banner is up and the anti-flicker is over (the Sixpack answer is waiting).
    await tab.waitForFunction(() => {
      const banner = document.getElementById('consent-banner');
      return !!banner && !banner.hidden && !document.documentElement.classList.contains('splitflap-pending');
    });
    return { tab, requests, errors };
  }

  const stored = async (tab: Page): Promise<Stored> => ({
    cookies: (await context.cookies()).map((cookie) => cookie.name + '=' + cookie.value),
    ...(await tab.evaluate(async () => ({
      localStorage: Object.keys(localStorage),
      sessionStorage: sessionStorage.length,
      databases: (await indexedDB.databases()).map((db) => db.name!),
    }))),
  });
  const toSixpack = (requests: string[]) => requests.filter((url) => url.startsWith(sixpackUrl)).map((url) => new URL(url).pathname.slice(1));
  const clientId = (tab: Page) => tab.evaluate(() => (window as unknown as { Splitflap: { client: { clientId: string } } }).Splitflap.client.clientId);
  const visibleButton = (tab: Page) => tab.evaluate(() => [...document.querySelectorAll<HTMLElement>('.buy [data-variant]')].filter((b) => !b.hidden).map((b) => b.dataset.variant));

  it('stores and sends nothing before an answer, and everything, once, after Accept', async () => {
    const { tab, requests, errors } = await open();
    expect(await tab.evaluate(() => document.querySelectorAll('[data-experiment="headline"] [data-variant]:not([hidden])').length)).toBe(1);
    expect(await visibleButton(tab)).toEqual(['green']); // the control, until Sixpack may be asked
    await tab.click('.buy [data-variant="green"]'); // a conversion, held
    await tab.waitForTimeout(300);

    expect(await stored(tab)).toEqual({ cookies: [], localStorage: [], sessionStorage: 0, databases: [] });
    expect(requests.map((url) => new URL(url).pathname)).toEqual(
      expect.arrayContaining(['/plain/consent.html', '/plain/style.css', '/plain/consent.js', '/splitflap.sixpack.js', '/splitflap.consent.js', '/splitflap.global.js', '/plain/features.json']),
    );
    expect(requests).toHaveLength(8); // those seven and visitor.js: the page's own files and its payload, nothing else

    await tab.click('#consent-accept');
    await tab.waitForFunction(() => document.getElementById('consent-banner')!.hidden);
    await expect.poll(() => toSixpack(requests), { timeout: 5000 }).toEqual(['participate', 'convert']);
    const id = await clientId(tab);
    const participate = new URL(requests.find((url) => url.includes('/participate'))!);
    expect(participate.searchParams.get('client_id')).toBe(id);
    const after = await stored(tab);
    expect(after.cookies).toEqual(['sixpack_client_id=' + id]);
    await expect.poll(async () => (await stored(tab)).databases.sort()).toEqual(expect.arrayContaining(['splitflap']));
    // The page's own key, the goals, and (once the sticky docs are stored) the sticky store's
    // synchronous copy of the visitor's docs (src/sticky-stores.ts).
    const isCopy = (key: string) => key.startsWith('splitflap:sticky:');
    await expect.poll(async () => (await stored(tab)).localStorage.some(isCopy), { timeout: 5000 }).toBe(true);
    expect((await stored(tab)).localStorage.filter((key) => !isCopy(key)).sort()).toEqual(['demo-consent', 'splitflap:goals']);
    // The server counted the participation and the conversion of the alternative the page now shows.
    const shown = (await visibleButton(tab))[0]!;
    const stats = (await (await fetch(`${sixpackUrl}/experiments/buy-button`)).json()) as { alternatives: { name: string; participant_count: number; completed_count: number }[] };
    expect(stats.alternatives.find((a) => a.name == shown)).toMatchObject({ participant_count: 1, completed_count: 1 });
    expect(errors).toEqual([]);
  });

  it('after Reject, stores and sends nothing, on this page or the next', async () => {
    const { tab, requests, errors } = await open();
    await tab.click('.buy [data-variant="green"]');
    await tab.click('#consent-reject');
    await tab.click('.buy [data-variant="green"]');
    await tab.waitForTimeout(300);
    expect(await stored(tab)).toEqual({ cookies: [], localStorage: ['demo-consent'], sessionStorage: 0, databases: [] });
    expect(toSixpack(requests)).toEqual([]);
    const first = await clientId(tab);

    await tab.reload();
    await tab.waitForFunction(() => !document.documentElement.classList.contains('splitflap-pending'));
    await tab.click('.buy [data-variant="green"]');
    await tab.waitForTimeout(300);
    expect(await tab.evaluate(() => (window as unknown as { Splitflap: { client: { getConsent(): string } } }).Splitflap.client.getConsent())).toBe('denied');
    expect(await clientId(tab)).not.toBe(first); // nothing remembered the id
    expect(await stored(tab)).toEqual({ cookies: [], localStorage: ['demo-consent'], sessionStorage: 0, databases: [] });
    expect(toSixpack(requests)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
