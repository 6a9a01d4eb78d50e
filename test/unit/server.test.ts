/**
 * `splitflap/server`: the visitor behind a Fetch API request or Node's headers (id from a
 * forwarded header, the cookie, or new; Set-Cookie; user agent; URL; the bot decision and the
 * opted-in end-to-end cookie), the per-request client, and what its hydration snapshot carries so
 * a browser client decides exactly as the server did, bots and bandit weights included.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, type Experiment, type FeatureDefinitions, type HydrationSnapshot } from '../../src/index';
import { bandits } from '../../src/plugins/bandits';
import {
  createRequestClient,
  E2E_COOKIE,
  getVisitor,
  VISITOR_ID_HEADER,
  VISITOR_URL_HEADER,
  withVisitorCookie,
} from '../../src/server';

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

const features: FeatureDefinitions = {
  color: { defaultValue: 'grey', rules: [{ key: 'color-test', variations: ['grey', 'green', 'purple'], hashVersion: 2 }] },
};

const request = (headers: Record<string, string>, url = 'http://127.0.0.1:3000/shop?x=1') => new Request(url, { headers });
/** JSON both ways, as a page carries it. */
const throughJson = (snapshot: HydrationSnapshot): HydrationSnapshot => JSON.parse(JSON.stringify(snapshot)) as HydrationSnapshot;
/** A visitor id that `color` does not give the control (variation 0), so control for a bot means something. */
const notControl = (prefix: string): string => {
  for (let i = 0; i < 100; i++) {
    const id = `${prefix}-${i}`;
    if (createClient({ clientId: id, cookie: false, features }).evalFeature('color').value !== 'grey') return id;
  }
  throw new Error('no visitor outside the control in 100 tries');
};

