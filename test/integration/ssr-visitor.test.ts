/**
 * The documented server-side rendering samples keep their visitor over plain HTTP: real servers on
 * 127.0.0.1, loaded three times by a client that keeps cookies as a browser does on a host that is
 * not localhost (a `Secure` cookie set by an http: page is dropped, RFC 6265bis: on a staging
 * host a `Secure` id cookie makes every page view a new visitor), and behind an HTTPS proxy the
 * cookie is `Secure`.
 *
 * - the README's "Node and SSR" block, run as written (`npx tsx`, `PORT`);
 * - examples/node/ssr.ts, served in-process, and run as a user runs it (`npx tsx`), printing what
 *   it shows.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagsIn, serve } from '../../examples/node/ssr';
import { codeBlocks, read } from '../docs/markdown';
import { freePort } from '../helpers/net';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
/** Starting tsx and the server on 2 shared cores. */
const START_DEADLINE_MS = 30_000;

/** A browser's cookies for one site that is not localhost. */
class Browser {
  cookies = new Map<string, string>();
  /** Loads `url` (sending the cookies, and `headers`) and keeps what Set-Cookie gives, as a browser would. */
  async load(url: string, headers: Record<string, string> = {}): Promise<{ setCookie: string | undefined; html: string }> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { headers: { 'user-agent': CHROME, ...(cookie ? { cookie } : {}), ...headers } });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie') ?? undefined;
    // What the browser saw: https when a proxy in front says so.
    const https = (headers['x-forwarded-proto'] ?? new URL(url).protocol.slice(0, -1)) === 'https';
    if (setCookie && (https || !/;\s*secure\s*(;|$)/i.test(setCookie))) {
      const [pair] = setCookie.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return { setCookie, html: await response.text() };
  }
}


describe("the README's Node and SSR sample, run as written", () => {
  let child: ChildProcess;
  let url: string;
  let output = '';

  beforeAll(async () => {
    const readme = read(root, 'README.md');
    const section = readme.slice(readme.indexOf('\n### Node and SSR\n'));
    const block = codeBlocks('README.md', section).blocks.find((b) => b.lang === 'ts');
    expect(block?.code).toContain('createServer(');
    const dir = path.join(root, '.cache/readme-ssr');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'server.ts'), block!.code);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    // From the repository root, so tsx maps 'splitflap' and 'splitflap/server' (tsconfig.json paths).
    child = spawn(process.execPath, [tsx, path.join(dir, 'server.ts')], { cwd: root, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the sample exited with ${child.exitCode}:\n${output}`);
      if (await fetch(url, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false)) break;
      if (Date.now() > deadline) throw new Error(`the sample did not answer on ${url} within ${START_DEADLINE_MS} ms:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, START_DEADLINE_MS + 10_000);

  afterAll(async () => {
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  });

  it('three loads over plain HTTP are one visitor: the first response sets the id cookie (not Secure), the next two send it back', async () => {
    const browser = new Browser();
    const first = await browser.load(url);
    expect(first.setCookie).toMatch(/^sixpack_client_id=[0-9a-f-]{36}; Path=\/; Max-Age=34560000; SameSite=Lax$/);
    const id = browser.cookies.get('sixpack_client_id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    for (const load of [2, 3]) {
      const again = await browser.load(url);
      // A visitor the server did not recognise would get a new id, in a new Set-Cookie.
      expect(again.setCookie, `load ${load}`).toBeUndefined();
      expect(browser.cookies.get('sixpack_client_id'), `load ${load}`).toBe(id);
      expect(again.html, `load ${load}: the same variant`).toBe(first.html);
    }
    expect(output).toBe('');
  });

  it('behind an HTTPS proxy (X-Forwarded-Proto: https) the new id cookie is Secure', async () => {
    const { setCookie } = await new Browser().load(url, { 'x-forwarded-proto': 'https' });
    expect(setCookie).toMatch(/^sixpack_client_id=[0-9a-f-]{36}; Path=\/; Max-Age=34560000; SameSite=Lax; Secure$/);
  });
});

describe('examples/node/ssr.ts', () => {
  let running: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (running = await serve()));
  afterAll(() => new Promise<void>((resolve) => running.server.close(() => resolve())));

  it('three loads over plain HTTP are one visitor, with the same variants; behind an HTTPS proxy the cookie is Secure', async () => {
    const browser = new Browser();
    const pages = [];
    for (let i = 0; i < 3; i++) pages.push(await browser.load(running.url));
    expect(pages[0]!.setCookie).not.toMatch(/secure/i);
    expect(pages.slice(1).map((page) => page.setCookie)).toEqual([undefined, undefined]);
    const flags = pages.map((page) => flagsIn(page.html));
    expect(flags[0]!.visitor).toBe(browser.cookies.get('sixpack_client_id'));
    expect(flags[1]).toEqual(flags[0]);
    expect(flags[2]).toEqual(flags[0]);
    expect((await new Browser().load(running.url, { 'x-forwarded-proto': 'https' })).setCookie).toMatch(/; Secure$/);
  });

  it('run as a user runs it (npx tsx examples/node/ssr.ts), prints what it shows and exits', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [tsx, 'examples/node/ssr.ts'], { cwd: root, timeout: START_DEADLINE_MS }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error.code as number) ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Server-side rendering on Node with splitflap/server');
    const ids = [...stdout.matchAll(/new visitor, load (\d): visitor ([0-9a-f-]{36})/g)].map((match) => match[2]);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    expect(stdout).toMatch(/load 1: visitor [0-9a-f-]{36}; Set-Cookie: sixpack_client_id=[^\n]*SameSite=Lax\n/);
    expect(stdout).toMatch(/X-Forwarded-Proto: https\): Set-Cookie: [^\n]*; Secure\n/);
    expect(stdout).toMatch(/Googlebot[^\n]*exposures: none/);
  }, START_DEADLINE_MS + 5_000);
});
