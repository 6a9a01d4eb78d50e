/**
 * Split-URL tests in the script tag (splitflap.redirect.js), in real Chromium, on the demo's page
 * pair examples/plain/landing.html → landing-b.html (strict CSP) and on a page whose experiments
 * come from a slow payload URL. What a visitor sees is watched two ways: every compositor frame
 * (a CDP screencast, decoded in the browser and searched for the original page's hero colour) and
 * the page's own paint entries (`paint` and Element Timing), beaconed to the test server.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hash } from '../../src/index';
import { exampleRoute, STRICT_CSP } from './examples';
import { describeInBrowser, launchChromium, newContext, readRepoFile, servePages } from './harness';

const KEY = 'landing-redesign';
/** A visitor id that hashes into `variation` of the landing test (weights 0.5 / 0.5). */
const visitorIn = (variation: 0 | 1, prefix: string): string => {
  for (let i = 0; ; i++) {
    const id = `${prefix}-${i}`;
    if ((hash(KEY, id, 1)! < 0.5 ? 0 : 1) === variation) return id;
  }
};

const REMOTE_PAGE = `<!doctype html><html><head><link rel="stylesheet" href="/plain/style.css">
<script src="/splitflap.redirect.js"></script>
<script src="/splitflap.global.js" data-features-url="/remote/payload.json" data-anti-flicker-timeout="10000" data-redirect-beacon="/collect"></script>
</head><body><section class="hero hero-original"><h1 elementtiming="original">Original</h1></section></body></html>`;
const REMOTE_PAYLOAD = JSON.stringify({
  features: {},
  experiments: [{ key: KEY, urlPatterns: [{ type: 'simple', pattern: '/remote/landing.html' }], weights: [0.5, 0.5], variations: [{}, { urlRedirect: '/plain/landing-b.html' }] }],
});

interface Beacon {
  page?: string;
  name?: string;
  type?: string;
  experiment?: string;
  variation?: string;
  visitor?: string;
}

/** Frames of a tab's screencast (PNG, base64) while `run` runs. */
async function recordFrames(tab: Page, run: () => Promise<void>): Promise<string[]> {
  const cdp: CDPSession = await tab.context().newCDPSession(tab);
  const frames: string[] = [];
  cdp.on('Page.screencastFrame', (frame: { data: string; sessionId: number }) => {
    frames.push(frame.data);
    void cdp.send('Page.screencastFrameAck', { sessionId: frame.sessionId }).catch(() => undefined);
  });
  await cdp.send('Page.startScreencast', { format: 'png', everyNthFrame: 1 });
  await run();
  await cdp.send('Page.stopScreencast').catch(() => undefined);
  await cdp.detach().catch(() => undefined);
  return frames;
}

/** Per frame, how many pixels have the given hero colour (decoded by Chromium in a blank page). */
async function colourCounts(browser: Browser, frames: string[], rgb: [number, number, number]): Promise<number[]> {
  const tab = await browser.newPage();
  try {
    return await tab.evaluate(
      async ({ frames, rgb }) => {
        const counts: number[] = [];
        for (const data of frames) {
          const image = new Image();
          image.src = 'data:image/png;base64,' + data;
          await image.decode();
          const canvas = document.createElement('canvas');
          [canvas.width, canvas.height] = [image.width, image.height];
          const context = canvas.getContext('2d')!;
          context.drawImage(image, 0, 0);
          const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
          let count = 0;
          for (let i = 0; i < pixels.length; i += 4) {
            if (Math.abs(pixels[i]! - rgb[0]) < 12 && Math.abs(pixels[i + 1]! - rgb[1]) < 12 && Math.abs(pixels[i + 2]! - rgb[2]) < 12) count++;
          }
          counts.push(count);
        }
        return counts;
      },
      { frames, rgb },
    );
  } finally {
    await tab.close();
  }
}

const ORIGINAL: [number, number, number] = [200, 40, 40];
const REDESIGN: [number, number, number] = [30, 90, 200];

