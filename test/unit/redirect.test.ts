/** Redirect experiments (splitflap/redirect): URL targeting, destinations, loops, bad input, bots. */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/index';
import { destinationOf, globMatch, isUrlTargeted, redirects, type RedirectExperiment, type UrlPattern } from '../../src/plugins/redirect';

const quiet = () => undefined;
const targeted = (url: string, patterns: unknown) => isUrlTargeted(url, patterns, quiet);
const simple = (pattern: string, include?: boolean): UrlPattern => ({ type: 'simple', pattern, include });

/** An experiment sending everyone (weights 0/1) from `from` to `to`. */
const sendAll = (key: string, from: string, to: string, extra: Partial<RedirectExperiment> = {}): RedirectExperiment => ({
  key,
  urlPatterns: [simple(from)],
  weights: [0, 1],
  variations: [{}, { urlRedirect: to }],
  ...extra,
});

function clientWith(experiments: unknown[], options: { url?: string; userAgent?: string } = {}) {
  const logs: string[] = [];
  const exposures: string[] = [];
  const client = createClient({
    clientId: 'visitor-1',
    url: options.url ?? 'https://shop.example/landing?utm=x#top',
    userAgent: options.userAgent,
    cookie: false,
    stickyBucketStore: false,
    log: (message) => void logs.push(message),
    onExposure: (experiment, result) => void exposures.push(`${experiment.key}:${result.key}`),
    plugins: [redirects({ experiments })],
  });
  return { client, logs, exposures };
}

describe('urlPatterns', () => {
  it('simple patterns compare host, path (trailing slash optional), query and hash, ignoring case and scheme', () => {
    expect(targeted('https://www.example.com/home/', [simple('http://www.example.com/home')])).toBe(true);
    expect(targeted('https://www.example.com/HOME?a=1', [simple('/home')])).toBe(true);
    expect(targeted('https://www.example.com/home-new', [simple('/home')])).toBe(false);
    expect(targeted('https://other.com/home', [simple('www.example.com/home')])).toBe(false);
    expect(targeted('https://www.example.com/blog/post-1', [simple('/blog/*')])).toBe(true);
    expect(targeted('https://www.example.com/p?ref=ads', [simple('/p?ref=ads')])).toBe(true);
    expect(targeted('https://www.example.com/p?ref=mail', [simple('/p?ref=ads')])).toBe(false);
    expect(targeted('https://www.example.com/p#b', [simple('/p#a')])).toBe(false);
  });

  it('exclusions win; only exclusions target everything else', () => {
    const patterns = [simple('/blog/*'), simple('/blog/private', false)];
    expect(targeted('https://x.com/blog/a', patterns)).toBe(true);
    expect(targeted('https://x.com/blog/private', patterns)).toBe(false);
    expect(targeted('https://x.com/shop', [simple('/blog/*', false)])).toBe(true);
  });

  it('regex patterns match the URL or its path; a catastrophic one is refused and logged, never run', () => {
    expect(targeted('https://x.com/products/42', [{ type: 'regex', pattern: '^/products/\\d+$' }])).toBe(true);
    const logs: string[] = [];
    expect(isUrlTargeted('https://x.com/' + 'a'.repeat(40) + '!', [{ type: 'regex', pattern: '(a+)+$' }], (m) => void logs.push(m))).toBe(false);
    expect(logs.join()).toMatch(/refused/);
  });

  it('malformed patterns target nothing, with a log line', () => {
    const logs: string[] = [];
    const log = (m: string) => void logs.push(m);
    for (const bad of ['/home', [{ type: 'glob', pattern: '/home' }], [{ type: 'simple' }], [null], {}]) {
      expect(isUrlTargeted('https://x.com/home', bad, log)).toBe(false);
    }
    expect(targeted('not a url', [simple('/home')])).toBe(false);
    expect(logs.length).toBeGreaterThanOrEqual(3);
  });

  it('globMatch is anchored and literal', () => {
    expect(globMatch('a_____c', 'abbbc')).toBe(true);
    expect(globMatch('a_____c', 'abbbcd')).toBe(false);
    expect(globMatch('a.c', 'abc')).toBe(false);
    expect(globMatch('a_____b_____a', 'aba')).toBe(true);
    expect(globMatch('ab_____ba', 'aba')).toBe(false);
  });
});

