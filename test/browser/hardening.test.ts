/**
 * Client-side defects of issue 14 in real Chromium, against the real example Sixpack server:
 * conversions lost on click-then-navigate (3), payloads that broke the start (4), the script tag
 * loaded twice (10), a corrupted `splitflap:goals` entry (11), a foreign `splitflap-queue`
 * database (minor), and experiments off by markup (9).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
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

describeInBrowser('client hardening (issue 14) in Chromium', () => {
  let browser: Browser;
  let sixpack: RunningSixpack;
  let site: Awaited<ReturnType<typeof servePages>>;

  beforeAll(async () => {
    browser = await launchChromium();
    sixpack = await startSixpack();
    const tag = `<script src="/splitflap.global.js" data-sixpack-url="${sixpack.url}"></script>`;
    site = await servePages({
      // A link that converts and navigates: the click-then-navigate.
      '/shop': `<!doctype html><html><head>${tag}</head><body>
<div data-experiment="nav-convert" data-alternatives="plain,bold">
  <a id="buy" data-variant="plain" data-convert="nav-convert" href="/paid">Buy</a>
  <a data-variant="bold" data-convert="nav-convert" href="/paid" hidden><b>Buy</b></a>
</div></body></html>`,
      // The next page of the same site, with the tag as on every page, and no experiment.
      '/paid': `<!doctype html><html><head>${tag}</head><body><p>Thanks</p></body></html>`,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await sixpack?.close();
  });

  it('click-then-navigate 50 ms after load: every one of 100 conversions reaches the server, counted once', async () => {
    const RUNS = 100;
    const context: BrowserContext = await newContext(browser);
    // The pages drive the runs themselves (no round trip to the test per step): on /shop, 50 ms
    // after the load event, click the link shown (a real link activation: it navigates to /paid);
    // on /paid, count the run, forget the visitor (a new client id) and go back to /shop.
    await context.addInitScript((runs: number) => {
      addEventListener('load', () => {
        if (location.pathname === '/shop') {
          setTimeout(() => document.querySelector<HTMLAnchorElement>('[data-convert]:not([hidden])')!.click(), 50);
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
    await tab.waitForFunction(() => (window as unknown as { finished?: boolean }).finished, undefined, { timeout: 50_000, polling: 100 });
    const seen = await totals(sixpack, 'nav-convert');
    console.log(`[click-then-navigate] ${RUNS} runs in ${Date.now() - t0} ms; at the server then: ${seen[0]} participants, ${seen[1]} conversions`);
    // Each visitor participated once and converted once: none lost, none counted twice.
    await expect.poll(() => totals(sixpack, 'nav-convert'), { timeout: 5_000, interval: 200 }).toEqual([RUNS, RUNS]);
    await context.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
