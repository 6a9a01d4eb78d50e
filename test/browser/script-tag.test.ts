/**
 * The script tag on a plain page (examples/plain), in real Chromium against the example Sixpack
 * server: one alternative per experiment and the same after a reload, conversions by click and by
 * goal URL, anti-flicker bounded by its timeout when the server hangs or is down, a strict CSP
 * without console errors, and configuration from `window.splitflapConfig` + `splitflapQueue`.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer } from '../../server/src/index';
import { exampleRoute, hangingServer, STRICT_CSP } from './examples';
import { describeInBrowser, launchChromium, newContext, servePages } from './harness';

interface Decisions {
  pending: boolean;
  /** Visible variants per experiment. */
  experiments: Record<string, string[]>;
  /** Visible flag elements, as `free-shipping` / `!free-shipping`. */
  flags: string[];
}

/** What the page shows: visible variants per experiment and visible flag elements. */
const decisions = (tab: Page): Promise<Decisions> =>
  tab.evaluate(() => {
    const experiments: Record<string, string[]> = {};
    document.querySelectorAll<HTMLElement>('[data-experiment]').forEach((el) => {
      experiments[el.dataset.experiment!] = [...el.querySelectorAll<HTMLElement>('[data-variant]')]
        .filter((v) => !v.hidden && v.offsetParent !== null)
        .map((v) => v.dataset.variant!);
    });
    const flags = [...document.querySelectorAll<HTMLElement>('[data-flag],[data-flag-off]')]
      .filter((el) => !el.hidden)
      .map((el) => (el.dataset.flag != null ? el.dataset.flag : '!' + el.dataset.flagOff));
    const root = document.documentElement;
    return { pending: root.classList.contains('splitflap-pending') || root.style.visibility === 'hidden', experiments, flags };
  });

/** Pages of this context note the `splitflap:ready` event (markup applied, Sixpack answers included). */
const trackReady = (context: BrowserContext) =>
  context.addInitScript(() =>
    document.addEventListener('splitflap:ready', () => ((window as unknown as { splitflapReady: boolean }).splitflapReady = true)),
  );

/** Wait until the markup is applied and the page revealed; return what it shows. */
async function settled(tab: Page): Promise<Decisions> {
  await tab.waitForFunction(
    () => (window as unknown as { splitflapReady?: boolean }).splitflapReady && !document.documentElement.classList.contains('splitflap-pending'),
    undefined,
    { timeout: 5000 },
  );
  return decisions(tab);
}

