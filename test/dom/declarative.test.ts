// @vitest-environment jsdom
/**
 * Edge cases of the declarative layer (src/plugins/dom/markup.ts, started by the script tag's
 * `start()` in src/browser/index.ts) in jsdom: configuration sources, bad JSON,
 * prototype pollution, MutationObserver, the queue, conversions, goal URLs and anti-flicker.
 * The real-browser behaviour (script tag, Sixpack, CSP) is in test/browser/script-tag.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Client } from '../../src/api';
import { readConfig, runQueue, type ScriptConfig } from '../../src/browser/index';
import { createClient } from '../../src/client';
import { bandits } from '../../src/plugins/bandits';
import { bindMarkup } from '../../src/plugins/dom/markup';
import { memoryStickyBucketStore } from '../../src/sticky';
import type { Experiment } from '../../src/types';

const features = {
  banner: { defaultValue: true },
  hidden: { defaultValue: false },
  headline: {
    defaultValue: 'a',
    rules: [{ key: 'headline', variations: ['a', 'b'], weights: [0, 1], hashVersion: 2 }],
  },
};

let clients: Client[] = [];
let logged: string[] = [];
const log = (message: string) => void logged.push(message);

/**
 * The script tag's `start` from a fresh copy of its module: `start` runs once per page (later
 * calls return the page's client), and each start in these tests is a new page.
 */
async function freshStart(): Promise<(config: ScriptConfig) => Client> {
  vi.resetModules();
  delete (window as unknown as Record<string, unknown>).__splitflapLoaded; // the copy-on-the-page-twice guard
  await import('../../src/browser/sixpack'); // its tag runs before the main one, as on a page in Sixpack mode
  return (await import('../../src/browser/index')).start;
}

