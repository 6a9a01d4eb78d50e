/**
 * examples/next's precomputed static page (/offer → /offer/<code>, docs/static-pages.md),
 * checked against the one build of next.test.ts: `next build` prerenders it, a visitor keeps
 * their prebuilt variant, visitors in other variants get other prebuilt pages, the HTML carries
 * nothing of the visitor, hydration is clean for people and for Googlebot, and a forged code is a 404.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { features } from '../../examples/next/lib/features';
import { createClient } from '../../src/index';
import { USER_AGENT } from '../browser/harness';
import { GOOGLEBOT, type AppUnderTest } from './apps';

interface Offer {
  html: string;
  headline: string | undefined;
  color: string | undefined;
}

/** The variants `id` gets on /offer: the headline and the button colour. */
const variantsOf = (id: string) => {
  const client = createClient({ clientId: id, cookie: false, features });
  return `${client.isOn('bold-headline') ? 'bold' : 'classic'}/${String(client.getFeatureValue('button-color', 'green'))}`;
};
/** A visitor id (prefix-N) whose variants satisfy `wanted`. */
function visitorWhere(prefix: string, wanted: (variants: string) => boolean): string {
  for (let i = 0; i < 500; i++) if (wanted(variantsOf(`${prefix}-${i}`))) return `${prefix}-${i}`;
  throw new Error('no such visitor in 500 tries');
}

const marker = (html: string, name: string) => new RegExp(`data-testid="${name === 'headline' ? 'offer-headline' : 'buy'}"[^>]*?data-${name === 'headline' ? 'variant' : 'color'}="([^"]*)"`).exec(html)?.[1];

export function staticPageTests(app: () => AppUnderTest, buildOutput: () => string): void {
  async function visitor(id: string, userAgent = USER_AGENT): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await app().browser.newContext({ userAgent });
    await context.addCookies([{ name: 'sixpack_client_id', value: id, url: app().url }]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => ['error', 'warning'].includes(message.type()) && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    return { context, page, problems };
  }
  /** Load /offer; its HTML and markers, checked equal once hydrated. */
  async function load(page: Page, reload: boolean): Promise<Offer> {
    const response = reload ? await page.reload() : await page.goto(app().url + '/offer');
    expect(response?.status()).toBe(200);
    // Served from the build's prerendered files, not rendered for this request.
    expect(response!.headers()['x-nextjs-cache'], JSON.stringify(response!.headers())).toBe('HIT');
    if (!reload) console.info('[frameworks] /offer response headers: ' + JSON.stringify(response!.headers()));
    const html = await response!.text();
    const offer = { html, headline: marker(html, 'headline'), color: marker(html, 'color') };
    await page.waitForSelector('html[data-hydrated="true"]');
    const hydrated = await page.evaluate(() => [document.querySelector('[data-testid="offer-headline"]')?.getAttribute('data-variant'), document.querySelector('[data-testid="buy"]')?.getAttribute('data-color')]);
    expect(hydrated).toEqual([offer.headline, offer.color]);
    expect(new URL(page.url()).pathname).toBe('/offer');
    return offer;
  }

  it('static page: next build prerenders /offer/[code], one page per combination of its flags', () => {
    const lines = buildOutput().split('\n').filter((line) => line.includes('/offer'));
    console.info('[frameworks] next build, the static route:\n' + lines.join('\n'));
    // Each code listed is ○ (static) or ● (SSG), never ƒ (dynamic). Next also lists a partial-prerender fallback
    // for `/offer/[code]` itself, for params not built (Cache Components rules out `dynamicParams = false`).
    const codes = lines.filter((line) => /\/offer\/[\w-]+\.[\w-]+/.test(line));
    expect(codes.length, buildOutput()).toBeGreaterThan(0);
    for (const line of codes) expect(line).toMatch(/[●○]/);
    expect(lines.filter((line) => /ƒ/.test(line)), buildOutput()).toEqual([]);
  });

  it('static page: the same prebuilt variant on ten reloads, other variants other pages, no visitor data, clean hydration, exposed once per view', async () => {
    const id = visitorWhere('offer', (v) => v === 'bold/orange');
    const twin = visitorWhere('offer-twin', (v) => v === 'bold/orange');
    const other = visitorWhere('offer-other', (v) => v === 'classic/purple');
    const before = app().output().length;
    const one = await visitor(id);
    const first = await load(one.page, false);
    expect([first.headline, first.color]).toEqual(['bold', 'orange']);
    for (let i = 0; i < 10; i++) expect((await load(one.page, true)).html, `reload ${i + 1}`).toBe(first.html);
    expect(first.html).not.toContain(id);
    expect(await one.page.evaluate(() => (window as { splitflapExposures?: string[] }).splitflapExposures ?? [])).toEqual([]);
    // Exposed by the proxy, once per page view (1 + 10).
    expect(app().output().slice(before).split(`[splitflap] server exposure ${id} button-color=orange`).length - 1).toBe(11);
    // Another visitor with the same variants gets the very same page; one with others, another page.
    const two = await visitor(twin);
    expect((await load(two.page, false)).html).toBe(first.html);
    const three = await visitor(other);
    const otherOffer = await load(three.page, false);
    expect([otherOffer.headline, otherOffer.color]).toEqual(['classic', 'purple']);
    expect(otherOffer.html).not.toBe(first.html);
    for (const seen of [one, two, three]) {
      expect(seen.problems).toEqual([]);
      await seen.context.close();
    }
  });

  it('static page: Googlebot gets the control page, hydrated cleanly, not exposed; a forged code is a 404', async () => {
    const id = visitorWhere('offer-bot', (v) => v === 'bold/orange');
    const before = app().output().length;
    const bot = await visitor(id, GOOGLEBOT);
    const offer = await load(bot.page, false);
    expect([offer.headline, offer.color]).toEqual(['classic', 'green']);
    expect(bot.problems).toEqual([]);
    expect(app().output().slice(before)).not.toContain('server exposure');
    await bot.context.close();
    for (const forged of ['AAA.AAAAAAAAAAAAAAAA', 'AQI.AAAAAAAAAAAAAAAA', 'nothing']) {
      expect((await fetch(`${app().url}/offer/${forged}`, { headers: { 'user-agent': USER_AGENT } })).status, forged).toBe(404);
    }
  });
}