/** Console errors, page errors and CSP violations of a tab. */
function watchErrors(tab: Page): string[] {
  const errors: string[] = [];
  tab.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  tab.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

describeInBrowser('script tag on a plain page', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePages>>;
  let hanging: Awaited<ReturnType<typeof hangingServer>>;
  const sixpack = createServer();
  let sixpackUrl = '';

  const stats = async (experiment: string, kpi?: string) => {
    const res = await fetch(`${sixpackUrl}/experiments/${experiment}${kpi ? `?kpi=${kpi}` : ''}`);
    if (!res.ok) return null;
    const body = (await res.json()) as { alternatives: { name: string; participant_count: number; completed_count: number }[] };
    return Object.fromEntries(body.alternatives.map((a) => [a.name, [a.participant_count, a.completed_count]]));
  };

  beforeAll(async () => {
    browser = await launchChromium();
    sixpackUrl = (await sixpack.listen(0, '127.0.0.1')).url;
    hanging = await hangingServer();
    const shortTimeout = (html: string) => html.replace('data-anti-flicker-timeout="500"', 'data-anti-flicker-timeout="300"');
    site = await servePages(
      {
        '/config': `<!doctype html><html><head>
<script>
  window.splitflapConfig = { features: { banner: { defaultValue: true } }, attributes: '{"__proto__": {"polluted": 1}, "country": "NL"}' };
  window.splitflapQueue = [function (client, Splitflap) { window.queued = [client.clientId, client === Splitflap.client, client.isOn('banner')]; }];
</script>
<script>
  // A tag manager inserts the tag without data-* attributes.
  var s = document.createElement('script'); s.src = '/splitflap.global.js'; document.head.appendChild(s);
</script></head>
<body><p id="banner" data-flag="banner" hidden>banner</p>
<div data-experiment="inline-test"><i data-variant="a">a</i><i data-variant="b">b</i><i data-variant="c">c</i></div></body></html>`,
      },
      exampleRoute({
        plain: { dir: 'plain', sixpackUrl },
        csp: { dir: 'plain', sixpackUrl, csp: STRICT_CSP },
        hang: { dir: 'plain', sixpackUrl: hanging.url, rewrite: shortTimeout },
        down: { dir: 'plain', sixpackUrl: 'http://127.0.0.1:9', rewrite: shortTimeout },
        slow: { dir: 'plain', sixpackUrl, jsonDelayMs: 900 },
      }),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await hanging?.close();
    await sixpack.close();
  });

  let context: BrowserContext;
  const open = async (path: string, before?: (tab: Page) => Promise<void>) => {
    context = await newContext(browser);
    await trackReady(context);
    const tab = await context.newPage();
    const errors = watchErrors(tab);
    await before?.(tab);
    await tab.goto(site.url + path);
    return { tab, errors };
  };

  it('shows exactly one alternative per experiment, the same after a reload, and counts the participation once', async () => {
    const { tab, errors } = await open('/plain/');
    const first = await settled(tab);
    expect(first.pending).toBe(false);
    expect(Object.keys(first.experiments).sort()).toEqual(['buy-button', 'headline']);
    for (const shown of Object.values(first.experiments)) expect(shown).toHaveLength(1);
    // The flag: the banner or the shipping cost, never both.
    expect(first.flags.length).toBe(1);
    const clientId = await tab.evaluate(() => (window as unknown as { Splitflap: { client: { clientId: string } } }).Splitflap.client.clientId);
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);

    for (let i = 0; i < 2; i++) {
      await tab.reload();
      expect(await settled(tab)).toEqual(first);
    }
    // The server knows this visitor once, in the alternative the page shows.
    const counts = await stats('buy-button');
    expect(counts).toEqual({ green: [0, 0], orange: [0, 0], [first.experiments['buy-button']![0]!]: [1, 0] });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('counts a conversion on click, and the goal KPI when the visitor reaches the goal URL', async () => {
    const before = await stats('buy-button');
    const { tab, errors } = await open('/plain/');
    const shown = (await settled(tab)).experiments['buy-button']![0]!;
    await tab.click('[data-experiment="buy-button"] [data-variant]:not([hidden])');
    await expect.poll(async () => (await stats('buy-button'))![shown]![1], { timeout: 5000, interval: 100 }).toBe(before![shown]![1]! + 1);
    await expect.poll(() => tab.locator('#events li').allTextContents()).toEqual(['conversion sent: buy-button']);

    // data-goal-url="thanks.html" data-goal-kpi="checkout": reaching it converts the KPI, once.
    await tab.click('#checkout');
    await tab.waitForURL(/thanks\.html$/);
    await expect.poll(async () => (await stats('buy-button', 'checkout'))?.[shown]?.[1], { timeout: 5000, interval: 100 }).toBe(1);
    await expect.poll(() => tab.locator('#events li').allTextContents()).toEqual(['conversion sent: buy-button (KPI checkout)']);
    expect(await tab.evaluate(() => localStorage.getItem('splitflap:goals'))).toBe('[]');
    await tab.reload();
    await tab.waitForTimeout(300);
    expect(await tab.locator('#events li').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('reveals the page within the anti-flicker timeout when the Sixpack server hangs or is down', async () => {
    const timings: string[] = [];
    for (const [path, hangs] of [['/hang/', true], ['/down/', false]] as const) {
      context = await newContext(browser);
      await trackReady(context);
      const tab = await context.newPage();
      // Record when <html> gets and loses the class, from before any page script runs.
      await tab.addInitScript(() => {
        const w = window as unknown as { hiddenAt?: number; revealedAt?: number };
        new MutationObserver(() => {
          const pending = !!document.documentElement?.classList.contains('splitflap-pending');
          if (pending && w.hiddenAt === undefined) w.hiddenAt = performance.now();
          if (!pending && w.hiddenAt !== undefined && w.revealedAt === undefined) w.revealedAt = performance.now();
        }).observe(document, { attributes: true, subtree: true, attributeFilter: ['class'] }); // <html> may not exist yet
      });
      const errors = watchErrors(tab);
      await tab.goto(site.url + path + '?' + Date.now());
      await tab.waitForFunction(() => (window as unknown as { revealedAt?: number }).revealedAt !== undefined, undefined, { timeout: 3000 });
      const { hiddenAt, revealedAt } = await tab.evaluate(() => {
        const w = window as unknown as { hiddenAt: number; revealedAt: number };
        return { hiddenAt: w.hiddenAt, revealedAt: w.revealedAt };
      });
      const hiddenFor = revealedAt - hiddenAt;
      timings.push(`${path}: hidden for ${hiddenFor.toFixed(0)} ms`);
      // data-anti-flicker-timeout="300": never longer (plus a little scheduling slack).
      expect(hiddenFor).toBeLessThan(300 + 150);
      if (hangs) expect(hiddenFor).toBeGreaterThan(250); // nothing answered: the timeout revealed it
      expect(await tab.evaluate(() => document.documentElement.style.visibility)).toBe('');
      // Then the control shows (Sixpack's timeout, 1 s, or the refused connection).
      expect((await settled(tab)).experiments['buy-button']).toEqual(['green']);
      // Only failed requests to the Sixpack server, no script errors.
      expect(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|ERR_EMPTY|net::/.test(e))).toEqual([]);
      await context.close();
    }
    console.log('[anti-flicker] ' + timings.join(', '));
  });

  it('waits for a late payload: its experiment is decided locally, never sent to Sixpack', async () => {
    const { tab, errors } = await open('/slow/');
    // Revealed at the anti-flicker timeout (500 ms), before the payload (900 ms) is in.
    await tab.waitForFunction(() => !document.documentElement.classList.contains('splitflap-pending'), undefined, { timeout: 800 });
    const shown = await settled(tab);
    expect(shown.experiments.headline).toHaveLength(1);
    expect(await tab.evaluate(() => (window as unknown as { Splitflap: { client: { evalFeature(k: string): { source: string } } } }).Splitflap.client.evalFeature('headline').source)).toBe('experiment');
    expect(await stats('headline')).toBeNull(); // no such experiment on the Sixpack server
    expect(errors).toEqual([]);
    await context.close();
  });

  it(`works under "${STRICT_CSP}" without console errors`, async () => {
    const before = await stats('buy-button');
    const violations: string[] = [];
    const { tab, errors } = await open('/csp/', async (tab) => {
      await tab.exposeFunction('reportViolation', (v: string) => violations.push(v));
      await tab.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (e) =>
          (window as unknown as { reportViolation(v: string): void }).reportViolation(e.violatedDirective + ' ' + e.blockedURI),
        ),
      );
    });
    const shown = await settled(tab);
    expect(Object.values(shown.experiments).every((v) => v.length === 1)).toBe(true);
    expect(await tab.locator('#visitor').textContent()).toMatch(/^Visitor [0-9a-f-]{36} · free-shipping (on|off)$/);
    const alternative = shown.experiments['buy-button']![0]!;
    await tab.click('[data-experiment="buy-button"] [data-variant]:not([hidden])');
    await expect.poll(async () => (await stats('buy-button'))![alternative]![1], { timeout: 5000, interval: 100 }).toBe(before![alternative]![1]! + 1);
    await tab.reload();
    expect(await settled(tab)).toEqual(shown);
    expect(errors).toEqual([]);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('takes its configuration from window.splitflapConfig and runs window.splitflapQueue (tag managers)', async () => {
    const { tab, errors } = await open('/config');
    await tab.waitForFunction(() => (window as unknown as { queued?: unknown }).queued !== undefined);
    const [clientId, same, bannerOn] = await tab.evaluate(() => (window as unknown as { queued: [string, boolean, boolean] }).queued);
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(same).toBe(true);
    expect(bannerOn).toBe(true);
    await tab.waitForFunction(() => !document.getElementById('banner')!.hidden);
    // A local experiment (no Sixpack URL): one of the three, the same after a reload.
    const first = (await settled(tab)).experiments['inline-test'];
    await tab.reload();
    expect((await settled(tab)).experiments['inline-test']).toEqual(first);
    // Later pushes run at once; attribute JSON never reaches a prototype.
    const late = await tab.evaluate(() => {
      let got: unknown;
      (window as unknown as { splitflapQueue: { push(cb: (client: { getAttributes(): object }) => void): void } }).splitflapQueue.push(
        (client) => (got = client.getAttributes()),
      );
      return { got, polluted: ({} as Record<string, unknown>).polluted ?? null };
    });
    expect(late.polluted).toBeNull();
    expect(late.got).toMatchObject({ id: clientId, country: 'NL' });
    expect(errors).toEqual([]);
    await context.close();
  });
});