/** Start with the page's markup in place. */
async function startWith(html: string, config: ScriptConfig = {}): Promise<Client> {
  const start = await freshStart();
  document.body.replaceChildren();
  const template = document.createElement('template');
  // Test fixture parsing only (the module under test never parses HTML).
  template.innerHTML = html;
  document.body.append(template.content);
  const client = start({ features, log, ...config });
  clients.push(client);
  await client.ready();
  await tick();
  return client;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const $ = (selector: string) => document.querySelector<HTMLElement>(selector)!;
const visible = (selector: string) =>
  [...document.querySelectorAll<HTMLElement>(selector)].filter((el) => !el.hidden).map((el) => el.dataset.variant ?? el.id);

beforeEach(() => {
  logged = [];
  localStorage.clear();
});
afterEach(() => {
  clients.forEach((client) => client.destroy());
  clients = [];
  vi.unstubAllGlobals();
  vi.useRealTimers();
  history.replaceState(null, '', '/');
});

describe('configuration', () => {
  it('reads known data-* attributes over window.splitflapConfig, and nothing else', () => {
    const script = document.createElement('script');
    script.dataset.featuresUrl = '/f.json';
    script.dataset.antiFlicker = '';
    script.dataset.cfasync = 'false'; // someone else's attribute
    expect(readConfig(script, { featuresUrl: '/other.json', cookieName: 'id' })).toEqual({ featuresUrl: '/f.json', antiFlicker: '', cookieName: 'id' });

    const plain = document.createElement('script');
    plain.dataset.cfasync = 'false';
    expect(readConfig(plain, undefined)).toBeUndefined(); // not configured: no client is started
    expect(readConfig(null, 'not an object')).toBeUndefined();
    expect(readConfig(null, { sixpackUrl: 'https://ab.example.com' })).toEqual({ sixpackUrl: 'https://ab.example.com' });
  });

  it('logs bad JSON in data-attributes and data-features, and the page still works', async () => {
    const client = await startWith('<p id="on" data-flag="banner" hidden></p>', { attributes: '{country: NL}' });
    expect(logged).toEqual(['Ignored attributes: not a JSON object']);
    expect(visible('#on')).toEqual(['on']);
    expect(client.getAttributes()).toEqual({ id: client.clientId });

    logged = [];
    await startWith('<p id="on" data-flag="banner" hidden></p><p id="off" data-flag-off="banner"></p>', {
      features: '{"banner": ',
      attributes: '[1, 2]',
      goals: '"thanks"',
    });
    // One line each (in no particular order).
    expect([...logged].sort()).toEqual(['Ignored attributes: not a JSON object', 'Ignored features: not a JSON object', 'Ignored goals: not a JSON object']);
    expect(visible('#on, #off')).toEqual(['off']); // no payload: the flag is off
  });

  it('keeps __proto__ in attribute JSON as data: nothing reaches a prototype', async () => {
    const client = await startWith('<p id="nl" data-flag="nl-only" hidden></p>', {
      attributes: '{"__proto__": {"polluted": "yes", "country": "NL"}, "constructor": {"prototype": {"polluted": "yes"}}}',
      features: { 'nl-only': { defaultValue: false, rules: [{ condition: { country: 'NL' }, force: true }] } },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    // `country` was only inside `__proto__`, so it is not an attribute.
    expect(client.isOn('nl-only')).toBe(false);
    expect(visible('#nl')).toEqual([]);
  });
});

describe('markup', () => {
  it('shows one variant of a local experiment, the same on every start, alternatives from the children', async () => {
    const html = '<div data-experiment="layout"><i data-variant="x">x</i><i data-variant="y">y</i><i data-variant="z">z</i></div>';
    await startWith(html);
    const first = visible('[data-variant]');
    expect(first).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      await startWith(html);
      expect(visible('[data-variant]')).toEqual(first);
    }
  });

  it('takes the alternative from a payload feature of that name, and an unknown value shows the control', async () => {
    await startWith('<h1 data-experiment="headline"><span data-variant="a">A</span><span data-variant="b" hidden>B</span></h1>');
    expect(visible('[data-variant]')).toEqual(['b']); // weights [0, 1]
    await startWith('<div data-experiment="banner" data-alternatives="red, blue"><i data-variant="red" hidden></i><i data-variant="blue"></i></div>');
    expect(visible('[data-variant]')).toEqual(['red']); // banner's value `true` is no alternative
  });

  it('leaves nested experiments to their own element', async () => {
    await startWith(`<div data-experiment="outer" data-alternatives="o1,o2">
      <section data-variant="o1"><div data-experiment="headline"><b data-variant="a">a</b><b data-variant="b">b</b></div></section>
      <section data-variant="o2"></section></div>`);
    expect(visible('[data-experiment="outer"] > [data-variant]')).toHaveLength(1);
    expect(visible('[data-experiment="headline"] [data-variant]')).toEqual(['b']);
  });

  it('ignores an experiment without alternatives', async () => {
    await startWith('<div id="empty" data-experiment="nothing"><p id="kept">kept</p></div>');
    expect(visible('#kept')).toEqual(['kept']);
  });

  it('picks up elements added and attributes changed later (MutationObserver)', async () => {
    const client = await startWith('<main></main>');
    const late = document.createElement('p');
    late.id = 'late';
    late.hidden = true;
    late.dataset.flag = 'banner';
    $('main').append(late);
    const box = document.createElement('div');
    box.dataset.experiment = 'headline';
    for (const key of ['a', 'b']) {
      const child = document.createElement('span');
      child.dataset.variant = key;
      box.append(child);
    }
    $('main').append(box);
    await tick();
    expect(visible('#late')).toEqual(['late']);
    expect(visible('[data-variant]')).toEqual(['b']);

    late.dataset.flag = 'hidden';
    await tick();
    expect(visible('#late')).toEqual([]);
    late.removeAttribute('data-flag');
    late.dataset.flagOff = 'hidden';
    await tick();
    expect(visible('#late')).toEqual(['late']);

    // After destroy() the page is left alone.
    client.destroy();
    late.dataset.flagOff = 'banner';
    await tick();
    expect(visible('#late')).toEqual(['late']);
  });

  it('re-applies when the client changes (a new payload)', async () => {
    const client = await startWith('<p id="flag" data-flag="later" hidden></p>');
    expect(visible('#flag')).toEqual([]);
    client.setFeatures({ later: { defaultValue: true } });
    expect(visible('#flag')).toEqual(['flag']);
  });
});

describe('conversions', () => {
  it('fires splitflap:convert on click (capture phase), with the KPI', async () => {
    await startWith('<div id="wrap"><button id="buy" data-convert="headline" data-kpi="purchase"><span id="label">Buy</span></button></div>');
    const seen: unknown[] = [];
    document.addEventListener('splitflap:convert', (e) => seen.push((e as CustomEvent).detail));
    $('#wrap').addEventListener('click', (e) => e.stopPropagation());
    $('#label').click();
    expect(seen).toEqual([{ experiment: 'headline', kpi: 'purchase' }]);
  });

  it('converts a goal URL once, after the experiment was seen', async () => {
    const html = '<div data-experiment="headline" data-goal-url="/thanks?x=1" data-goal-kpi="checkout"><i data-variant="a"></i><i data-variant="b"></i></div>';
    await startWith(html);
    expect(JSON.parse(localStorage.getItem('splitflap:goals')!)).toEqual([['headline', `${location.origin}/thanks?x=1`, 'checkout']]);

    const seen: unknown[] = [];
    document.addEventListener('splitflap:convert', (e) => seen.push((e as CustomEvent).detail));
    history.replaceState(null, '', '/thanks'); // the query is part of the goal: not reached
    await startWith('<p>thanks</p>');
    expect(seen).toEqual([]);
    history.replaceState(null, '', '/thanks?x=1');
    await startWith('<p>thanks</p>');
    expect(seen).toEqual([{ experiment: 'headline', kpi: 'checkout' }]);
    await startWith('<p>thanks</p>');
    expect(seen).toHaveLength(1);
    expect(localStorage.getItem('splitflap:goals')).toBe('[]');
  });

  it('takes goals from the config, and survives junk in storage', async () => {
    localStorage.setItem('splitflap:goals', '{not json');
    await startWith('<div data-experiment="headline"><i data-variant="a"></i><i data-variant="b"></i></div>', { goals: { headline: 'done.html' } });
    // Dropped and repaired once (it used to fail every goal, for good): the goal is remembered.
    expect(logged.filter((message) => /goal/i.test(message))).toEqual(['Dropped corrupt remembered goals']);
    expect(JSON.parse(localStorage.getItem('splitflap:goals')!)).toEqual([['headline', new URL('done.html', location.href).href, null]]);
    localStorage.setItem('splitflap:goals', '[[1], "x", ["headline", "not a url"]]');
    await startWith('<div data-experiment="headline"><i data-variant="a"></i><i data-variant="b"></i></div>', { goals: '{"headline": {"url": "/done.html", "kpi": "k"}}' });
    expect(visible('[data-variant]')).toEqual(['b']);
    expect(JSON.parse(localStorage.getItem('splitflap:goals')!)).toEqual([['headline', new URL('/done.html', location.href).href, 'k']]);
  });
});

describe('Sixpack mode', () => {
  it('shows the control when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('connection refused')));
    await startWith('<div data-experiment="cta" data-alternatives="green,orange"><i data-variant="green" hidden></i><i data-variant="orange"></i></div>', {
      sixpackUrl: 'http://127.0.0.1:9',
    });
    await vi.waitFor(() => expect(visible('[data-variant]')).toEqual(['green']));
  });

  it('logs an invalid experiment name and shows the control', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('never called')));
    await startWith('<div data-experiment="Not valid!" data-alternatives="a,b"><i data-variant="a" hidden></i><i data-variant="b"></i></div>', {
      sixpackUrl: 'http://127.0.0.1:9',
    });
    await vi.waitFor(() => expect(visible('[data-variant]')).toEqual(['a']));
    expect(logged).toContain('participate failed');
  });
});

