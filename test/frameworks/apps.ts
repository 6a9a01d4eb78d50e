/**
 * Framework apps under test: each example app (examples/next, examples/react-router) is built
 * with its framework's own build, served by its own server on 127.0.0.1, and driven by real
 * Chromium. The same checks run against each: both apps render the same markers
 * (`data-testid="headline"` decided on the server, `data-testid="buy"` and `"streamed-buy"`
 * rendered by client components, `data-visitor`), mark the page with
 * `<html data-hydrated="true">` once hydrated, and record browser exposures in
 * `window.splitflapExposures` and server ones as `[splitflap] server exposure <id> <key>=<variant>`.
 *
 * Builds are cached between local runs, keyed on the sources (the app, src/, react/ and
 * package-lock.json); under CI=true every run really builds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, type FeatureDefinitions } from '../../src/index';
import { describeInBrowser, launchChromium, USER_AGENT } from '../browser/harness';
import { freePort } from '../helpers/net';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** A command installed in the repository's node_modules/.bin. */
export const bin = (name: string): string => path.join(root, 'node_modules/.bin', name);

export const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
/** The token the apps are started with (SPLITFLAP_E2E_TOKEN): e2e runs carry it in the `splitflap-e2e` cookie. */
export const E2E_TOKEN = 'e2e-test-token';
/** A whole framework build on 2 shared cores, and the server's start. */
const BUILD_TIMEOUT_MS = 300_000;
const START_TIMEOUT_MS = 60_000;

/** One example app: where it lives, how its framework builds and serves it. */
export interface ExampleApp {
  name: string;
  /** The app's folder, relative to the repository root. */
  dir: string;
  /** What the build writes, relative to `dir` (holds the cache key). */
  output: string;
  /** Folders and files (relative to `dir`) not to hash: build outputs, generated files. */
  ignore: string[];
  /** The build's commands, run in order in `dir`. */
  build: string[][];
  /** The server's command for `port`. */
  start: (port: number) => string[];
  /** The app's payload, to find visitors outside the control. */
  features: FeatureDefinitions;
}

/** Every file under `dir` (skipping `ignore`d names), sorted. */
function filesUnder(dir: string, ignore: Set<string>): string[] {
  if (!existsSync(dir)) return [];
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir)
    .filter((name) => !ignore.has(name) && name !== 'node_modules')
    .sort()
    .flatMap((name) => filesUnder(path.join(dir, name), ignore));
}

