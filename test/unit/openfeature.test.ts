/**
 * `splitflap/openfeature` through the real SDKs: `@openfeature/web-sdk` (synchronous resolution,
 * static context, provider events) and `@openfeature/server-sdk` (a client per evaluation
 * context). Each test binds its provider to a domain of its own, so the SDK singletons do not leak
 * between tests.
 */
import { ErrorCode, OpenFeature as ServerOpenFeature, ProviderEvents as ServerProviderEvents, type Provider as ServerProvider } from '@openfeature/server-sdk';
import { OpenFeature, ProviderEvents, ProviderStatus, type EvaluationDetails, type FlagValue, type Provider as WebProvider } from '@openfeature/web-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Client, ClientOptions } from '../../src/api';
import { createClient } from '../../src/client';
import { SplitflapServerProvider, SplitflapWebProvider, TRACK_NEEDS_SIXPACK } from '../../src/plugins/openfeature';
import { memoryQueue, sixpack } from '../../src/plugins/sixpack';
import type { Plugin } from '../../src/plugin';
import type { Experiment, ExperimentResult, FeatureDefinitions, StickyAssignmentsDocument } from '../../src/types';

// The providers are what the SDKs expect (checked by `tsc`).
const typeChecks = (client: Client): [WebProvider, ServerProvider] => [new SplitflapWebProvider(client), new SplitflapServerProvider()];
void typeChecks;

const features: FeatureDefinitions = {
  'dutch-banner': { defaultValue: false, rules: [{ id: 'nl', condition: { country: 'NL' }, force: true }] },
  'for-everyone': { defaultValue: 'old', rules: [{ id: 'all', force: 'new' }] },
  rollout: { defaultValue: 0, rules: [{ id: 'half', force: 1, coverage: 0.5, hashAttribute: 'id' }] },
  plain: { defaultValue: 'just this' },
  limit: { defaultValue: 10, rules: [{ id: 'nl-limit', condition: { country: 'NL' }, force: 20 }] },
  // Weights [0, 1, 0]: every visitor hashed in gets variation 1 (key "b").
  layout: {
    defaultValue: { columns: 1 },
    rules: [{ id: 'exp', key: 'layout-test', variations: [{ columns: 1 }, { columns: 2 }, { columns: 3 }], weights: [0, 1, 0], meta: [{ key: 'a' }, { key: 'b' }, { key: 'c' }] }],
  },
  killed: { defaultValue: 'control', rules: [{ key: 'killed-test', variations: ['control', 'treatment'], enabled: false }] },
  nothing: { rules: [] },
  loop: { defaultValue: 1, rules: [{ parentConditions: [{ id: 'loop', condition: { value: 1 } }], force: 2 }] },
  gated: { defaultValue: true, rules: [{ parentConditions: [{ id: 'dutch-banner', condition: { value: true }, gate: true }], force: true }] },
  broken: 42 as never,
};

let domains = 0;
const clients: Client[] = [];
afterEach(async () => {
  clients.splice(0).forEach((client) => client.destroy());
  await OpenFeature.clearProviders();
  await ServerOpenFeature.clearProviders();
});

/** A memory-only client for `id`, and the exposures it reports. */
function testClient(options: ClientOptions = {}, id = 'visitor-1') {
  const exposures: [string, string][] = [];
  const client = createClient({
    clientId: id,
    cookie: false,
    stickyBucketStore: false,
    features,
    attributes: { id, country: 'US' },
    onExposure: (experiment, result) => void exposures.push([experiment.key, result.key]),
    log: vi.fn(),
    ...options,
  });
  clients.push(client);
  return { client, exposures };
}

/** `provider` set (and initialized) for a domain of its own; the OpenFeature client of that domain. */
async function openFeatureFor(provider: SplitflapWebProvider) {
  const domain = `web-${++domains}`;
  await OpenFeature.setProviderAndWait(domain, provider);
  return { domain, features: OpenFeature.getClient(domain) };
}

