/**
 * The dashboard on the admin listener, in real Chromium, under the listener's strict CSP: the list
 * with a chart per experiment, an experiment's page (KPI, period, rates, G-test, bandit state),
 * description, winner, archive, CSV export, reset and delete, each confirmed. No console errors
 * and no CSP violations. With DASHBOARD_SCREENSHOTS=DIR it also saves the docs' screenshots.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, launchChromium, newContext } from '../../test/browser/harness';
import { clientFor, type RunningSixpack, startSixpack } from '../../test/helpers/sixpack-server';

const TOKEN = 'dash-token';
/** expect.poll waits 1 s by default; the machine is shared, so give it far longer. */
const POLL = { timeout: 20_000 };
const ALTS = ['plain', 'shiny'];

describeInBrowser('the admin dashboard', () => {
  let browser: Browser;
  let sp: RunningSixpack;
  const admin = (pathname: string, body?: unknown) =>
    fetch(`${sp.adminUrl}${pathname}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

  beforeAll(async () => {
    browser = await launchChromium();
    sp = await startSixpack({ adminToken: TOKEN, now: () => new Date('2026-11-21T10:00:00Z'), backfillDays: 40 });
    // cta: 40 visitors per arm over two months; conversions on the default KPI and on "signup".
    for (let i = 0; i < 80; i++) {
      const client = clientFor('cta', ALTS, i % 2, `v${i}-`);
      const datetime = i < 40 ? '2026-10-30' : '2026-11-20';
      await sp.get('/participate', { experiment: 'cta', alternatives: ALTS, client_id: client, datetime });
      if (i % 5 === 0 || (i % 2 === 1 && i % 3 === 0)) await sp.get('/convert', { experiment: 'cta', client_id: client, datetime });
      if (i % 7 === 0) await sp.get('/convert', { experiment: 'cta', client_id: client, kpi: 'signup', datetime });
    }
    await sp.get('/participate', { experiment: 'headline', alternatives: ['calm', 'bold'], client_id: 'h1' });
    await admin('/_admin/experiments/headline', { bandit: { policy: 'thompson' } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await sp?.close();
  });

  /** A page that records console errors, page errors and CSP violations, and accepts confirmations unless told not to. */
  async function open(): Promise<{ page: Page; errors: string[]; answers: boolean[] }> {
    const context = await newContext(browser);
    const page = await context.newPage();
    const errors: string[] = [];
    const answers: boolean[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (dialog) => void (answers.shift() === false ? dialog.dismiss() : dialog.accept()));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP: ${e.violatedDirective} ${e.blockedURI}`));
    });
    return { page, errors, answers };
  }

  const shot = async (page: Page, name: string) => {
    const dir = process.env.DASHBOARD_SCREENSHOTS;
    if (dir) await page.screenshot({ path: path.join(dir, `dashboard-${name}.png`), fullPage: true });
  };

  it('asks for the token, lists experiments with a chart each, and shows an experiment by KPI and period', async () => {
    const { page, errors } = await open();
    const res = await page.goto(`${sp.adminUrl}/`);
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.fill('input[name=token]', TOKEN);
    await page.click('form.token button');
    await page.waitForSelector('article[data-experiment="headline"] svg.chart');
    expect(await page.locator('article[data-experiment] svg.chart.rates').count()).toBe(2);
    expect(await page.textContent('article[data-experiment="cta"] .summary')).toContain('80 participants');
    await shot(page, 'list');

    await page.click('article[data-experiment="cta"] h2 a');
    await page.waitForSelector('article.experiment table.alternatives tr[data-alternative="shiny"]');
    const row = (alt: string) => page.locator(`table.alternatives tr[data-alternative="${alt}"] td`).allTextContents();
    const view = (await admin('/experiments/cta')).json;
    const shiny = view.alternatives[1];
    expect((await row('shiny')).slice(0, 3)).toEqual(['shiny', String(shiny.participant_count), String(shiny.completed_count)]);
    expect(await page.locator('table.periods tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-date')))).toEqual(['2026-10-30', '2026-11-20']);
    await shot(page, 'experiment');

    await page.selectOption('#kpi', 'signup');
    await page.waitForFunction(() => location.hash.includes('kpi=signup') && document.querySelector('#kpi') !== null && (document.querySelector('#kpi') as HTMLSelectElement).value === 'signup');
    const signup = (await admin('/experiments/cta?kpi=signup')).json.alternatives[1];
    await expect.poll(async () => (await row('shiny'))[2], POLL).toBe(String(signup.completed_count));
    await page.selectOption('#period', 'month');
    await expect
      .poll(() => page.locator('table.periods tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-date'))), POLL)
      .toEqual(['2026-10', '2026-11']);
    await page.goto(`${sp.adminUrl}/#/e/headline`);
    await page.waitForSelector('section.bandit');
    expect(await page.textContent('section.bandit h3')).toBe('Bandit: thompson');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000); // a deadline for a loaded machine, not a duration under test

  it('edits the description, sets and resets the winner, archives, exports CSV, resets and deletes, each confirmed', async () => {
    const { page, errors, answers } = await open();
    await page.goto(`${sp.adminUrl}/`);
    await page.evaluate((t) => sessionStorage.setItem('splitflap-admin-token', t), TOKEN);
    await page.goto(`${sp.adminUrl}/#/e/cta`);
    await page.waitForSelector('table.alternatives');

    await page.fill('#description', 'Shiny button vs plain');
    await page.click('[data-action="save-description"]');
    await expect.poll(async () => (await admin('/_admin/experiments/cta')).json.experiment.description, POLL).toBe('Shiny button vs plain');

    answers.push(false); // dismissed: nothing happens
    await page.click('tr[data-alternative="shiny"] [data-action="winner"]');
    answers.push(true);
    await page.click('tr[data-alternative="shiny"] [data-action="winner"]');
    await expect.poll(async () => (await admin('/_admin/experiments/cta')).json.experiment.winner, POLL).toBe('shiny');
    await page.waitForSelector('[data-action="reset-winner"]');
    await page.click('[data-action="reset-winner"]');
    await expect.poll(async () => (await admin('/_admin/experiments/cta')).json.experiment.winner).toBeNull();
    await page.click('[data-action="archive"]');
    await expect.poll(async () => (await admin('/_admin/experiments/cta')).json.experiment.archived, POLL).toBe(true);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="csv"]')]);
    const csv = await new Promise<string>((resolve, reject) => {
      download.createReadStream().then((stream) => {
        let text = '';
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('end', () => resolve(text));
      }, reject);
    });
    expect(download.suggestedFilename()).toBe('cta-day.csv');
    expect(csv.split('\r\n')[0]).toBe('period,alternative,participants,conversions,conversion_rate');
    expect(csv).toContain('\r\nall,shiny,');

    await page.click('[data-action="reset"]');
    await expect.poll(async () => (await admin('/experiments/cta')).json.total_participants, POLL).toBe(0);
    expect((await admin('/_admin/experiments/cta')).json.experiment.description).toBe('Shiny button vs plain');
    await page.click('[data-action="delete"]');
    await expect.poll(async () => (await admin('/_admin/experiments/cta')).status, POLL).toBe(404);
    await page.waitForSelector('article[data-experiment="headline"]');
    expect(answers).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000); // a deadline for a loaded machine, not a duration under test
});