describe('destinationOf', () => {
  it('resolves relative destinations, merges query parameters when asked, keeps the destination hash', () => {
    expect(destinationOf('https://x.com/a?u=1#h', '/b', false)).toBe('https://x.com/b');
    expect(destinationOf('https://x.com/a?u=1&v=2#h', '/b?v=3#k', true)).toBe('https://x.com/b?v=3&u=1#k');
  });
  it('never follows a non-http destination', () => {
    expect(destinationOf('https://x.com/a', 'javascript:alert(1)', false)).toBeNull();
    expect(destinationOf('https://x.com/a', 'data:text/html,hi', false)).toBeNull();
  });
});

describe('redirects()', () => {
  it('decides a redirect and reports its exposure first', () => {
    const { client, exposures } = clientWith([sendAll('landing-test', '/landing', '/landing-b', { persistQueryString: true })]);
    const redirect = client.getRedirect();
    expect(redirect?.urlWithParams).toBe('https://shop.example/landing-b?utm=x');
    expect(exposures).toEqual(['landing-test:1']);
  });

  it('the control stays, and is exposed', () => {
    const { client, exposures } = clientWith([sendAll('landing-test', '/landing', '/landing-b', { weights: [1, 0] })]);
    expect(client.getRedirect()).toBeNull();
    expect(exposures).toEqual(['landing-test:0']);
  });

  it('never loops: a destination another redirect experiment targets is refused and logged', () => {
    const { client, logs } = clientWith([sendAll('a', '/landing', '/other'), sendAll('b', '/other', '/landing')]);
    expect(client.getRedirect()).toBeNull();
    expect(logs.join()).toMatch(/would redirect again/);
    expect(clientWith([sendAll('self', '/landing*', '/landing-b')]).client.getRedirect()).toBeNull();
  });

  it('bots stay on the page and are not exposed', () => {
    const { client, exposures } = clientWith([sendAll('landing-test', '/landing', '/landing-b')], { userAgent: 'Googlebot/2.1 (+http://www.google.com/bot.html)' });
    expect(client.getRedirect()).toBeNull();
    expect(exposures).toEqual([]);
  });

  it('bad experiments are skipped, never thrown', () => {
    const { client } = clientWith([null, 'x', { key: 'k', variations: 'no' }, { key: 'k2', variations: [{}, { urlRedirect: 5 }] }, sendAll('ok', '/landing', '/landing-b')]);
    expect(client.getRedirect()?.experiment.key).toBe('ok');
  });

  it('takes the experiments of a remote payload', () => {
    const { client } = clientWith([]);
    expect(client.getRedirect()).toBeNull();
    client.setRedirectExperiments([sendAll('later', '/landing', '/landing-b')]);
    expect(client.getRedirect()?.urlWithParams).toBe('https://shop.example/landing-b');
  });
});

describe('a returning visitor, decided synchronously', () => {
  it("the stored variation wins over the hash before any storage answers (the sticky store's quick read)", () => {
    // The visitor was sent to /b before the weights moved everyone to the control.
    const experiment: RedirectExperiment = { ...sendAll('landing-test', '/landing', 'https://shop.example/b'), weights: [1, 0] };
    const stored = { attributeName: 'id', attributeValue: 'visitor-1', assignments: { 'landing-test__0': '1' } };
    const client = createClient({
      clientId: 'visitor-1',
      url: 'https://shop.example/landing',
      cookie: false,
      log: quiet,
      stickyBucketStore: {
        getAssignments: () => new Promise(() => undefined), // never answers: only the quick read can help
        saveAssignments: async () => undefined,
        peekAssignments: () => ({ 'id||visitor-1': stored }),
      },
      plugins: [redirects({ experiments: [experiment] })],
    });
    expect(client.getRedirect()).toMatchObject({ urlRedirect: 'https://shop.example/b', result: { variationId: 1, stickyBucketUsed: true } });
  });
});
