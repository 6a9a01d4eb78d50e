import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, launchChromium, newContext, servePages } from './harness';

const page = `<!doctype html>
<html><head><script src="/splitflap.global.js"></script></head>
<body><p id="out"></p>
<script>
  const client = Splitflap.createClient({
    features: { color: { defaultValue: 'grey', rules: [{ key: 'color', variations: ['red', 'blue', 'green'], hashVersion: 2 }] } },
  });
  window.result = { clientId: client.clientId, color: client.getFeatureValue('color', 'grey'), cookie: document.cookie };
  document.getElementById('out').textContent = window.result.color;
</script></body></html>`;

describeInBrowser('client id and evaluation in real Chromium', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePages>>;

  beforeAll(async () => {
    browser = await launchChromium();
    site = await servePages({ '/': page });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('writes the sixpack_client_id cookie once and keeps id and variation across reloads', async () => {
    const context = await newContext(browser);
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(site.url + '/');
    const first = await tab.evaluate(() => (window as unknown as { result: Record<string, string> }).result);
    expect(first.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.cookie).toContain(`sixpack_client_id=${first.clientId}`);
    expect(['red', 'blue', 'green']).toContain(first.color);

    await tab.reload();
    const second = await tab.evaluate(() => (window as unknown as { result: Record<string, string> }).result);
    expect(second.clientId).toBe(first.clientId);
    expect(second.color).toBe(first.color);
    expect(await tab.textContent('#out')).toBe(first.color);

    const cookies = await context.cookies();
    const cookie = cookies.find((c) => c.name === 'sixpack_client_id')!;
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.path).toBe('/');
    // About 400 days (browsers cap cookie lifetimes there).
    expect(cookie.expires * 1000 - Date.now()).toBeGreaterThan(390 * 86400e3);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a fresh browser profile gets a new id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const context = await newContext(browser);
      const tab = await context.newPage();
      await tab.goto(site.url + '/');
      ids.add(await tab.evaluate(() => (window as unknown as { result: { clientId: string } }).result.clientId));
      await context.close();
    }
    expect(ids.size).toBe(2);
  });
});