describeInBrowser('split-URL tests in the script tag', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePages>>;
  const beacons: Beacon[] = [];

  beforeAll(async () => {
    const plain = exampleRoute({ plain: { dir: 'plain', sixpackUrl: '/sixpack', csp: STRICT_CSP } });
    site = await servePages({ '/remote/landing.html': REMOTE_PAGE }, (req, res) => {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (pathname === '/collect' || pathname === '/paint') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk));
        req.on('end', () => beacons.push(JSON.parse(body) as Beacon));
        return void res.writeHead(204).end();
      }
      // A slow payload: the page is held until it is in.
      if (pathname === '/remote/payload.json') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        return void setTimeout(() => res.end(REMOTE_PAYLOAD), 400);
      }
      // A slow destination: the original page has all the time in the world to paint, were it not held.
      if (pathname === '/plain/landing-b.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': STRICT_CSP, 'cache-control': 'no-store' });
        return void setTimeout(() => res.end(readRepoFile('examples/plain/landing-b.html')), 500);
      }
      return plain(req, res);
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  /** A context whose visitor has id `id`, whose pages beacon their paint entries to /paint. */
  async function visitor(id: string, userAgent?: string): Promise<BrowserContext> {
    const context = userAgent ? await browser.newContext({ userAgent }) : await newContext(browser);
    await context.addCookies([{ name: 'sixpack_client_id', value: id, url: site.url }]);
    await context.addInitScript(() => {
      const report = (list: PerformanceObserverEntryList) =>
        list.getEntries().forEach((entry) =>
          navigator.sendBeacon('/paint', JSON.stringify({ page: location.pathname, type: entry.entryType, name: (entry as PerformanceEntry & { identifier?: string }).identifier || entry.name })),
        );
      for (const type of ['paint', 'element']) new PerformanceObserver(report).observe({ type, buffered: true });
    });
    return context;
  }

  /** Poll the beacons until `predicate` holds (generous deadline: the machine is shared). */
  async function beaconsWhere(predicate: (all: Beacon[]) => boolean): Promise<Beacon[]> {
    const deadline = Date.now() + 20_000;
    while (!predicate(beacons)) {
      if (Date.now() > deadline) throw new Error('beacons never matched: ' + JSON.stringify(beacons.slice(-10)));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return beacons;
  }
  const painted = (page: string) => (all: Beacon[]) => all.some((b) => b.page === page && b.type === 'element');
  const exposures = (id: string) => beacons.filter((b) => b.type === 'exposure' && b.visitor === id);

  it('a redirected visitor never sees the original page; query kept; ten reloads, same destination; one exposure', async () => {
    const id = visitorIn(1, 'variant');
    const context = await visitor(id);
    const tab = await context.newPage();
    const frames = await recordFrames(tab, async () => {
      await tab.goto(`${site.url}/plain/landing.html?utm_source=mail#top`);
      await tab.waitForURL(/\/plain\/landing-b\.html\?utm_source=mail$/);
      await beaconsWhere(painted('/plain/landing-b.html'));
    });
    const original = await colourCounts(browser, frames, ORIGINAL);
    const redesign = await colourCounts(browser, frames, REDESIGN);
    expect(redesign.some((count) => count > 1000)).toBe(true); // the recording sees the page
    expect(original.filter((count) => count > 0)).toEqual([]);
    expect(beacons.filter((b) => b.page === '/plain/landing.html')).toEqual([]);

    const redesignPaints = () => beacons.filter((b) => b.page === '/plain/landing-b.html' && b.type === 'element').length;
    for (let i = 0; i < 10; i++) {
      const before = redesignPaints();
      await tab.goto(`${site.url}/plain/landing.html`);
      await tab.waitForURL(/\/plain\/landing-b\.html$/);
      // Painted before the next visit, so every visit is seen whole.
      await beaconsWhere(() => redesignPaints() > before);
    }
    expect(exposures(id).map((b) => `${b.experiment}:${b.variation}`)).toEqual([`${KEY}:1`]);
    expect(beacons.filter((b) => b.page === '/plain/landing.html')).toEqual([]);
    await context.close();
  }, 60_000);

  it('the control stays on the page (exposed once); so does a bot (not exposed)', async () => {
    const id = visitorIn(0, 'control');
    const context = await visitor(id);
    const tab = await context.newPage();
    for (let i = 0; i < 3; i++) {
      await tab.goto(`${site.url}/plain/landing.html`);
      await beaconsWhere(painted('/plain/landing.html'));
      expect(new URL(tab.url()).pathname).toBe('/plain/landing.html');
    }
    await beaconsWhere(() => exposures(id).length > 0);
    expect(exposures(id).map((b) => b.variation)).toEqual(['0']);
    await context.close();

    const botId = visitorIn(1, 'bot');
    const bot = await visitor(botId, 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)');
    const botTab = await bot.newPage();
    await botTab.goto(`${site.url}/plain/landing.html`);
    await expect.poll(() => botTab.evaluate(() => document.querySelector('h1')?.textContent)).toBe('The Splitflap wall clock');
    expect(new URL(botTab.url()).pathname).toBe('/plain/landing.html');
    expect(exposures(botId)).toEqual([]);
    await bot.close();
  });

  it('with a payload URL, the page is held until the payload is in, then left without a flash', async () => {
    const id = visitorIn(1, 'remote');
    const context = await visitor(id);
    const tab = await context.newPage();
    const frames = await recordFrames(tab, async () => {
      await tab.goto(`${site.url}/remote/landing.html`);
      await tab.waitForURL(/\/plain\/landing-b\.html$/);
      await beaconsWhere(painted('/plain/landing-b.html'));
    });
    expect((await colourCounts(browser, frames, ORIGINAL)).filter((count) => count > 0)).toEqual([]);
    expect(beacons.filter((b) => b.page === '/remote/landing.html' && b.type === 'element')).toEqual([]);
    await beaconsWhere(() => exposures(id).length > 0);
    await context.close();

    // Its control is shown once the payload is in.
    const stays = await visitor(visitorIn(0, 'remote-control'));
    const stayTab = await stays.newPage();
    await stayTab.goto(`${site.url}/remote/landing.html`);
    await beaconsWhere(painted('/remote/landing.html'));
    expect(new URL(stayTab.url()).pathname).toBe('/remote/landing.html');
    await stays.close();
  });
});
