/**
 * Nothing lost across a reload: a conversion made while the Sixpack server is down waits in the
 * page's IndexedDB queue, and the next page load delivers it once the server is back.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer } from '../../server/src/index';
import { memoryStore } from '../../server/src/index';
import { describeInBrowser, launchChromium, newContext, servePages } from './harness';

const page = (baseUrl: string) => `<!doctype html>
<html><head><script src="/splitflap.sixpack.js"></script><script src="/splitflap.global.js"></script></head><body>
<script>
  const client = Splitflap.createClient({ plugins: [SplitflapSixpack.sixpack({ baseUrl: ${JSON.stringify(baseUrl)}, timeoutMs: 500 })] });
  window.participate = () => client.participate('checkout', ['one-page', 'two-step']);
  window.convert = () => client.convert('checkout');
</script></body></html>`;

/** What the test page puts on window. */
interface Api {
  participate(): Promise<{ alternative: string; source: string }>;
  convert(): Promise<{ status: string }>;
}

describeInBrowser('Sixpack queue survives a reload', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePages>>;
  const store = memoryStore();
  let sixpack = createServer({ store });
  let port = 0;

  beforeAll(async () => {
    browser = await launchChromium();
    port = (await sixpack.listen(0, '127.0.0.1')).port;
    site = await servePages({ '/': page(`http://127.0.0.1:${port}`) });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await sixpack.close();
  });

  it('a conversion made while the server is down arrives after the next page load', async () => {
    const context = await newContext(browser);
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(site.url + '/');
    const first = await tab.evaluate(() => (window as unknown as Api).participate());
    expect(first.source).toBe('server');

    await sixpack.close(); // the server goes down
    const converted = await tab.evaluate(() => (window as unknown as Api).convert());
    expect(converted.status).toBe('queued');

    // The page is left; the server comes back (same data) on the same port; the visitor returns.
    sixpack = createServer({ store });
    await sixpack.listen(port, '127.0.0.1');
    await tab.reload();
    await expect
      .poll(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/experiments/checkout`);
        const body = (await res.json()) as { alternatives: { name: string; completed_count: number }[] };
        return body.alternatives.find((a) => a.name === first.alternative)?.completed_count;
      }, { timeout: 5000, interval: 100 })
      .toBe(1);
    // Delivered once: the queue is empty afterwards and a second reload adds nothing.
    await tab.reload();
    await tab.waitForTimeout(300);
    const res = await fetch(`http://127.0.0.1:${port}/experiments/checkout`);
    const body = (await res.json()) as { total_conversions?: number; alternatives: { completed_count: number }[] };
    expect(body.alternatives.reduce((n, a) => n + a.completed_count, 0)).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });
});