/** A hash of everything the app's build reads from this repository. */
function sourceKey(app: ExampleApp): string {
  const hash = createHash('sha256');
  const appDir = path.join(root, app.dir);
  const files = [
    ...filesUnder(appDir, new Set(app.ignore)),
    ...filesUnder(path.join(root, 'src'), new Set()),
    ...filesUnder(path.join(root, 'react'), new Set()),
    path.join(root, 'package-lock.json'),
  ];
  for (const file of files) hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** Runs a command in `cwd`; resolves with its output, rejects with it on a non-zero exit. */
function run(command: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command.join(' ')} exited with ${code} in ${cwd}:\n${output}`));
    });
  });
}

/** The secret precomputed flags are signed with (examples/next's /offer), the same at build and at run time. */
export const PRECOMPUTE_SECRET = 'splitflap-test-secret';
const appEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', SPLITFLAP_E2E_TOKEN: E2E_TOKEN, SPLITFLAP_SECRET: PRECOMPUTE_SECRET });
/** Where the last build's output is kept (next to the cache key), for checks on what the framework reported. */
export const buildOutputFile = (app: ExampleApp): string => path.join(root, app.dir, app.output, '.splitflap-build-output');

/** Builds the app unless a local build of the same sources is there. Resolves with what it did and how long it took. */
export async function buildApp(app: ExampleApp): Promise<{ cached: boolean; ms: number }> {
  const cwd = path.join(root, app.dir);
  const keyFile = path.join(cwd, app.output, '.splitflap-build-key');
  const key = sourceKey(app);
  const started = performance.now();
  if (process.env.CI !== 'true' && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) return { cached: true, ms: 0 };
  let output = '';
  for (const command of app.build) output += await run(command, cwd, appEnv(), BUILD_TIMEOUT_MS);
  writeFileSync(buildOutputFile(app), output);
  writeFileSync(keyFile, key);
  return { cached: false, ms: Math.round(performance.now() - started) };
}


export interface RunningApp {
  url: string;
  /** Everything the server printed so far. */
  output(): string;
  close(): Promise<void>;
}

/** Serves the built app on 127.0.0.1 with its framework's server; resolves once it answers. */
export async function startApp(app: ExampleApp): Promise<RunningApp> {
  const port = await freePort();
  const command = app.start(port);
  const child: ChildProcess = spawn(command[0]!, command.slice(1), {
    cwd: path.join(root, app.dir),
    env: { ...appEnv(), PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(-child.pid!, 'SIGTERM');
    });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode}:\n${output}`);
    const answered = await fetch(`${url}/favicon.ico`, { signal: AbortSignal.timeout(2000) }).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`${app.name} did not answer on ${url} within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, output: () => output, close };
}

/** The markers a page shows: who the visitor is and which variants they got. */
export interface Markers {
  visitor: string | undefined;
  headline: string | undefined;
  color: string | undefined;
  streamed: string | undefined;
}

const attribute = (html: string, testId: string, name: string): string | undefined =>
  new RegExp(`data-testid="${testId}"[^>]*?${name}="([^"]*)"`).exec(html)?.[1];

/** The markers in server HTML (streamed parts included). */
export const markersInHtml = (html: string): Markers => ({
  visitor: attribute(html, 'visitor-id', 'data-visitor'),
  headline: attribute(html, 'headline', 'data-variant'),
  color: attribute(html, 'buy', 'data-color'),
  streamed: attribute(html, 'streamed-buy', 'data-color'),
});

/** The markers in the hydrated page. */
const markersInPage = (page: Page): Promise<Markers> =>
  page.evaluate(() => {
    const read = (testId: string, name: string) => document.querySelector(`[data-testid="${testId}"]`)?.getAttribute(name) ?? undefined;
    return { visitor: read('visitor-id', 'data-visitor'), headline: read('headline', 'data-variant'), color: read('buy', 'data-color'), streamed: read('streamed-buy', 'data-color') };
  });

/** A visitor id whose variants are both outside the control (so a bot's control means something), and those variants. */
export function visitorOutsideControl(features: FeatureDefinitions, prefix: string): { id: string; headline: string; color: string } {
  for (let i = 0; i < 200; i++) {
    const id = `${prefix.replace(/[^\w.-]+/g, '-')}-${i}`;
    const client = createClient({ clientId: id, cookie: false, features });
    const color = client.evalFeature('button-color').value;
    if (client.isOn('bold-headline') && color !== 'green') return { id, headline: 'bold', color: String(color) };
  }
  throw new Error('no visitor outside the control in 200 tries');
}

/** What an app's own checks ({@link defineAppTests} `more`) get: the running app and the browser, once started. */
export interface AppUnderTest {
  url: string;
  output(): string;
  browser: Browser;
}

/**
 * The checks every example app must pass, registered as tests. `routes` are JSON routes of the
 * app (an edge route, a resource route) that must answer for the visitor as the page does.
 * `more` registers the app's own checks against the same build and server (one build per app).
 */
