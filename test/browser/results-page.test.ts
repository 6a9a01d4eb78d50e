/**
 * The results page (examples/results) in real Chromium, reading real data from the example Sixpack
 * server (cross-origin, under a strict CSP): per alternative the participants, conversions, rate
 * and interval, bars proportional to the rates, the G-test, and a section per KPI.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer } from '../../server/src/index';
import { sixpackIndex } from '../helpers/sixpack-server';
import { exampleRoute, STRICT_CSP } from './examples';
import { describeInBrowser, launchChromium, newContext, servePages } from './harness';

interface View {
  total_participants: number;
  alternatives: {
    name: string;
    participant_count: number;
    completed_count: number;
    conversion_rate: number;
    confidence_interval: number;
    test_statistic: number | string;
    confidence_level: string;
  }[];
}

describeInBrowser('results page', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePages>>;
  const sixpack = createServer();
  let sixpackUrl = '';
  let adminUrl = '';
  const ids: string[][] = [[], []];
  const get = async (query: string) => {
    const res = await fetch(`${sixpackUrl}/${query}`);
    if (!res.ok) throw new Error(`${query}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };

  beforeAll(async () => {
    browser = await launchChromium();
    sixpackUrl = (await sixpack.listen(0, '127.0.0.1')).url;
    adminUrl = (await sixpack.admin.listen(0, '127.0.0.1')).url;
    // cta: control "plain" 100 visitors / 10 conversions, "shiny" 100 / 30 (G past 99.9%);
    // the "signup" KPI: 4 and 12.
    for (let i = 0; ids[0]!.length < 100 || ids[1]!.length < 100; i++) {
      const arm = ids[sixpackIndex('cta', `v${i}`, 2)]!;
      if (arm.length < 100) arm.push(`v${i}`);
    }
    const conversions: [arm: number, count: number, kpi: string][] = [[0, 10, ''], [1, 30, ''], [0, 4, 'signup'], [1, 12, 'signup']];
    for (const id of [...ids[0]!, ...ids[1]!]) await get(`participate?experiment=cta&alternatives=plain&alternatives=shiny&client_id=${id}`);
    for (const [arm, count, kpi] of conversions) {
      for (const id of ids[arm]!.slice(0, count)) await get(`convert?experiment=cta&client_id=${id}${kpi ? `&kpi=${kpi}` : ''}`);
    }
    site = await servePages({}, exampleRoute({ results: { dir: 'results', sixpackUrl, csp: STRICT_CSP } }));
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await sixpack.close();
  });

  it('renders the chart, counts and test statistic from the server', async () => {
    const context = await newContext(browser);
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(site.url + '/results/?experiment=cta');
    await tab.waitForSelector('html[data-loaded] article[data-experiment="cta"]');
    const view = (await get('experiments/cta')) as View;
    const kpiView = (await get('experiments/cta?kpi=signup')) as View;
    expect(view.alternatives.map((a) => [a.name, a.participant_count, a.completed_count])).toEqual([['plain', 100, 10], ['shiny', 100, 30]]);

    const page = await tab.evaluate(() =>
      [...document.querySelectorAll('article[data-experiment="cta"] section.kpi')].map((section) => ({
        kpi: section.getAttribute('data-kpi'),
        rows: [...section.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((cell) => cell.textContent)),
        bars: [...section.querySelectorAll('svg rect.bar')].map((rect) => Number(rect.getAttribute('width'))),
        whiskers: section.querySelectorAll('svg line.whisker').length,
      })),
    );
    expect(page.map((s) => s.kpi)).toEqual(['', 'signup']);
    for (const [section, data] of [[page[0]!, view], [page[1]!, kpiView]] as const) {
      expect(section.rows).toHaveLength(2);
      data.alternatives.forEach((a, i) => {
        const [name, participants, conversions, rate, interval, , statistic, confidence] = section.rows[i]!;
        expect(name).toBe(a.name + (i === 0 ? ' control' : ''));
        expect(Number(participants)).toBe(a.participant_count);
        expect(Number(conversions)).toBe(a.completed_count);
        expect(rate).toBe(a.conversion_rate.toFixed(2) + '%');
        const lo = a.conversion_rate - a.confidence_interval;
        const hi = a.conversion_rate + a.confidence_interval;
        expect(interval).toBe(`${lo.toFixed(2)}% – ${hi.toFixed(2)}%`);
        expect(statistic).toBe(String(a.test_statistic));
        expect(confidence).toBe(a.confidence_level);
      });
      // Bars in proportion to the rates, and an interval whisker (3 lines) per alternative.
      const [control, other] = section.bars;
      expect(other! / control!).toBeCloseTo(data.alternatives[1]!.conversion_rate / data.alternatives[0]!.conversion_rate, 1);
      expect(section.whiskers).toBe(6);
    }
    // 10% vs 30% on 100 each: the G-test is a number, and far past the 99.9% cut-off.
    expect(typeof view.alternatives[1]!.test_statistic).toBe('number');
    expect(page[0]!.rows[1]![7]).toBe('99.9% Confidence');
    expect(page[0]!.rows[1]![5]).toBe('+200.0%');
    // Sixpack's "N/A" under 20 conversions between control and alternative (4 + 12 = 16).
    expect(page[1]!.rows[1]![6]).toBe('N/A');

    // Live: a new conversion shows up on the next refresh (every 2 s).
    await get(`convert?experiment=cta&client_id=${ids[1]![99]}`);
    await expect
      .poll(() => tab.locator('article[data-experiment="cta"] section.kpi[data-kpi=""] tbody tr[data-alternative="shiny"] td').nth(1).textContent(), {
        timeout: 5000,
      })
      .toBe('31');

    // Without ?experiment= it lists the server's experiments.
    await tab.goto(site.url + '/results/');
    await tab.waitForSelector('html[data-loaded]');
    expect(await tab.locator('article[data-experiment]').evaluateAll((els) => els.map((el) => el.getAttribute('data-experiment')))).toEqual(['cta']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a bandit experiment\'s weights and highlights its detected winner (#7)', async () => {
    const res = await fetch(`${adminUrl}/_admin/experiments/cta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bandit: { policy: 'epsilon-greedy', params: { epsilon: 0.2 }, winner: { minParticipants: 100 } } }),
    });
    expect(res.status).toBe(200);
    const view = (await get('experiments/cta')) as { bandit: { weights: Record<string, number>; winner: string | null } };
    expect(view.bandit.winner).toBe('shiny');
    expect(view.bandit.weights).toEqual({ plain: 0, shiny: 1 });

    const context = await newContext(browser);
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(site.url + '/results/?experiment=cta');
    await tab.waitForSelector('html[data-loaded] article[data-experiment="cta"] p.bandit');
    const page = await tab.evaluate(() => {
      const section = document.querySelector('article[data-experiment="cta"] section.kpi[data-kpi=""]')!;
      return {
        line: section.querySelector('p.bandit')!.textContent,
        head: [...section.querySelectorAll('thead th')].map((th) => th.textContent),
        weights: [...section.querySelectorAll('tbody td.weight')].map((td) => td.textContent!.trim()),
        winnerRow: section.querySelector('tr.bandit-winner')?.getAttribute('data-alternative'),
        winnerBar: section.querySelectorAll('svg rect.bar.winner').length,
        kpiHasWeights: document.querySelectorAll('section.kpi[data-kpi="signup"] td.weight').length,
      };
    });
    expect(page.line).toContain('epsilon-greedy');
    expect(page.line).toContain('winner shiny');
    expect(page.head.at(-1)).toBe('Bandit weight');
    expect(page.weights).toEqual(['0.0%', '100.0%']);
    expect(page.winnerRow).toBe('shiny');
    expect(page.winnerBar).toBe(1);
    expect(page.kpiHasWeights).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
