/**
 * The Sixpack server's defences against a hostile page, in real Chromium (test/browser/harness.ts):
 *
 * - the JSONP script gadget: a page under `script-src 'self'`, on the origin that also serves the
 *   Sixpack API (behind one host, as deployments put it), loads
 *   `/participate?...&client_id=';alert(document.domain)//&callback=self-'` as `<script src>`.
 *   The reference answered runnable script; here it must not run. A valid callback on the same
 *   page does run, so the page would notice execution.
 * - admin CSRF: a page on another origin POSTs `{"winner":"b"}` with `mode: 'no-cors'`; the
 *   winner must stay unset.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, launchChromium, newContext } from '../../test/browser/harness';
import { type RunningSixpack, startSixpack } from '../../test/helpers/sixpack-server';

const GADGET = "/participate?experiment=victim&alternatives=a&alternatives=b&client_id=%27%3Balert(document.domain)%2F%2F&callback=self-%27";

describeInBrowser('the Sixpack server against hostile pages (Chromium)', () => {
  let browser: Browser;
  let sp: RunningSixpack;
  let site: http.Server;
  let siteUrl: string;

  beforeAll(async () => {
    sp = await startSixpack();
    // The site: its pages, and the Sixpack API under /sixpack/ on the same origin.
    site = http.createServer(async (req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/sixpack/')) {
        const upstream = await fetch(sp.url + url.slice('/sixpack'.length));
        const headers: Record<string, string> = {};
        upstream.headers.forEach((value, name) => (headers[name] = value));
        delete headers['content-length'];
        res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
      } else if (url === '/record.js') {
        res.writeHead(200, { 'content-type': 'application/javascript' }).end('window.answers = []; function record(answer) { window.answers.push(answer); }');
      } else if (url === '/csp') {
        res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "script-src 'self'" }).end(
          '<!doctype html><title>shop</title><script src="/record.js"></script>' +
            '<script src="/sixpack/participate?experiment=victim&alternatives=a&alternatives=b&client_id=visitor&callback=record"></script>' +
            `<script src="/sixpack${GADGET}"></script>`,
        );
      } else if (url === '/evil') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>evil</title>');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
    await sp?.close();
  });

  it("does not run the JSONP gadget under script-src 'self'; a valid callback still runs", async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.goto(`${siteUrl}/csp`, { waitUntil: 'load' });
      const answers = await page.evaluate(() => (window as unknown as { answers: { alternative: { name: string } }[] }).answers);
      expect(answers).toHaveLength(1); // the page does run same-origin JSONP: execution would be seen
      expect(['a', 'b']).toContain(answers[0]!.alternative.name);
      expect(dialogs).toEqual([]);
      expect(await page.title()).toBe('shop');
    } finally {
      await context.close();
    }
  });

  it('refuses a cross-origin no-cors POST and a text/plain form post to the admin endpoint', async () => {
    expect((await sp.get('/participate', { experiment: 'victim', alternatives: ['a', 'b'], client_id: 'x' })).status).toBe(200);
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(`${siteUrl}/evil`);
      // Another origin (another port) than the Sixpack server's.
      const outcome = await page.evaluate(async (target) => {
        const sent = await fetch(target, { method: 'POST', mode: 'no-cors', body: '{"winner":"b"}' }).then(
          () => 'sent',
          (error: Error) => `failed: ${error.message}`,
        );
        const form = document.createElement('form');
        form.method = 'POST';
        form.enctype = 'text/plain';
        form.action = target;
        // A text/plain form body that is JSON: `{"winner":"b","x":"` + `=` + `"}`.
        form.innerHTML = '<input name=\'{"winner":"b","x":"\' value=\'"}\'>';
        document.body.append(form);
        return sent;
      }, `${sp.adminUrl}/_admin/experiments/victim`);
      expect(outcome).toBe('sent'); // opaque: the browser did send it, and got the answer
      expect((await sp.get('/_admin/experiments/victim')).json.experiment.winner).toBeNull();
      // A text/plain form post too (navigates the page to the 403 answer).
      await Promise.all([page.waitForURL(`${sp.adminUrl}/_admin/experiments/victim`), page.evaluate(() => document.forms[0]!.submit())]);
      expect(await page.textContent('body')).toContain('cross-origin admin requests are refused');
    } finally {
      await context.close();
    }
    const record = (await sp.get('/_admin/experiments/victim')).json.experiment;
    expect(record.winner).toBeNull();
  });
});
