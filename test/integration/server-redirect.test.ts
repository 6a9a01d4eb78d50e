/**
 * Split-URL tests on a server (splitflap/server): a node:http server on 127.0.0.1 answers the
 * original page's requests with `redirectForRequest` before any HTML; the destination echoes the
 * visitor it sees. Also `redirectResponse` for Fetch API servers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hash } from '../../src/index';
import { getVisitor, redirectForRequest, redirectResponse, type RedirectRequestOptions } from '../../src/server';

const KEY = 'landing-redesign';
const EXPERIMENTS = [
  { key: KEY, urlPatterns: [{ type: 'simple', pattern: '/landing' }], weights: [0.5, 0.5], variations: [{}, { urlRedirect: '/landing-b' }], persistQueryString: true },
];
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

const visitorIn = (variation: 0 | 1, prefix: string): string => {
  for (let i = 0; ; i++) if ((hash(KEY, `${prefix}-${i}`, 1)! < 0.5 ? 0 : 1) === variation) return `${prefix}-${i}`;
};

describe('split-URL tests on a node:http server', () => {
  let server: Server;
  let base: string;
  const exposures: string[] = [];
  const logs: string[] = [];
  let experiments: unknown[] = EXPERIMENTS;

  beforeAll(async () => {
    const options = (): RedirectRequestOptions => ({
      experiments,
      onExposure: (experiment, result) => void exposures.push(`${result.hashValue} ${experiment.key}=${result.key}`),
      log: (message) => void logs.push(message),
    });
    server = createServer((req, res) => {
      const answer = redirectForRequest(req, options());
      if (answer) return void res.writeHead(answer.status, answer.headers).end();
      const visitor = getVisitor(req);
      const headers: Record<string, string> = { 'content-type': 'text/html' };
      if (visitor.setCookie) headers['set-cookie'] = visitor.setCookie;
      res.writeHead(200, headers).end(`<h1 data-visitor="${visitor.clientId}">${req.url?.startsWith('/landing-b') ? 'redesign' : 'original'}</h1>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (path: string, id?: string, userAgent = CHROME) =>
    fetch(base + path, { redirect: 'manual', headers: { 'user-agent': userAgent, ...(id ? { cookie: `sixpack_client_id=${id}` } : {}) } });

  it('a visitor in the variation gets a 307 before any HTML, query kept, the same on ten requests; exposed server-side', async () => {
    const id = visitorIn(1, 'variant');
    for (let i = 0; i < 10; i++) {
      const response = await get('/landing?utm_source=mail', id);
      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe(`${base}/landing-b?utm_source=mail`);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      expect(await response.text()).toBe('');
    }
    expect(exposures.filter((line) => line.startsWith(id))).toContain(`${id} ${KEY}=1`);
    const destination = await get('/landing-b?utm_source=mail', id);
    expect(destination.status).toBe(200);
    expect(await destination.text()).toContain(`data-visitor="${id}">redesign`);
  });

  it('a new visitor redirected gets the id cookie on the 307, and the destination sees that id', async () => {
    for (let i = 0; i < 40; i++) {
      const response = await get('/landing');
      const id = /^sixpack_client_id=([^;]+);/.exec(response.headers.get('set-cookie') ?? '')?.[1];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      if (response.status !== 307) continue;
      const destination = await get(new URL(response.headers.get('location')!).pathname, id);
      expect(await destination.text()).toContain(`data-visitor="${id}">redesign`);
      return;
    }
    throw new Error('no new visitor was redirected in 40 tries');
  });

  it('the control and Googlebot get the original page', async () => {
    const control = await get('/landing', visitorIn(0, 'control'));
    expect(control.status).toBe(200);
    expect(await control.text()).toContain('original');
    const botId = visitorIn(1, 'bot');
    const bot = await get('/landing', botId, GOOGLEBOT);
    expect(bot.status).toBe(200);
    expect(exposures.some((line) => line.startsWith(botId))).toBe(false);
  });

  it('malformed experiments serve the page, with a log line', async () => {
    experiments = [{ key: KEY, urlPatterns: 'landing', variations: [{}, { urlRedirect: '/landing-b' }] }, { key: 'x', urlPatterns: [{ type: 'simple', pattern: '/landing' }], variations: [{}, { urlRedirect: 'javascript:alert(1)' }], weights: [0, 1] }];
    const response = await get('/landing', visitorIn(1, 'malformed'));
    expect(response.status).toBe(200);
    expect(logs.join('\n')).toMatch(/malformed urlPatterns/);
    expect(logs.join('\n')).toMatch(/Redirect not followed/);
    experiments = EXPERIMENTS;
  });
});

describe('redirectResponse (Fetch API)', () => {
  it('is a 307 with the new visitor cookie, or null', () => {
    const id = visitorIn(1, 'fetch');
    const request = new Request('https://shop.example/landing', { headers: { 'user-agent': CHROME, cookie: `sixpack_client_id=${id}` } });
    const response = redirectResponse(request, { experiments: EXPERIMENTS });
    expect(response?.status).toBe(307);
    expect(response?.headers.get('location')).toBe('https://shop.example/landing-b');
    const stays = redirectResponse(new Request('https://shop.example/other', { headers: { 'user-agent': CHROME } }), { experiments: EXPERIMENTS });
    expect(stays).toBeNull();
  });
});