export function defineAppTests(app: ExampleApp, routes: string[], more?: (under: () => AppUnderTest) => void): void {
  describeInBrowser(`${app.name}: built, served and driven by Chromium`, () => {
    let browser: Browser;
    let running: RunningApp;
    /** Problems seen by the current test's pages: console errors and warnings, page errors, failed requests. */
    let problems: string[] = [];

    beforeAll(async () => {
      const built = await buildApp(app);
      console.info(`[frameworks] ${app.name}: ${built.cached ? 'build cached (same sources)' : `built in ${(built.ms / 1000).toFixed(1)} s`}`);
      const started = performance.now();
      [running, browser] = await Promise.all([startApp(app), launchChromium()]);
      console.info(`[frameworks] ${app.name}: server and Chromium up in ${Math.round(performance.now() - started)} ms`);
    }, BUILD_TIMEOUT_MS + START_TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await running?.close();
    });

    /** A browser profile (its own cookies) with a user agent (default: desktop Chrome; `null`: headless Chromium's own). */
    async function profile(userAgent: string | null = USER_AGENT, cookies: Record<string, string> = {}): Promise<BrowserContext> {
      const context = await browser.newContext(userAgent ? { userAgent } : {});
      const list = Object.entries(cookies).map(([name, value]) => ({ name, value, url: running.url }));
      if (list.length) await context.addCookies(list);
      context.on('page', watch);
      return context;
    }
    function watch(page: Page): void {
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('requestfailed', (request) => {
        const error = request.failure()?.errorText;
        // ERR_ABORTED: the browser cancelled it (the test's own reload leaving a page whose icon was still loading).
        if (error !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()} ${error}`);
      });
      page.on('response', (response) => response.status() >= 400 && problems.push(`HTTP ${response.status()}: ${response.url()}`));
    }

    /** Load (or reload) the page; the server's HTML and Set-Cookie, and the markers once hydrated. */
    async function visit(page: Page, reload = false): Promise<{ server: Markers; hydrated: Markers; setCookie: string | undefined; exposures: string[] }> {
      const response: Response | null = reload ? await page.reload() : await page.goto(running.url + '/');
      expect(response?.status()).toBe(200);
      const server = markersInHtml(await response!.text());
      const setCookie = (await response!.headerValue('set-cookie')) ?? undefined;
      await page.waitForSelector('html[data-hydrated="true"]');
      await page.waitForSelector('[data-testid="streamed-buy"]');
      const hydrated = await markersInPage(page);
      const exposures = await page.evaluate(() => (window as { splitflapExposures?: string[] }).splitflapExposures ?? []);
      return { server, hydrated, setCookie, exposures };
    }

    const expectNoProblems = () => {
      expect(problems).toEqual([]);
      problems = [];
    };

    it('the first response sets the id cookie; the page, the cookie and the next reload agree on the visitor', async () => {
      const context = await profile();
      const page = await context.newPage();
      const first = await visit(page);
      const id = /^sixpack_client_id=([^;]+);/.exec(first.setCookie ?? '')?.[1];
      expect(id, `Set-Cookie: ${first.setCookie}`).toMatch(/^[0-9a-f-]{36}$/);
      expect(first.server.visitor).toBe(id);
      expect(first.hydrated).toEqual(first.server);
      expect((await context.cookies()).find((cookie) => cookie.name === 'sixpack_client_id')?.value).toBe(id);
      // The variants are the ones the core computes for that id: the server did not re-bucket.
      const expected = createClient({ clientId: id, cookie: false, features: app.features });
      expect(first.server.color).toBe(expected.evalFeature('button-color').value);
      expect(first.server.headline).toBe(expected.isOn('bold-headline') ? 'bold' : 'classic');
      const second = await visit(page, true);
      expect(second.setCookie).toBeUndefined();
      expect(second.server).toEqual(first.server);
      // Exposures: the client components' variant, reported in the browser; the server component's on the server.
      expect(first.exposures).toContain(`button-color=${first.server.color}`);
      expect(running.output()).toContain(`[splitflap] server exposure ${id} headline=${first.server.headline}`);
      // One client per request, shared by everything that reads a flag on the server (Next: metadata, layout and page): one exposure per page view.
      expect(running.output().split(`[splitflap] server exposure ${id} `).length - 1).toBe(2);
      expect(running.output()).not.toMatch(/no id cookie and no id forwarded/i);
      await context.close();
      expectNoProblems();
    });

    it('ten reloads show the same variants, from the server HTML on, with the streamed part too', async () => {
      const context = await profile();
      const page = await context.newPage();
      const first = await visit(page);
      expect(first.server.streamed).toBe(first.server.color);
      for (let i = 0; i < 10; i++) {
        const again = await visit(page, true);
        expect(again.server, `reload ${i + 1}: server HTML`).toEqual(first.server);
        expect(again.hydrated, `reload ${i + 1}: hydrated page`).toEqual(first.server);
      }
      await context.close();
      expectNoProblems();
    });

    it('a second browser profile gets its own id, and keeps it', async () => {
      const one = await profile();
      const two = await profile();
      const a = await visit(await one.newPage());
      const pageB = await two.newPage();
      const b = await visit(pageB);
      expect(b.server.visitor).toMatch(/^[0-9a-f-]{36}$/);
      expect(b.server.visitor).not.toBe(a.server.visitor);
      expect((await visit(pageB, true)).server).toEqual(b.server);
      await one.close();
      await two.close();
      expectNoProblems();
    });

    it('Googlebot gets the control in the server HTML and in the hydrated page, and no exposure is recorded', async () => {
      const { id, headline, color } = visitorOutsideControl(app.features, `${app.name}-bot`);
      // The same id with a desktop browser: the variants outside the control.
      const human = await profile(USER_AGENT, { sixpack_client_id: id });
      const seen = await visit(await human.newPage());
      expect(seen.server).toEqual({ visitor: id, headline, color, streamed: color });
      await human.close();
      const before = running.output();
      const bot = await profile(GOOGLEBOT, { sixpack_client_id: id });
      const page = await bot.newPage();
      for (const reload of [false, true]) {
        const crawled = await visit(page, reload);
        expect(crawled.server).toEqual({ visitor: id, headline: 'classic', color: 'green', streamed: 'green' });
        expect(crawled.hydrated).toEqual(crawled.server);
        expect(crawled.exposures).toEqual([]);
      }
      expect(running.output().slice(before.length)).not.toContain('server exposure');
      await bot.close();
      expectNoProblems();
    });

    it("an opted-in e2e run (headless Chromium's own user agent, the splitflap-e2e cookie) sees real variants; without the cookie, the control", async () => {
      const { id, headline, color } = visitorOutsideControl(app.features, `${app.name}-e2e`);
      const plain = await profile(null, { sixpack_client_id: id });
      const page = await plain.newPage();
      expect(await page.evaluate(() => navigator.userAgent)).toContain('HeadlessChrome');
      expect((await visit(page)).server).toMatchObject({ headline: 'classic', color: 'green' });
      await plain.close();
      const e2e = await profile(null, { sixpack_client_id: id, 'splitflap-e2e': E2E_TOKEN });
      const run = await visit(await e2e.newPage());
      expect(run.server).toEqual({ visitor: id, headline, color, streamed: color });
      expect(run.hydrated).toEqual(run.server);
      expect(run.exposures).toContain(`button-color=${color}`);
      await e2e.close();
      expectNoProblems();
    });

    if (more) more(() => ({ url: running.url, output: running.output, browser }));

    it(`${routes.join(' and ')} answer for the visitor as the page does`, async () => {
      const { id, color } = visitorOutsideControl(app.features, `${app.name}-route`);
      const context = await profile(USER_AGENT, { sixpack_client_id: id });
      for (const route of routes) {
        const response = await context.request.get(running.url + route);
        expect(response.status(), route).toBe(200);
        expect(await response.json(), route).toMatchObject({ clientId: id, buttonColor: color });
      }
      // A new visitor of a route gets the cookie from that route.
      const fresh = await fetch(running.url + routes[0], { headers: { 'user-agent': USER_AGENT } });
      expect(fresh.headers.get('set-cookie')).toMatch(/^sixpack_client_id=[0-9a-f-]{36}; Path=\/;/);
      await context.close();
      expectNoProblems();
    });
  });
}
