// @vitest-environment jsdom
/**
 * The DevTools pieces that need no real browser: when the panel turns on, what a tab's session
 * keeps (and what junk in it is dropped), how values are printed, and that recording changes no
 * result. The panel itself is tested in Chromium (test/browser/devtools.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client';
import { devtools, devtoolsRequested, readForced } from '../../src/plugins/devtools';
import { describeValue } from '../../src/plugins/devtools/panel';

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

describe('devtools()', () => {
  it('adds nothing to the page unless enabled', () => {
    createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features, plugins: [devtools({ urlParam: 'splitflap-devtools' })], url: 'http://x/' });
    expect(document.querySelector('[data-splitflap-devtools]')).toBeNull();
  });

  it('when enabled, shows its button and records without changing any result', () => {
    const plain = createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features });
    const recorded = createClient({ clientId: 'v', cookie: false, stickyBucketStore: false, features, plugins: [devtools({ enabled: true })] });
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
      plugins: [devtools({ enabled: true })],
    });
    await Promise.resolve();
    expect(client.isOn('flag')).toBe(true);
    expect(client.getFeatureValue('color', '')).toBe('black');
  });
});
