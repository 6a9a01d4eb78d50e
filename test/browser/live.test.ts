/**
 * Live payloads in real Chromium, on the demo site itself (examples/site.ts: the plain page, its
 * live payload and stream, a strict CSP) with the example Sixpack server behind its proxy: the
 * page's "flip" button changes the flag on the server and the markup follows without a reload;
 * while the tab is hidden nothing is followed, and it catches up once visible.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createServer } from '../../server/src/index';
import { buildScript, startSite, type Site } from '../../examples/site';
import { describeInBrowser, launchChromium, newContext } from './harness';

describeInBrowser('live payload on the demo site', () => {
  let browser: Browser;
  let site: Site;
  let context: BrowserContext;
  const sixpack = createServer();

  beforeAll(async () => {
    browser = await launchChromium();
    const { url } = await sixpack.listen(0, '127.0.0.1');
    site = await startSite({ sixpackUrl: url, script: await buildScript() });
  });
  afterEach(() => context?.close());
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await sixpack.close();
  });

  /** Whether the free-shipping banner shows. */
  const bannerShown = (tab: Page) => tab.evaluate(() => !document.querySelector<HTMLElement>('[data-flag="free-shipping"]')!.hidden);
  const setFlag = (value: boolean) =>
    fetch(site.url + '/api/features/plain/flip', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ feature: 'free-shipping', value }) });
  /** Pretend the tab was hidden or shown again (what a tab switch does to the page). */
  const visibility = (tab: Page, state: 'hidden' | 'visible') =>
    tab.evaluate((value) => {
      Object.defineProperty(document, 'visibilityState', { value, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);

  it('flips the flag on every open page without a reload, and pauses while the tab is hidden', async () => {
    context = await newContext(browser);
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('console', (message) => message.type() == 'error' && errors.push(message.text()));
    tab.on('pageerror', (error) => errors.push(error.message));
    const streams: string[] = [];
    tab.on('request', (request) => request.url().endsWith('/sub/plain') && streams.push(request.url()));
    await tab.goto(site.url + '/plain/');
    await tab.waitForFunction(() => !document.documentElement.classList.contains('splitflap-pending'));
    await expect.poll(() => streams.length).toBe(1);
    await tab.evaluate(() => ((window as unknown as { samePage: boolean }).samePage = true));
    const before = await bannerShown(tab);

    await tab.click('#flip');
    await expect.poll(() => bannerShown(tab), { timeout: 5000 }).toBe(!before);
    await expect.poll(() => tab.textContent('#visitor')).toContain(`free-shipping ${before ? 'off' : 'on'}`);

    await visibility(tab, 'hidden');
    expect((await setFlag(before)).status).toBe(200);
    await tab.waitForTimeout(600);
    expect(await bannerShown(tab)).toBe(!before); // paused: not followed while hidden

    await visibility(tab, 'visible');
    await expect.poll(() => bannerShown(tab), { timeout: 5000 }).toBe(before);
    expect(streams.length).toBe(2); // reconnected once
    expect(await tab.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).toBe(true);
    expect(errors).toEqual([]);
  });
});
