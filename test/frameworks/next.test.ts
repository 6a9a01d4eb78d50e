/**
 * examples/next, a Next.js 16 App Router app with Cache Components on, as `create-next-app`
 * makes it (server component, client components, proxy.ts, the layout's and a page's Suspense
 * boundaries, route handlers on splitflap/server and on splitflap/next), built with `next build`
 * (Turbopack) and served by `next start` on 127.0.0.1; the checks are in apps.ts, plus the
 * example's own below (the proxy's split-URL test), against the same build.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { experiments, features } from '../../examples/next/lib/features';
import { hash } from '../../src/index';
import { USER_AGENT } from '../browser/harness';
import { bin, buildOutputFile, defineAppTests, GOOGLEBOT, type AppUnderTest, type ExampleApp } from './apps';
import { staticPageTests } from './next-static';

const next = bin('next');

it("examples/next is built with Cache Components and Partial Prefetching, as create-next-app's apps are", async () => {
  // A JavaScript module, as Next loads it (the root type check does not read JavaScript).
  const configFile: string = '../../examples/next/next.config.mjs';
  const { default: config } = (await import(configFile)) as { default: Record<string, unknown> };
  // Under them a render outside <Suspense> that reads the request stops `next build`, and Next
  // renders prefetches beside each page view (a second exposure unless splitflap/next waits for
  // the request): the checks below mean something only with both on.
  expect(config).toMatchObject({ cacheComponents: true, partialPrefetching: true });
});

const nextApp: ExampleApp = {
  name: 'examples/next',
  dir: 'examples/next',
  output: '.next',
  ignore: ['.next', 'next-env.d.ts'],
  build: [[next, 'build']], // its own type check included
  start: (port) => [next, 'start', '-H', '127.0.0.1', '-p', String(port)],
  features,
};

defineAppTests(nextApp, ['/api/flags', '/api/visitor'], (app) => {
  splitUrlTests(app);
  staticPageTests(app, () => readFileSync(buildOutputFile(nextApp), 'utf8'));
});

/** A visitor id in `variation` of the example's split-URL test (weights 0.5 / 0.5). */
const landingVisitor = (variation: 0 | 1, prefix: string): string => {
  const key = experiments[0]!.key;
  for (let i = 0; ; i++) if ((hash(key, `${prefix}-${i}`, 1)! < 0.5 ? 0 : 1) === variation) return `${prefix}-${i}`;
};

/** The proxy's split-URL test (lib/features.ts `experiments`), against the one build. */
function splitUrlTests(app: () => AppUnderTest): void {
  const get = (path: string, id: string | undefined, userAgent = USER_AGENT) =>
    fetch(app().url + path, { redirect: 'manual', headers: { 'user-agent': userAgent, ...(id ? { cookie: `sixpack_client_id=${id}` } : {}) } });

  it('split-URL test: the proxy sends the variation on with a 307 before any HTML, the same ten times; the control and Googlebot get the page', async () => {
    const id = landingVisitor(1, 'next-landing');
    for (let i = 0; i < 10; i++) {
      const response = await get('/landing?utm_source=mail', id);
      expect(response.status).toBe(307);
      const location = new URL(response.headers.get('location')!, app().url);
      expect(location.pathname + location.search).toBe('/landing-b?utm_source=mail');
      expect(response.headers.get('cache-control')).toMatch(/private/);
      expect(await response.text()).not.toContain('The Splitflap wall clock');
    }
    expect(app().output()).toContain(`[splitflap] server exposure ${id} landing-redesign=1`);
    // In Chromium: the visitor lands on /landing-b, and the original page was never a response.
    const context = await app().browser.newContext({ userAgent: USER_AGENT });
    await context.addCookies([{ name: 'sixpack_client_id', value: id, url: app().url }]);
    const page = await context.newPage();
    const statuses: string[] = [];
    page.on('response', (response) => statuses.push(`${response.status()} ${new URL(response.url()).pathname}`));
    await page.goto(app().url + '/landing');
    expect(new URL(page.url()).pathname).toBe('/landing-b');
    expect(await page.getAttribute('[data-testid="landing"]', 'data-variant')).toBe('redesign');
    expect(statuses.filter((line) => line.endsWith(' /landing'))).toEqual(['307 /landing']);
    await context.close();

    const control = await get('/landing', landingVisitor(0, 'next-landing-control'));
    expect(control.status).toBe(200);
    expect(await control.text()).toContain('data-variant="original"');
    const bot = await get('/landing', landingVisitor(1, 'next-landing-bot'), GOOGLEBOT);
    expect(bot.status).toBe(200);
    // A new visitor sent on gets the id cookie on the 307 itself.
    for (let i = 0; i < 40; i++) {
      const fresh = await get('/landing', undefined);
      expect(fresh.headers.get('set-cookie')).toMatch(/^sixpack_client_id=[0-9a-f-]{36}; Path=\/;/);
      if (fresh.status === 307) return;
    }
    throw new Error('no new visitor was sent on in 40 tries');
  });
}