describe('anti-flicker', () => {
  it('hides the page through CSSOM and a class until applied', async () => {
    document.documentElement.style.visibility = 'visible';
    const start = await freshStart();
    const client = start({ features, log, antiFlicker: true });
    clients.push(client);
    expect(document.documentElement.classList.contains('splitflap-pending')).toBe(true);
    expect(document.documentElement.style.visibility).toBe('hidden');
    await client.ready();
    await tick();
    expect(document.documentElement.classList.contains('splitflap-pending')).toBe(false);
    expect(document.documentElement.style.visibility).toBe('visible'); // restored, not cleared
    document.documentElement.style.visibility = '';
  });

  it('"elements" hides only the marked elements', async () => {
    document.body.replaceChildren();
    const flag = document.createElement('p');
    flag.dataset.flag = 'banner';
    const other = document.createElement('p');
    document.body.append(flag, other);
    const start = await freshStart();
    const client = start({ features, log, antiFlicker: 'elements' });
    clients.push(client);
    expect([document.documentElement.style.visibility, flag.style.visibility, other.style.visibility]).toEqual(['', 'hidden', '']);
    await client.ready();
    await tick();
    expect(flag.style.visibility).toBe('');
  });

  it('reveals after the timeout when decisions take longer', async () => {
    vi.stubGlobal('fetch', () => new Promise(() => {})); // the payload never arrives
    const start = await freshStart();
    const client = start({ featuresUrl: '/features.json', log, antiFlicker: '', antiFlickerTimeout: '40' });
    clients.push(client);
    const started = Date.now();
    await vi.waitFor(() => expect(document.documentElement.classList.contains('splitflap-pending')).toBe(false), { timeout: 400, interval: 5 });
    expect(Date.now() - started).toBeLessThan(300); // ready() would take 500 ms
    expect(document.documentElement.style.visibility).toBe('');
  });

  it('is off for antiFlicker "false"', async () => {
    const start = await freshStart();
    const client = start({ features, log, antiFlicker: 'false' });
    clients.push(client);
    expect(document.documentElement.classList.contains('splitflap-pending')).toBe(false);
  });
});