const essentials = <T extends FlagValue>(details: EvaluationDetails<T>) => ({
  value: details.value,
  variant: details.variant,
  reason: details.reason,
  errorCode: details.errorCode,
});

describe('the web provider', () => {
  it('resolves all four types with variant and reason mapped from the Splitflap result', async () => {
    const { client, exposures } = testClient();
    const { features: of } = await openFeatureFor(new SplitflapWebProvider(client));

    expect(essentials(of.getObjectDetails('layout', { columns: 0 }))).toEqual({ value: { columns: 2 }, variant: 'b', reason: 'SPLIT', errorCode: undefined });
    expect(exposures).toEqual([['layout-test', 'b']]);
    expect(essentials(of.getBooleanDetails('dutch-banner', true))).toEqual({ value: false, variant: undefined, reason: 'DEFAULT', errorCode: undefined });
    expect(essentials(of.getStringDetails('for-everyone', 'x'))).toEqual({ value: 'new', variant: undefined, reason: 'STATIC', errorCode: undefined });
    expect(essentials(of.getStringDetails('plain', 'x'))).toEqual({ value: 'just this', variant: undefined, reason: 'STATIC', errorCode: undefined });
    expect(of.getNumberDetails('limit', 0)).toMatchObject({ value: 10, reason: 'DEFAULT', flagMetadata: { source: 'defaultValue' } });
    // A 50% rollout: which half a visitor is in is pseudorandom.
    const rolledOut = of.getNumberDetails('rollout', -1);
    expect(rolledOut.reason).toBe(rolledOut.value === 1 ? 'SPLIT' : 'DEFAULT');
    expect(of.getObjectDetails('layout', {}).flagMetadata).toEqual({ source: 'experiment', ruleId: 'exp', experimentKey: 'layout-test', variationId: 1, inExperiment: true });
  });

  it('targeting rules, overrides and forced variations are TARGETING_MATCH', async () => {
    const { client } = testClient({ attributes: { id: 'visitor-1', country: 'NL' }, forcedFeatures: { plain: 'forced' }, forcedVariations: { 'layout-test': 2 } });
    const { features: of } = await openFeatureFor(new SplitflapWebProvider(client));
    expect(essentials(of.getBooleanDetails('dutch-banner', false))).toEqual({ value: true, variant: undefined, reason: 'TARGETING_MATCH', errorCode: undefined });
    expect(of.getNumberValue('limit', 0)).toBe(20);
    expect(of.getStringDetails('plain', '')).toMatchObject({ value: 'forced', reason: 'TARGETING_MATCH', flagMetadata: { source: 'override' } });
    expect(essentials(of.getObjectDetails('layout', {}))).toEqual({ value: { columns: 3 }, variant: 'c', reason: 'TARGETING_MATCH', errorCode: undefined });
  });

  it('errors return the default with FLAG_NOT_FOUND, TYPE_MISMATCH or PARSE_ERROR', async () => {
    const { client } = testClient();
    const { features: of } = await openFeatureFor(new SplitflapWebProvider(client));
    expect(essentials(of.getBooleanDetails('no-such-flag', true))).toEqual({ value: true, variant: undefined, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    // A string flag read as a number or a boolean: the default, never the string.
    expect(essentials(of.getNumberDetails('plain', 7))).toEqual({ value: 7, variant: undefined, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
    expect(of.getBooleanDetails('plain', false)).toMatchObject({ value: false, errorCode: ErrorCode.TYPE_MISMATCH, errorMessage: 'Feature "plain" is a string, not a boolean' });
    expect(of.getStringDetails('layout', 'x')).toMatchObject({ value: 'x', errorCode: ErrorCode.TYPE_MISMATCH });
    expect(of.getObjectDetails('limit', { n: 1 })).toMatchObject({ value: { n: 1 }, errorCode: ErrorCode.TYPE_MISMATCH });
    // A definition that is not a feature, and a prerequisite cycle: configuration errors.
    expect(of.getNumberDetails('broken', 1)).toMatchObject({ value: 1, reason: 'ERROR', errorCode: ErrorCode.PARSE_ERROR });
    expect(of.getNumberDetails('loop', 5)).toMatchObject({ value: 5, reason: 'ERROR', errorCode: ErrorCode.PARSE_ERROR });
  });

  it('no value, failed gates and switched-off experiments give the default value or DISABLED', async () => {
    const { client } = testClient();
    const { features: of } = await openFeatureFor(new SplitflapWebProvider(client));
    expect(essentials(of.getStringDetails('nothing', 'fallback'))).toEqual({ value: 'fallback', variant: undefined, reason: 'DEFAULT', errorCode: undefined });
    expect(essentials(of.getBooleanDetails('gated', false))).toEqual({ value: false, variant: undefined, reason: 'TARGETING_MATCH', errorCode: undefined });
    expect(essentials(of.getStringDetails('killed', 'x'))).toEqual({ value: 'control', variant: undefined, reason: 'DISABLED', errorCode: undefined });

    // A client that runs no experiments: the experiment's flag falls back to its default, DISABLED.
    const off = testClient({ enabled: false }, 'visitor-2');
    const { features: ofOff } = await openFeatureFor(new SplitflapWebProvider(off.client));
    expect(essentials(ofOff.getObjectDetails('layout', {}))).toEqual({ value: { columns: 1 }, variant: undefined, reason: 'DISABLED', errorCode: undefined });
    expect(off.exposures).toEqual([]);
    // Flags without experiments are unaffected.
    expect(ofOff.getStringDetails('plain', '').reason).toBe('STATIC');
    const bot = testClient({ userAgent: 'Googlebot/2.1' }, 'visitor-3');
    const { features: ofBot } = await openFeatureFor(new SplitflapWebProvider(bot.client));
    expect(ofBot.getObjectDetails('layout', {}).reason).toBe('DISABLED');
  });

  it('initialize waits for ready(): a returning visitor gets the stored variation, not a provisional one', async () => {
    let release!: () => void;
    const stored: StickyAssignmentsDocument = { attributeName: 'id', attributeValue: 'returning', assignments: { 'layout-test__0': 'c' } };
    const slowStore = {
      getAssignments: async () => null,
      saveAssignments: async () => {},
      getAllAssignments: () => new Promise<Record<string, StickyAssignmentsDocument>>((resolve) => (release = () => resolve({ 'id||returning': stored }))),
    };
    const { client, exposures } = testClient({ stickyBucketStore: slowStore, readyTimeoutMs: 5_000 }, 'returning');
    const provider = new SplitflapWebProvider(client);
    const domain = `web-${++domains}`;
    const settled = vi.fn();
    const set = OpenFeature.setProviderAndWait(domain, provider).then(settled);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).not.toHaveBeenCalled();
    expect(OpenFeature.getClient(domain).providerStatus).toBe(ProviderStatus.NOT_READY);
    release();
    await set;
    expect(OpenFeature.getClient(domain).providerStatus).toBe(ProviderStatus.READY);
    expect(OpenFeature.getClient(domain).getObjectDetails('layout', {})).toMatchObject({ value: { columns: 3 }, variant: 'c', reason: 'SPLIT' });
    expect(exposures).toEqual([['layout-test', 'c']]);
  });

  it('the evaluation context becomes the attributes: targetingKey is the id, the rest are attributes', async () => {
    const { client, exposures } = testClient({ attributes: { id: 'visitor-1', country: 'US', plan: 'free' } });
    const provider = new SplitflapWebProvider(client);
    const { domain, features: of } = await openFeatureFor(provider);
    const changed = vi.fn();
    of.addHandler(ProviderEvents.ConfigurationChanged, changed);
    expect(of.getBooleanValue('dutch-banner', false)).toBe(false);

    await OpenFeature.setContext(domain, { targetingKey: 'user-42', country: 'NL', signedUp: new Date('2024-05-01T00:00:00Z'), tags: ['a', 'b'] });
    // Over the attributes the client was made with (plan stays).
    expect(client.getAttributes()).toEqual({ id: 'user-42', country: 'NL', plan: 'free', signedUp: '2024-05-01T00:00:00.000Z', tags: ['a', 'b'] });
    expect(of.getBooleanDetails('dutch-banner', false)).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    of.getObjectValue('layout', {});
    expect(exposures).toEqual([['layout-test', 'b']]);
    expect(client.evalFeature('layout').experimentResult).toMatchObject({ hashValue: 'user-42' });

    // Without a targetingKey the client's own id is kept.
    await OpenFeature.setContext(domain, { country: 'DE' });
    expect(client.getAttributes()).toEqual({ id: 'visitor-1', country: 'DE', plan: 'free' });
    // The SDK announces context changes itself: no configuration change for them.
    expect(changed).not.toHaveBeenCalled();
  });

  it('a context that cannot be read leaves the attributes as the client had them, with a log line', () => {
    const { client } = testClient();
    const provider = new SplitflapWebProvider(client);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const hostile: Record<string, string> = { targetingKey: 'x' };
    Object.defineProperty(hostile, 'country', { enumerable: true, get: () => { throw new Error('no'); } });
    // (The SDK itself spreads contexts, so this comes straight to the provider.)
    provider.onContextChange({}, hostile);
    expect(client.getAttributes()).toEqual({ id: 'visitor-1', country: 'US' });
    expect(provider.resolveStringEvaluation('plain', '').value).toBe('just this');
    expect(error.mock.calls.some((call) => String(call[0]).includes('unreadable context'))).toBe(true);
    error.mockRestore();
  });

  it('PROVIDER_CONFIGURATION_CHANGED fires when the payload or the overrides change, with the changed flags', async () => {
    const { client } = testClient();
    const { features: of } = await openFeatureFor(new SplitflapWebProvider(client));
    const events: (string[] | undefined)[] = [];
    of.addHandler(ProviderEvents.ConfigurationChanged, (details) => void events.push(details?.flagsChanged));

    client.setFeatures({ ...features, plain: { defaultValue: 'changed' }, extra: { defaultValue: 1 } });
    expect(events).toEqual([['plain', 'extra']]);
    expect(of.getStringValue('plain', '')).toBe('changed');
    // A new object with the same definitions changes nothing: no event.
    client.setFeatures(JSON.parse(JSON.stringify({ ...features, plain: { defaultValue: 'changed' }, extra: { defaultValue: 1 } })));
    expect(events).toHaveLength(1);
    // Forced values may change any flag.
    client.setForcedFeatures({ limit: 99 });
    expect(events).toEqual([['plain', 'extra'], undefined]);
    expect(of.getNumberValue('limit', 0)).toBe(99);
  });

  it('track converts through the Sixpack plugin, with kpi from the details; without it, one warning', async () => {
    const conversions: [string, { kpi?: string } | undefined][] = [];
    const fakeSixpack: Plugin<{ convert(experiment: string, options?: { kpi?: string }): Promise<{ status: 'sent' }> }> = () => ({
      convert: async (experiment, options) => (conversions.push([experiment, options]), { status: 'sent' as const }),
    });
    const { client } = testClient({ plugins: [fakeSixpack] });
    const { features: of } = await openFeatureFor(new SplitflapWebProvider(client));
    of.track('checkout', { kpi: 'purchase', value: 30 });
    of.track('signup');
    of.track('odd-kpi', { kpi: 5 });
    await vi.waitFor(() => expect(conversions).toHaveLength(3));
    expect(conversions).toEqual([['checkout', { kpi: 'purchase' }], ['signup', undefined], ['odd-kpi', undefined]]);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const plain = testClient({}, 'visitor-2');
    const { features: ofPlain } = await openFeatureFor(new SplitflapWebProvider(plain.client));
    ofPlain.track('checkout');
    ofPlain.track('checkout');
    expect(warn.mock.calls.filter((call) => call[0] === TRACK_NEEDS_SIXPACK)).toHaveLength(1);
    warn.mockRestore();
  });

  it('onClose stops listening; the client stays usable', async () => {
    const { client } = testClient();
    const provider = new SplitflapWebProvider(client);
    const { features: of } = await openFeatureFor(provider);
    const changed = vi.fn();
    of.addHandler(ProviderEvents.ConfigurationChanged, changed);
    await provider.onClose();
    client.setFeatures({ plain: { defaultValue: 'later' } });
    expect(changed).not.toHaveBeenCalled();
    expect(client.getFeatureValue('plain', '')).toBe('later');
    // Resolving without a subscription reads the payload afresh.
    expect(provider.resolveStringEvaluation('plain', '').value).toBe('later');
  });
});

describe('track with the real sixpack() plugin', () => {
  /** A Sixpack server stand-in: every request's path and query, answered with an ok. */
  function sixpackServer() {
    const requests: URL[] = [];
    const fetch = vi.fn(async (input: RequestInfo | URL) => {
      requests.push(new URL(String(input)));
      return new Response(JSON.stringify({ status: 'ok' }), { headers: { 'content-type': 'application/json' } });
    });
    const converts = () => requests.filter((url) => url.pathname == '/convert').map((url) => Object.fromEntries(url.searchParams));
    return { plugin: () => sixpack({ baseUrl: 'http://sixpack.test', fetch, queue: memoryQueue() }), converts };
  }

  it('the web provider sends a conversion for the client, with the kpi', async () => {
    const server = sixpackServer();
    const { client } = testClient({ plugins: [server.plugin()] });
    const { features: of } = await openFeatureFor(new SplitflapWebProvider(client));
    of.track('checkout', { kpi: 'purchase' });
    await vi.waitFor(() => expect(server.converts()).toHaveLength(1));
    expect(server.converts()[0]).toMatchObject({ experiment: 'checkout', client_id: 'visitor-1', kpi: 'purchase' });
  });

  it("the server provider sends it for the context's visitor", async () => {
    const server = sixpackServer();
    const domain = `server-${++domains}`;
    await ServerOpenFeature.setProviderAndWait(domain, new SplitflapServerProvider({ features, plugins: [server.plugin()], log: vi.fn() }));
    ServerOpenFeature.getClient(domain).track('signup', { targetingKey: 'user-7' });
    await vi.waitFor(() => expect(server.converts()).toHaveLength(1));
    expect(server.converts()[0]).toMatchObject({ experiment: 'signup', client_id: 'user-7' });
    expect(server.converts()[0]).not.toHaveProperty('kpi');
  });
});

describe('the server provider', () => {
  async function serverFeatures(provider: SplitflapServerProvider) {
    const domain = `server-${++domains}`;
    await ServerOpenFeature.setProviderAndWait(domain, provider);
    return ServerOpenFeature.getClient(domain);
  }

  it('evaluates each context with its own client over the shared payload', async () => {
    const exposures: [string, string | number, string][] = [];
    const provider = new SplitflapServerProvider({
      features,
      onExposure: (experiment: Experiment, result: ExperimentResult) => void exposures.push([experiment.key, result.hashValue, result.key]),
    });
    const of = await serverFeatures(provider);
    expect(await of.getBooleanValue('dutch-banner', false, { targetingKey: 'a', country: 'NL' })).toBe(true);
    expect(await of.getBooleanValue('dutch-banner', false, { targetingKey: 'b', country: 'US' })).toBe(false);
    expect(await of.getObjectDetails('layout', {}, { targetingKey: 'alice' })).toMatchObject({ value: { columns: 2 }, variant: 'b', reason: 'SPLIT' });
    expect(await of.getObjectDetails('layout', {}, { targetingKey: 'bob' })).toMatchObject({ variant: 'b' });
    expect(exposures).toEqual([['layout-test', 'alice', 'b'], ['layout-test', 'bob', 'b']]);
    // The same answers as a client made by hand for that visitor: hashing on the targetingKey.
    const rollout = async (id: string) => (await of.getNumberValue('rollout', -1, { targetingKey: id }));
    for (const id of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) {
      expect(await rollout(id)).toBe(createClient({ clientId: id, cookie: false, features }).getFeatureValue('rollout', -1));
    }
    expect(await of.getStringDetails('missing', 'd', { targetingKey: 'a' })).toMatchObject({ value: 'd', errorCode: ErrorCode.FLAG_NOT_FOUND });
  });

  it('without a targetingKey nobody is hashed: experiments give their default', async () => {
    const exposures = vi.fn();
    const of = await serverFeatures(new SplitflapServerProvider({ features, onExposure: exposures }));
    expect(await of.getObjectDetails('layout', { columns: 9 }, { country: 'NL' })).toMatchObject({ value: { columns: 1 }, reason: 'DEFAULT' });
    expect(exposures).not.toHaveBeenCalled();
  });

  it('follows a source client: waits for its ready(), then announces each new payload', async () => {
    let deliver!: (features: FeatureDefinitions) => void;
    const delayedPayload: Plugin = (host) => {
      host.addStartupTask(new Promise<void>((resolve) => (deliver = (next) => (host.setFeatures(next), resolve()))));
    };
    const source = createClient({ cookie: false, plugins: [delayedPayload], readyTimeoutMs: 5_000 });
    clients.push(source);
    const provider = new SplitflapServerProvider({ source });
    const domain = `server-${++domains}`;
    const set = ServerOpenFeature.setProviderAndWait(domain, provider);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ServerOpenFeature.getClient(domain).providerStatus).toBe(ProviderStatus.NOT_READY);
    deliver({ plain: { defaultValue: 'first' } });
    await set;
    const of = ServerOpenFeature.getClient(domain);
    expect(await of.getStringValue('plain', '', { targetingKey: 'a' })).toBe('first');

    const changes: (string[] | undefined)[] = [];
    of.addHandler(ServerProviderEvents.ConfigurationChanged, (details) => void changes.push(details?.flagsChanged));
    source.setFeatures({ plain: { defaultValue: 'second' }, other: { defaultValue: true } });
    expect(changes).toEqual([['plain', 'other']]);
    expect(await of.getStringValue('plain', '', { targetingKey: 'a' })).toBe('second');
    // The source's other changes (attributes) are no payload change.
    source.setAttributes({ id: 'x' });
    expect(changes).toHaveLength(1);

    provider.setFeatures({ plain: { defaultValue: 'pushed' } });
    expect(changes).toEqual([['plain', 'other'], ['plain', 'other']]);
    expect(await of.getStringValue('plain', '', { targetingKey: 'a' })).toBe('pushed');
  });

  it('waits for a per-request sticky store before evaluating', async () => {
    const stored: StickyAssignmentsDocument = { attributeName: 'id', attributeValue: 'returning', assignments: { 'layout-test__0': 'a' } };
    const store = {
      getAssignments: async () => null,
      saveAssignments: async () => {},
      getAllAssignments: () => new Promise<Record<string, StickyAssignmentsDocument>>((resolve) => setTimeout(() => resolve({ 'id||returning': stored }), 20)),
    };
    const of = await serverFeatures(new SplitflapServerProvider({ features, stickyBucketStore: store, readyTimeoutMs: 5_000 }));
    expect(await of.getObjectDetails('layout', {}, { targetingKey: 'returning' })).toMatchObject({ value: { columns: 1 }, variant: 'a' });
    expect(await of.getObjectDetails('layout', {}, { targetingKey: 'new' })).toMatchObject({ variant: 'b' });
  });
});
