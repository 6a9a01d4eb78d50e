// @vitest-environment jsdom
/**
 * withConsent in a DOM (jsdom: cookies, sessionStorage; the sticky store is an in-memory twin
 * with spies, so every read and write is seen): nothing is stored or reported before a grant,
 * buckets are computed anyway, and a grant or a denial does exactly what it says.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client';
import { withConsent } from '../../src/plugins/consent';
import { edx } from '../../src/plugins/edx';
import { memoryPayloadCache, remote } from '../../src/plugins/remote';
import { memoryStickyBucketStore } from '../../src/sticky';
import type { Experiment, FeatureDefinitions, StickyAssignmentsDocument } from '../../src/types';

const features: FeatureDefinitions = {
  color: {
    defaultValue: 'grey',
    rules: [{ key: 'color-test', variations: ['red', 'blue'], hashVersion: 2, meta: [{ key: 'red' }, { key: 'blue' }] }],
  },
};

const cookies = () => document.cookie;
afterEach(() => {
  for (const pair of document.cookie.split('; ').filter(Boolean)) document.cookie = pair.split('=')[0] + '=; Max-Age=0; Path=/';
  sessionStorage.clear();
});

/** A store whose reads and writes are counted. */
function spiedStore(initial?: StickyAssignmentsDocument[]) {
  const store = memoryStickyBucketStore(initial);
  return {
    store,
    get: vi.spyOn(store, 'getAssignments'),
    save: vi.spyOn(store, 'saveAssignments'),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('withConsent: pending', () => {
  it('computes buckets from an id in memory, and stores, writes and reports nothing', async () => {
    const { store, get, save } = spiedStore();
    const onExposure = vi.fn();
    const client = createClient(withConsent({ consent: 'pending' }, { features, stickyBucketStore: store, onExposure }));
    await client.ready();
    const result = client.evalFeature('color');
    expect(result.source).toBe('experiment');
    expect(result.experimentResult!.hashValue).toBe(client.clientId);
    expect(['red', 'blue']).toContain(result.value);
    await tick();
    expect(cookies()).toBe('');
    expect(get).not.toHaveBeenCalled();
    expect(save).not.toHaveBeenCalled();
    expect(onExposure).not.toHaveBeenCalled();
    expect(client.getConsent()).toBe('pending');
    // The page's assignment is kept in memory for the page's life.
    expect(client.getStickyBucketAssignmentDocs()['id||' + client.clientId]!.assignments['color-test__0']).toBe(result.experimentResult!.key);
  });

  it('uses the id the server provides (hydration) and the cookie an earlier grant wrote, never writing one', () => {
    const hydrated = createClient(withConsent({ consent: 'pending' }, { hydrate: { clientId: 'from-server', attributes: { id: 'from-server' } } }));
    expect(hydrated.clientId).toBe('from-server');
    document.cookie = 'sixpack_client_id=returning-visitor; Path=/';
    const returning = createClient(withConsent({ consent: 'pending' }, {}));
    expect(returning.clientId).toBe('returning-visitor');
    expect(cookies()).toBe('sixpack_client_id=returning-visitor');
  });

  it('keeps the payload cache in memory, and edX sessions out of sessionStorage', async () => {
    const cache = memoryPayloadCache();
    const get = vi.spyOn(cache, 'get');
    const set = vi.spyOn(cache, 'set');
    const fetch = vi.fn(async () => new Response(JSON.stringify({ features }), { headers: { etag: '"1"' } }));
    const onExposure = vi.fn();
    const client = createClient(
      withConsent({ consent: 'pending' }, { onExposure, plugins: [remote({ url: 'http://127.0.0.1:9/p.json', cache, fetch }), edx({ course: {} })] }),
    );
    await client.ready();
    expect(client.getFeatureValue('color', '')).not.toBe('');
    expect(get).not.toHaveBeenCalled();
    expect(set).not.toHaveBeenCalled();
    client.getBucket('course');
    client.getBucket('course');
    expect(sessionStorage.length).toBe(0);

    client.setConsent('granted');
    await client.refreshFeatures();
    expect(set).toHaveBeenCalled();
    // The edX exposure made before the grant goes out once, and is not made again after it.
    client.getBucket('course');
    expect(onExposure.mock.calls.filter(([experiment]) => (experiment as Experiment).key == 'course')).toHaveLength(1);
    expect(sessionStorage.length).toBe(1);
  });
});

describe('withConsent: granted', () => {
  it('writes the id cookie, stores the sticky docs, and delivers each held exposure once', async () => {
    const { store, save } = spiedStore();
    const onExposure = vi.fn();
    const client = createClient(withConsent({ consent: 'pending' }, { features, stickyBucketStore: store, onExposure }));
    const value = client.getFeatureValue('color', '');
    client.evalFeature('color'); // the same assignment: reported once
    await client.ready(); // (exposures wait for the sticky docs to load, as always)
    client.setConsent('granted');
    expect(cookies()).toBe('sixpack_client_id=' + client.clientId);
    expect(onExposure).toHaveBeenCalledTimes(1);
    expect(onExposure.mock.calls[0]![0].key).toBe('color-test');
    await client.ready();
    await tick();
    expect(save).toHaveBeenCalled();
    expect(store.docs.get('id||' + client.clientId)!.assignments['color-test__0']).toBe(value == 'red' ? 'red' : 'blue');

    client.run({ key: 'inline', variations: [0, 1] });
    await tick();
    expect(onExposure).toHaveBeenCalledTimes(2); // straight through now
    client.setConsent('granted'); // no-op
    expect(onExposure).toHaveBeenCalledTimes(2);
  });

  it('lets stored assignments of a returning visitor win once the store may be read', async () => {
    document.cookie = 'sixpack_client_id=returning; Path=/';
    const probe = createClient({ clientId: 'returning', features, cookie: false, stickyBucketStore: false });
    const hashed = probe.evalFeature('color', { track: false }).experimentResult!.key;
    const other = hashed == 'red' ? 'blue' : 'red';
    const { store, get } = spiedStore([{ attributeName: 'id', attributeValue: 'returning', assignments: { 'color-test__0': other } }]);
    const client = createClient(withConsent({ consent: 'pending' }, { features, stickyBucketStore: store }));
    await client.ready();
    expect(client.getFeatureValue('color', '')).toBe(hashed); // the store is not read yet
    expect(get).not.toHaveBeenCalled();
    const changed = vi.fn();
    client.subscribe(changed);
    client.setConsent('granted');
    await vi.waitFor(() => expect(client.getFeatureValue('color', '')).toBe(other));
    expect(changed).toHaveBeenCalled();
    await tick();
    expect(store.docs.get('id||returning')!.assignments['color-test__0']).toBe(other);
  });

  it('reads the store\'s quick copy (peekAssignments) only once consent is granted', () => {
    const stored = { attributeName: 'id', attributeValue: 'returning', assignments: { 'color-test__0': 'blue' } };
    const store = { ...memoryStickyBucketStore([stored]), peekAssignments: vi.fn(() => ({ 'id||returning': stored })) };
    const pending = createClient(withConsent({ consent: 'pending' }, { clientId: 'returning', features, stickyBucketStore: store }));
    pending.evalFeature('color');
    expect(store.peekAssignments).not.toHaveBeenCalled();

    const granted = createClient(withConsent({ consent: 'granted' }, { clientId: 'returning', features, stickyBucketStore: store }));
    expect(store.peekAssignments).toHaveBeenCalledTimes(1);
    expect(granted.getFeatureValue('color', '')).toBe('blue');
  });

  it('an exposure callback set while pending gets the held exposures on grant', () => {
    const client = createClient(withConsent({ consent: 'pending' }, { features, stickyBucketStore: false }));
    client.evalFeature('color');
    const late = vi.fn();
    client.setOnExposure(late);
    expect(late).not.toHaveBeenCalled();
    client.setConsent('granted');
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('with consent granted up front, behaves like a plain client (cookie written at once)', () => {
    const onExposure = vi.fn();
    const client = createClient(withConsent({ consent: 'granted' }, { features, stickyBucketStore: false, onExposure }));
    expect(cookies()).toBe('sixpack_client_id=' + client.clientId);
    client.evalFeature('color');
    expect(onExposure).toHaveBeenCalledTimes(1);
  });
});

describe('withConsent: denied', () => {
  it('drops held exposures, reports and stores nothing, ever; a later grant starts from then', async () => {
    const { store, get, save } = spiedStore();
    const onExposure = vi.fn();
    const client = createClient(withConsent({ consent: 'pending' }, { features, stickyBucketStore: store, onExposure }));
    client.evalFeature('color');
    client.setConsent('denied');
    client.run({ key: 'inline', variations: [0, 1] });
    await client.ready();
    await tick();
    expect(onExposure).not.toHaveBeenCalled();
    expect(get).not.toHaveBeenCalled();
    expect(save).not.toHaveBeenCalled();
    expect(cookies()).toBe('');
    expect(client.getFeatureValue('color', '')).not.toBe(''); // still rendered

    client.setConsent('granted'); // the visitor changed their mind in the settings
    client.run({ key: 'another', variations: [0, 1] });
    await client.ready();
    await tick();
    expect(onExposure.mock.calls.map(([experiment]) => (experiment as Experiment).key)).toEqual(['another']);
  });

  it('a withdrawal deletes the id cookie and stops reporting', () => {
    const onExposure = vi.fn();
    const client = createClient(withConsent({ consent: 'granted' }, { features, stickyBucketStore: false, onExposure }));
    expect(cookies()).not.toBe('');
    client.setConsent('denied');
    expect(cookies()).toBe('');
    client.run({ key: 'inline', variations: [0, 1] });
    expect(onExposure).not.toHaveBeenCalled();
  });
});

describe('withConsent: programming mistakes', () => {
  it('throws a TypeError for an unknown consent value', () => {
    expect(() => withConsent({ consent: 'yes' as never })).toThrow(TypeError);
    const client = createClient(withConsent({ consent: 'pending' }));
    expect(() => client.setConsent('pending' as never)).toThrow(TypeError);
    expect(() => client.setConsent(undefined as never)).toThrow(TypeError);
    expect(client.getConsent()).toBe('pending');
  });
});
