// @vitest-environment jsdom
/**
 * The DevTools pieces that need no real browser: when the panel turns on, what a tab's session
 * keeps (and what junk in it is dropped), how values are printed, and that recording changes no
 * result. The panel itself is tested in Chromium (test/browser/devtools.test.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client';
import { attachDevtools, devtoolsRequested, readForced } from '../../src/plugins/devtools';
import { devtoolsAllowed } from '../../src/plugins/devtools/session';
import { describeValue } from '../../src/plugins/devtools/panel';
import { memoryQueue, sixpack, type SixpackMethods } from '../../src/plugins/sixpack';

afterEach(() => {
  sessionStorage.clear();
  document.body.replaceChildren();
});

const features = {
  flag: { defaultValue: false },
  color: { defaultValue: 'grey', rules: [{ key: 'color-test', variations: ['red', 'blue'], hashVersion: 2 }] },
};

describe('devtoolsRequested', () => {
  it('needs a parameter the app allows, and keeps the answer for the tab session', () => {
    expect(devtoolsRequested(undefined, 'http://x/?splitflap-devtools')).toBe(false);
    expect(devtoolsRequested('splitflap-devtools', 'http://x/')).toBe(false);
    expect(devtoolsRequested('splitflap-devtools', 'http://x/?splitflap-devtools')).toBe(true);
    expect(devtoolsRequested('splitflap-devtools', 'http://x/other')).toBe(true); // the session remembers
    expect(devtoolsRequested('splitflap-devtools', 'http://x/?splitflap-devtools=0')).toBe(false);
    expect(devtoolsRequested('splitflap-devtools', 'http://x/')).toBe(false);
    expect(devtoolsRequested('dt', 'not a url ::')).toBe(false);
  });
});

describe('a DevTools token (issue 21)', () => {
  it('with a token, only a link carrying it turns the panel on; the bare parameter (a third party’s link) opens nothing', () => {
    expect(devtoolsRequested('splitflap-devtools', 'http://x/?splitflap-devtools', 's3cret')).toBe(false);
    expect(devtoolsRequested('splitflap-devtools', 'http://x/?splitflap-devtools=1', 's3cret')).toBe(false);
    expect(devtoolsRequested('splitflap-devtools', 'http://x/other', 's3cret')).toBe(false); // nothing was stored
    expect(devtoolsRequested('splitflap-devtools', 'http://x/?splitflap-devtools=s3cret', 's3cret')).toBe(true);
    expect(devtoolsRequested('splitflap-devtools', 'http://x/other?splitflap-devtools', 's3cret')).toBe(true); // the session remembers the team's link
    expect(devtoolsRequested('splitflap-devtools', 'http://x/?splitflap-devtools=0', 's3cret')).toBe(false);
  });

  it('the script tag: data-devtools="<token>" needs ?splitflap-devtools=<token>; "" keeps the bare parameter; "true" always', () => {
    expect(devtoolsAllowed('s3cret', 'http://x/?splitflap-devtools')).toBe(false);
    expect(devtoolsAllowed('s3cret', 'http://x/?s3cret')).toBe(false);
    expect(devtoolsAllowed('s3cret', 'http://x/?splitflap-devtools=s3cret')).toBe(true);
    sessionStorage.clear();
    expect(devtoolsAllowed('', 'http://x/')).toBe(false);
    expect(devtoolsAllowed('', 'http://x/?splitflap-devtools')).toBe(true);
    expect(devtoolsAllowed('true', 'http://x/')).toBe(true);
    expect(devtoolsAllowed(undefined, 'http://x/?splitflap-devtools')).toBe(false);
    expect(devtoolsAllowed('false', 'http://x/?splitflap-devtools')).toBe(false);
  });

  it('attachDevtools(client, { urlParam, token }) adds nothing to the page for a link without the token', () => {
    const attach = (url: string) => attachDevtools(createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features, url }), { urlParam: 'splitflap-devtools', token: 's3cret' });
    attach('http://x/?splitflap-devtools');
    expect(document.querySelector('[data-splitflap-devtools]')).toBeNull();
    attach('http://x/?splitflap-devtools=s3cret');
    expect(document.querySelector('[data-splitflap-devtools]')).not.toBeNull();
  });
});

describe('readForced', () => {
  it('drops junk from storage: wrong shapes, negative or fractional variations; __proto__ stays a plain key', () => {
    sessionStorage.setItem('splitflap:devtools', '{"features": {"a": 1, "__proto__": {"polluted": true}}, "variations": {"x": 1, "y": -1, "z": 1.5, "w": "2"}}');
    const forced = readForced();
    expect({ ...forced.features }).toEqual({ a: 1, ['__proto__']: { polluted: true } });
    expect({ ...forced.variations }).toEqual({ x: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const junk of ['not json', '[1, 2]', '{"features": [1], "variations": null}', 'null']) {
      sessionStorage.setItem('splitflap:devtools', junk);
      expect({ ...readForced().features, ...readForced().variations }).toEqual({});
    }
  });
});

describe('describeValue', () => {
  it('prints any value without throwing, shortened', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const hostile = { toJSON() { throw new Error('no'); }, toString() { throw new Error('no'); } };
    expect(describeValue('a')).toBe('"a"');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(10n)).toBe('10');
    expect(describeValue(cyclic)).toBe('[object Object]');
    expect(describeValue(hostile)).toBe('(unprintable)');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
    expect(describeValue('x'.repeat(200))).toHaveLength(80);
  });
});

describe('attachDevtools()', () => {
  it('adds nothing to the page unless enabled', () => {
    attachDevtools(createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features, url: 'http://x/' }), { urlParam: 'splitflap-devtools' });
    expect(document.querySelector('[data-splitflap-devtools]')).toBeNull();
  });

  it('when enabled, shows its button and records without changing any result', () => {
    const plain = createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features });
    const recorded = createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features });
    attachDevtools(recorded, { enabled: true });
    expect(document.querySelectorAll('[data-splitflap-devtools]')).toHaveLength(1);
    for (const key of ['flag', 'color', 'missing']) expect(recorded.evalFeature(key)).toEqual(plain.evalFeature(key));
    expect(recorded.run({ key: 'inline', variations: [1, 2] })).toEqual(plain.run({ key: 'inline', variations: [1, 2] }));
    recorded.destroy();
    expect(document.querySelector('[data-splitflap-devtools]')).toBeNull();
  });

  it('applies the tab’s forced values over the app’s own', async () => {
    sessionStorage.setItem('splitflap:devtools', '{"features": {"flag": true}, "variations": {}}');
    const client = createClient({
      clientId: 'v', cookie: false, stickyBucketStore: false, features,
      forcedFeatures: { color: 'black' },
    });
    attachDevtools(client, { enabled: true });
    await Promise.resolve();
    expect(client.isOn('flag')).toBe(true);
    expect(client.getFeatureValue('color', '')).toBe('black');
  });

  it("lists a Sixpack experiment with its alternative and where it came from, not as an unknown feature", async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ status: 'ok', alternative: { name: 'orange' }, experiment: { name: 'buy-button' } }), { headers: { 'content-type': 'application/json' } }));
    const client = createClient({
      clientId: 'v', cookie: false, stickyBucketStore: false, features,
      plugins: [sixpack({ baseUrl: 'http://sixpack.test', fetch, queue: memoryQueue() })],
    });
    attachDevtools(client, { enabled: true, open: true });
    // What markup does: a feature of that name first, then the Sixpack experiment.
    expect(client.evalFeature('buy-button').source).toBe('unknownFeature');
    const answer = await client.participate('buy-button', ['green', 'orange']);
    expect(answer).toMatchObject({ alternative: 'orange', source: 'server' });
    const panel = document.querySelector('[data-splitflap-devtools]')!.shadowRoot!;
    const rowOf = (key: string) => [...panel.querySelectorAll('tr')].find((row) => row.cells[0]?.textContent === key);
    await vi.waitFor(() => expect(rowOf('buy-button')).toBeDefined(), { timeout: 10_000 });
    const cells = [...rowOf('buy-button')!.cells].map((cell) => cell.textContent);
    expect(cells.slice(0, 5)).toEqual(['buy-button', '1', '"orange"', 'yes', 'Sixpack: server']);
    // One row for it, in the experiments table; its variation is not forced from here.
    expect([...panel.querySelectorAll('tr')].filter((row) => row.cells[0]?.textContent === 'buy-button')).toHaveLength(1);
    expect(rowOf('buy-button')!.querySelector('select')!.disabled).toBe(true);
    client.destroy();
  });
});