describe('getVisitor', () => {
  it('a new visitor gets a new id and the Set-Cookie to keep it (Secure only over HTTPS)', () => {
    const visitor = getVisitor(request({ 'user-agent': CHROME }));
    expect(visitor.clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(visitor.isNew).toBe(true);
    expect(visitor.setCookie).toBe(`sixpack_client_id=${visitor.clientId}; Path=/; Max-Age=34560000; SameSite=Lax`);
    expect(visitor.userAgent).toBe(CHROME);
    expect(visitor.url).toBe('http://127.0.0.1:3000/shop?x=1');
    expect(visitor.isBot).toBe(false);
    expect(getVisitor(request({}, 'https://shop.example/')).setCookie).toMatch(/; Secure$/);
    // Behind a TLS-terminating proxy the request URL says http; the proxy's header says https.
    expect(getVisitor(request({ 'x-forwarded-proto': 'https' })).setCookie).toMatch(/; Secure$/);
    expect(getVisitor(request({}), { secure: false, cookie: { name: 'vid', days: 1, domain: 'example.com' } }).setCookie).toMatch(
      /^vid=[0-9a-f-]{36}; Path=\/; Max-Age=86400; SameSite=Lax; Domain=example\.com$/,
    );
    // Two requests without a cookie are two visitors.
    expect(getVisitor(request({})).clientId).not.toBe(visitor.clientId);
  });

  it("a new visitor's cookie is Secure exactly when the request came over HTTPS, unless an option says otherwise", () => {
    const secure = (visitor: { setCookie: string | undefined }) => /; Secure$/.test(visitor.setCookie!);
    // Fetch API requests: the URL, unless a proxy in front says otherwise.
    expect(secure(getVisitor(request({}, 'http://staging.example/')))).toBe(false);
    expect(secure(getVisitor(request({}, 'https://shop.example/')))).toBe(true);
    expect(secure(getVisitor(request({ 'x-forwarded-proto': 'https' }, 'http://10.0.0.7:3000/')))).toBe(true);
    expect(secure(getVisitor(request({ 'x-forwarded-proto': 'http' }, 'https://10.0.0.7/')))).toBe(false);
    // Node's requests (a path for a URL): the proxy's header, else the socket.
    expect(secure(getVisitor({ headers: { host: 'staging.example' }, url: '/' }))).toBe(false);
    expect(secure(getVisitor({ headers: { 'x-forwarded-proto': 'https' }, url: '/' }))).toBe(true);
    expect(secure(getVisitor({ headers: {}, url: '/', socket: { encrypted: true } }))).toBe(true);
    // The options: `secure`, and `cookie.secure` (`secure` wins).
    expect(secure(getVisitor(request({}, 'http://staging.example/'), { cookie: { secure: true } }))).toBe(true);
    expect(secure(getVisitor(request({}, 'https://shop.example/'), { cookie: { secure: false } }))).toBe(false);
    expect(secure(getVisitor(request({}, 'https://shop.example/'), { secure: false, cookie: { secure: true } }))).toBe(false);
    expect(secure(getVisitor(request({}, 'http://staging.example/'), { secure: true }))).toBe(true);
  });

  it('a returning visitor keeps the cookie id and gets no Set-Cookie; a malformed cookie is replaced', () => {
    const known = getVisitor(request({ cookie: 'theme=dark; sixpack_client_id=abc-123; other=1' }));
    expect(known).toMatchObject({ clientId: 'abc-123', isNew: false, setCookie: undefined });
    const named = getVisitor(request({ cookie: 'vid=v-9' }), { cookie: { name: 'vid' } });
    expect(named.clientId).toBe('v-9');
    const bad = getVisitor(request({ cookie: 'sixpack_client_id=%3Cscript%3E' }));
    expect(bad.clientId).not.toBe('<script>');
    expect(bad.isNew).toBe(true);
    expect(bad.setCookie).toContain(bad.clientId);
  });

  it("reads Node's IncomingHttpHeaders (Express, node:http): lower-case names, repeated Cookie headers", () => {
    const visitor = getVisitor({ headers: { cookie: ['a=1', 'sixpack_client_id=node-1'], 'user-agent': CHROME }, url: '/cart' });
    expect(visitor).toMatchObject({ clientId: 'node-1', isNew: false, userAgent: CHROME, url: '/cart' });
  });

  it('takes the id and URL a proxy forwarded; the proxy sent the cookie, so no Set-Cookie again', () => {
    const visitor = getVisitor(request({ [VISITOR_ID_HEADER]: 'fresh-1', [VISITOR_URL_HEADER]: 'http://127.0.0.1:3000/landing' }, 'http://internal/rsc'));
    expect(visitor).toMatchObject({ clientId: 'fresh-1', isNew: true, setCookie: undefined, url: 'http://127.0.0.1:3000/landing' });
    // A forwarded value that is no valid id is ignored.
    expect(getVisitor(request({ [VISITOR_ID_HEADER]: 'x'.repeat(300), cookie: 'sixpack_client_id=c-1' })).clientId).toBe('c-1');
  });

  it('bots, headless browsers and test runners are bots; an opted-in e2e cookie makes a test run a visitor', () => {
    expect(getVisitor(request({ 'user-agent': GOOGLEBOT })).isBot).toBe(true);
    expect(getVisitor(request({ 'user-agent': HEADLESS })).isBot).toBe(true);
    const e2e = { 'user-agent': HEADLESS, cookie: `${E2E_COOKIE}=s3cret` };
    // Without the app's opt-in the cookie means nothing.
    expect(getVisitor(request(e2e))).toMatchObject({ isBot: true, isTestRun: false });
    expect(getVisitor(request(e2e), { e2eToken: 's3cret' })).toMatchObject({ isBot: false, isTestRun: true });
    expect(getVisitor(request(e2e), { e2eToken: 'other' })).toMatchObject({ isBot: true, isTestRun: false });
    expect(getVisitor(request({ 'user-agent': HEADLESS }), { excludeBots: false }).isBot).toBe(false);
    expect(getVisitor(request({ 'user-agent': 'MyMonitor/1.0' }), { excludeBots: /monitor/i }).isBot).toBe(true);
  });
});

describe('createRequestClient', () => {
  it("evaluates for the request's visitor (id attribute added), and withVisitorCookie sends the new id", () => {
    const onExposure = vi.fn();
    const { client, visitor } = createRequestClient(request({ 'user-agent': CHROME }), { features, attributes: { plan: 'pro' }, onExposure });
    expect(client.clientId).toBe(visitor.clientId);
    expect(client.getAttributes()).toEqual({ id: visitor.clientId, plan: 'pro' });
    const value = client.evalFeature('color').value;
    expect(value).toBe(createClient({ clientId: visitor.clientId, cookie: false, features }).evalFeature('color').value);
    expect(onExposure).toHaveBeenCalledTimes(1);
    const response = withVisitorCookie(new Response('ok'), visitor);
    expect(response.headers.get('set-cookie')).toBe(visitor.setCookie);
    const known = createRequestClient(request({ cookie: `sixpack_client_id=${visitor.clientId}` }), { features });
    expect(withVisitorCookie(new Response('ok'), known.visitor).headers.get('set-cookie')).toBeNull();
    expect(known.client.evalFeature('color').value).toBe(value);
  });

  it('a bot gets the control and records no exposure, and so does the browser client hydrated from its snapshot', () => {
    const id = notControl('bot');
    const onExposure = vi.fn();
    const { client } = createRequestClient(request({ 'user-agent': GOOGLEBOT, cookie: `sixpack_client_id=${id}` }), { features, onExposure });
    expect(client.evalFeature('color').value).toBe('grey');
    expect(onExposure).not.toHaveBeenCalled();
    const snapshot = throughJson(client.getSnapshotForHydration());
    expect(snapshot.enabled).toBe(false);
    // The browser: a real Chrome user agent would not be a bot; the server's decision wins.
    const browserExposure = vi.fn();
    const browser = createClient({ hydrate: snapshot, cookie: false, stickyBucketStore: false, userAgent: CHROME, onExposure: browserExposure });
    expect(browser.evalFeature('color', { hydrating: true }).value).toBe('grey');
    expect(browser.evalFeature('color').value).toBe('grey');
    expect(browserExposure).not.toHaveBeenCalled();
  });

  it('an opted-in test run sees what users see; the same request without the opt-in sees the control', () => {
    const id = notControl('e2e');
    const headers = { 'user-agent': HEADLESS, cookie: `sixpack_client_id=${id}; ${E2E_COOKIE}=t0ken` };
    const user = createClient({ clientId: id, cookie: false, features }).evalFeature('color').value;
    expect(createRequestClient(request(headers), { features, e2eToken: 't0ken' }).client.evalFeature('color').value).toBe(user);
    expect(createRequestClient(request(headers), { features }).client.evalFeature('color').value).toBe('grey');
  });

  it('enabled: false stays off even for a test run', () => {
    const headers = { 'user-agent': HEADLESS, cookie: `sixpack_client_id=${notControl('off')}; ${E2E_COOKIE}=t` };
    expect(createRequestClient(request(headers), { features, e2eToken: 't', enabled: false }).client.evalFeature('color').value).toBe('grey');
  });
});

describe('the hydration snapshot carries every input that changes a result', () => {
  const banditFeatures: FeatureDefinitions = {
    cta: { defaultValue: 'a', rules: [{ key: 'cta', variations: ['a', 'b'], hashVersion: 2, bandit: { policy: 'epsilon-greedy', params: { epsilon: 0.02 } } }] },
  };
  /** Arm b far ahead: weights [0.01, 0.99]. */
  const stats = { cta: [{ participants: 100, conversions: 1 }, { participants: 100, conversions: 40 }] };

  it("bandit weights the server evaluated with: the hydrating render matches, then the browser's own plugin decides", () => {
    // Visitors whom equal weights would give arm a and the bandit's weights give arm b.
    const moved = Array.from({ length: 200 }, (_, i) => `bandit-${i}`).filter((id) => {
      const server = createClient({ clientId: id, cookie: false, features: banditFeatures, plugins: [bandits({ stats })] });
      const plain = createClient({ clientId: id, cookie: false, features: banditFeatures, log: () => undefined });
      return server.evalFeature('cta').value === 'b' && plain.evalFeature('cta').value === 'a';
    });
    expect(moved.length).toBeGreaterThan(10);
    for (const id of moved.slice(0, 10)) {
      const { client } = createRequestClient(request({ cookie: `sixpack_client_id=${id}` }), { features: banditFeatures, plugins: [bandits({ stats })] });
      expect(client.evalFeature('cta').value).toBe('b');
      const snapshot = throughJson(client.getSnapshotForHydration());
      // The browser's bandit plugin has no stats yet (its statsUrl fetch is still out).
      const browser = createClient({ hydrate: snapshot, cookie: false, stickyBucketStore: false, plugins: [bandits()] });
      expect(browser.evalFeature('cta', { hydrating: true }).value).toBe('b');
      // Its live state is its own: the server's weights are not frozen into it as app overrides.
      browser.setBanditStats('cta', [{ participants: 100, conversions: 40 }, { participants: 100, conversions: 1 }]);
      expect(browser.getBandit('cta')!.weights[0]).toBeGreaterThan(0.9);
      expect(browser.evalFeature('cta', { hydrating: true }).value).toBe('b');
    }
  });

  it('app overrides and contextual bandits travel too', () => {
    const inline: Experiment<string> = { key: 'layout', variations: ['grid', 'list'] };
    const { client } = createRequestClient(request({ cookie: 'sixpack_client_id=o-1' }), {
      features,
      overrides: { layout: { force: 1 }, 'color-test': { force: 2 } },
    });
    expect(client.run(inline).value).toBe('list');
    expect(client.evalFeature('color').value).toBe('purple');
    const snapshot = throughJson(client.getSnapshotForHydration());
    expect(snapshot.overrides).toEqual({ layout: { force: 1 }, 'color-test': { force: 2 } });
    const browser = createClient({ hydrate: snapshot, cookie: false, stickyBucketStore: false });
    expect(browser.run(inline, { hydrating: true }).value).toBe('list');
    expect(browser.evalFeature('color', { hydrating: true }).value).toBe('purple');
    const bandit = { cb: { banditVersion: 1, contexts: [{ leafId: 3, weights: [0, 1] }] } };
    expect(throughJson(createClient({ cookie: false, contextualBandits: bandit }).getSnapshotForHydration()).contextualBandits).toEqual(bandit);
  });
});
