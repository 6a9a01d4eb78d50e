/**
 * The DevTools panel in real Chromium, on the demo's plain page (`data-devtools`, strict CSP):
 * off without its URL parameter; with it, a keyboard-usable dialog listing what the page
 * evaluated; forcing a flag value and a variant changes the page at once, lasts for the tab's
 * session, is never sent anywhere, and one button clears it. Takes the screenshot of docs/devtools.md:
 * into .cache/, or over docs/devtools.png with SPLITFLAP_SCREENSHOTS=1.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createServer } from '../../server/src/index';
import { buildScript, startSite, type Site } from '../../examples/site';
import { describeInBrowser, launchChromium, newContext } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const screenshot = path.join(root, process.env.SPLITFLAP_SCREENSHOTS == '1' ? 'docs' : '.cache', 'devtools.png');

describeInBrowser('DevTools panel', () => {
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

  async function open(query: string) {
    context = await newContext(browser);
    await context.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (event) =>
        ((window as unknown as { violations: string[] }).violations ||= []).push(event.violatedDirective),
      ),
    );
    const tab = await context.newPage();
    await tab.setViewportSize({ width: 1100, height: 820 });
    const errors: string[] = [];
    tab.on('console', (message) => message.type() == 'error' && errors.push(message.text()));
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(site.url + '/plain/' + query);
    await tab.waitForFunction(() => !document.documentElement.classList.contains('splitflap-pending'));
    return { tab, errors };
  }

  const launcher = (tab: Page) => tab.getByRole('button', { name: 'Splitflap DevTools', exact: true });
  const dialog = (tab: Page) => tab.getByRole('dialog', { name: 'Splitflap DevTools' });
  const bannerShown = (tab: Page) => tab.evaluate(() => !document.querySelector<HTMLElement>('[data-flag="free-shipping"]')!.hidden);
  const headline = (tab: Page) => tab.evaluate(() => document.querySelector<HTMLElement>('[data-experiment="headline"] [data-variant]:not([hidden])')!.dataset.variant);
  /** The text of the element focused inside the panel's shadow root. */
  const focused = (tab: Page) =>
    tab.evaluate(() => {
      const active = document.querySelector('[data-splitflap-devtools]')?.shadowRoot?.activeElement;
      return active ? active.getAttribute('aria-label') || active.textContent : null;
    });
  const row = (tab: Page, name: string) => dialog(tab).getByRole('row').filter({ has: tab.getByRole('cell', { name, exact: true }) });
  /** The CSP directives this page violated so far (each navigation starts a new list). */
  const violations = (tab: Page) => tab.evaluate(() => (window as unknown as { violations?: string[] }).violations);

  it('stays off without its URL parameter', async () => {
    const { tab } = await open('');
    await tab.waitForTimeout(300);
    expect(await tab.locator('[data-splitflap-devtools]').count()).toBe(0);
  });

  it('lists the evaluations, opens and closes by keyboard, forces values for the tab only, and clears them', async () => {
    const { tab, errors } = await open('?splitflap-devtools');
    await launcher(tab).waitFor();
    expect(await launcher(tab).getAttribute('aria-expanded')).toBe('false');

    // Keyboard: Enter opens it (focus on its title), Tab reaches its buttons, Escape closes it.
    await launcher(tab).focus();
    await tab.keyboard.press('Enter');
    await dialog(tab).waitFor();
    expect(await launcher(tab).getAttribute('aria-expanded')).toBe('true');
    expect(await focused(tab)).toBe('Splitflap DevTools');
    await tab.keyboard.press('Tab');
    expect(await focused(tab)).toBe('Clear forced values');
    await tab.keyboard.press('Escape');
    await dialog(tab).waitFor({ state: 'hidden' });
    expect(await focused(tab)).toBe('Splitflap DevTools');
    await tab.keyboard.press('Enter');
    await dialog(tab).waitFor();

    // What the page evaluated, with value, source, rule and variant.
    const shipping = await bannerShown(tab);
    await expect.poll(() => row(tab, 'free-shipping').count()).toBe(1);
    const shippingCells = await row(tab, 'free-shipping').getByRole('cell').allTextContents();
    expect(shippingCells.slice(0, 4)).toEqual(['free-shipping', String(shipping), shipping ? 'force' : 'defaultValue', shipping ? 'rollout-50' : '—']);
    // The page's Sixpack experiment: one experiment row with the server's alternative, no unknown feature.
    await expect.poll(() => row(tab, 'buy-button').count(), { timeout: 15_000 }).toBe(1);
    const buyCells = await row(tab, 'buy-button').getByRole('cell').allTextContents();
    expect(buyCells[4]).toMatch(/^Sixpack: (server|sticky)$/);
    expect(buyCells[2]).not.toBe('null');
    const shown = await headline(tab);
    const headlineCells = await row(tab, 'headline').first().getByRole('cell').allTextContents();
    expect(headlineCells.slice(0, 3)).toEqual(['headline', JSON.stringify(shown), 'experiment']);
    expect(headlineCells[4]).toBe(`headline: ${shown}`);

    // Force the flag and the variant: the page follows at once; nothing goes out.
    const requests: string[] = [];
    tab.on('request', (request) => requests.push(request.url()));
    await tab.getByLabel('Force value of free-shipping').selectOption(String(!shipping));
    await expect.poll(() => bannerShown(tab)).toBe(!shipping);
    const other = shown == 'classic' ? 'bold' : 'classic';
    await tab.getByLabel('Force variation of headline').selectOption(other == 'classic' ? '0' : '1');
    await expect.poll(() => headline(tab)).toBe(other);
    await expect.poll(() => row(tab, 'free-shipping').getByRole('cell').nth(2).textContent()).toBe('override');
    expect(requests).toEqual([]);
    // The panel, open and redrawn, under the page's strict CSP: nothing refused.
    expect(await violations(tab)).toBeUndefined();
    await tab.screenshot({ path: screenshot });

    // The tab's session keeps them (and the panel), without the URL parameter.
    await tab.goto(site.url + '/plain/');
    await launcher(tab).waitFor();
    await expect.poll(() => bannerShown(tab)).toBe(!shipping);
    await expect.poll(() => headline(tab)).toBe(other);
    const session = await tab.evaluate(() => sessionStorage.getItem('splitflap:devtools'));
    expect(JSON.parse(session!)).toEqual({ features: { 'free-shipping': !shipping }, variations: { headline: other == 'classic' ? 0 : 1 } });

    // One button clears them.
    await launcher(tab).click();
    await dialog(tab).getByRole('button', { name: 'Clear forced values' }).click();
    await expect.poll(() => bannerShown(tab)).toBe(shipping);
    await expect.poll(() => headline(tab)).toBe(shown);
    // The panel redraws on the client's next change notification.
    await expect.poll(() => tab.getByLabel('Force value of free-shipping').inputValue()).toBe('');
    await expect(dialog(tab).getByRole('status').textContent()).resolves.toBe('Forced values cleared.');
    expect(await violations(tab)).toBeUndefined();

    // ?splitflap-devtools=0 turns it off for the tab.
    await tab.goto(site.url + '/plain/?splitflap-devtools=0');
    await tab.waitForTimeout(300);
    expect(await tab.locator('[data-splitflap-devtools]').count()).toBe(0);
    expect(await violations(tab)).toBeUndefined();
    expect(errors).toEqual([]);
  });
});