describe('splitflapQueue', () => {
  it('runs queued callbacks, then later pushes at once; a throwing one is logged and skipped', () => {
    const win: Record<string, unknown> = {};
    const calls: unknown[][] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    win.splitflapQueue = [
      (...args: unknown[]) => calls.push(['first', ...args]),
      () => {
        throw new Error('boom');
      },
      'not a function',
      (...args: unknown[]) => calls.push(['third', ...args]),
    ];
    runQueue(win, () => ['client', 'Splitflap']);
    expect(calls).toEqual([
      ['first', 'client', 'Splitflap'],
      ['third', 'client', 'Splitflap'],
    ]);
    expect(warn).toHaveBeenCalledTimes(1);
    (win.splitflapQueue as { push(...cbs: unknown[]): void }).push((...args: unknown[]) => calls.push(['later', ...args]));
    expect(calls.at(-1)).toEqual(['later', 'client', 'Splitflap']);
    warn.mockRestore();
  });

  it('works without a queue, and with something that is not an array', () => {
    const win: Record<string, unknown> = { splitflapQueue: { length: 1, 0: () => {} } };
    runQueue(win, () => []);
    const none: Record<string, unknown> = {};
    runQueue(none, () => []);
    expect(typeof (none.splitflapQueue as { push: unknown }).push).toBe('function');
  });
});

describe('bandit markup (#7)', () => {
  it('data-bandit runs a local experiment as a bandit; the shown variant stays once shown', async () => {
    // An inline bandit is registered when it first assigns: its first evaluation uses the
    // experiment's own (equal) weights, later ones the bandit's, even with stats known before.
    const cta: Experiment<string> = { key: 'cta', variations: ['a', 'b', 'c'] };
    const ownWeights = (id: string) => createClient({ clientId: id, cookie: false, stickyBucketStore: false }).run(cta).value;
    // A visitor whose own-weights variant is not the bandit's choice (`c`), so "stays" means something.
    const visitor = ['dom-0', 'dom-1', 'dom-2', 'dom-3', 'dom-4', 'dom-5'].find((id) => ownWeights(id) !== 'c')!;
    const shown = ownWeights(visitor);
    document.body.replaceChildren();
    const client = createClient({
      clientId: visitor,
      cookie: false,
      features,
      log,
      // Sticky buckets keep a shown variant (a browser has IndexedDB; jsdom has none).
      stickyBucketStore: memoryStickyBucketStore(),
      plugins: [bandits()],
    });
    bindMarkup(client);
    clients.push(client);
    await client.ready();
    client.setBanditStats('cta', [
      { participants: 10, conversions: 1 },
      { participants: 10, conversions: 1 },
      { participants: 0, conversions: 0 },
    ]);
    expect(client.getBandit('cta')).toBeUndefined(); // not seen yet: the stats are kept for it
    const template = document.createElement('template');
    template.innerHTML =
      '<div data-experiment="cta" data-bandit="ucb1"><p data-variant="a"></p><p data-variant="b"></p><p data-variant="c"></p></div>';
    document.body.append(template.content);
    await tick();
    expect(visible('[data-variant]')).toEqual([shown]);
    expect(client.getBandit('cta')!.weights).toEqual([0, 0, 1]);
    // New weights shape only new visitors: this one keeps the variant it was shown.
    client.setBanditStats('cta', [
      { participants: 0, conversions: 0 },
      { participants: 10, conversions: 1 },
      { participants: 10, conversions: 1 },
    ]);
    await tick();
    expect(client.getBandit('cta')!.weights).toEqual([1, 0, 0]);
    expect(visible('[data-variant]')).toEqual([shown]);
    // A new visitor on this page follows the bandit's weights.
    client.setAttributes({ id: 'dom-newcomer' });
    await tick();
    expect(visible('[data-variant]')).toEqual(['a']);
  });
});
