import { describe, expect, it, vi } from 'vitest';
import { createClient, type ClientOptions, type Experiment, type FeatureDefinitions } from '../../src/index';
import { encryptedFeatures } from '../../src/plugins/decrypt';

const experimentFeature: FeatureDefinitions = {
  color: {
    defaultValue: 'grey',
    rules: [{ key: 'color-test', variations: ['red', 'blue', 'green'], hashVersion: 2, meta: [{ key: 'r' }, { key: 'b' }, { key: 'g' }] }],
  },
  flag: { defaultValue: true },
};

function logged(options: ClientOptions = {}) {
  const log = vi.fn();
  const client = createClient({ clientId: 'visitor-1', log, ...options });
  return { client, log };
}

describe('evaluation through the client', () => {
  it('isOn / isOff / getFeatureValue / evalFeature', () => {
    const { client } = logged({ features: { on: { defaultValue: 1 }, off: { defaultValue: 0 }, text: { defaultValue: 'hi' } } });
    expect(client.isOn('on')).toBe(true);
    expect(client.isOff('off')).toBe(true);
    expect(client.isOff('missing')).toBe(true);
    expect(client.getFeatureValue('text', 'fallback')).toBe('hi');
    expect(client.getFeatureValue('missing', 'fallback')).toBe('fallback');
    expect(client.evalFeature('missing').source).toBe('unknownFeature');
  });

  it('uses the fallback when the value has another type, and says so', () => {
    const { client, log } = logged({ features: { limit: { defaultValue: 'ten' } } });
    expect(client.getFeatureValue('limit', 10)).toBe(10);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('type differs'), expect.anything());
  });

  it('hashes with the client id by default, deterministically', () => {
    const a = createClient({ clientId: 'same-visitor', features: experimentFeature });
    const b = createClient({ clientId: 'same-visitor', features: experimentFeature });
    expect(a.evalFeature('color').experimentResult?.hashValue).toBe('same-visitor');
    expect(a.getFeatureValue('color', '')).toBe(b.getFeatureValue('color', ''));
    // Different visitors spread over all three variations.
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) seen.add(createClient({ clientId: `v${i}`, features: experimentFeature }).getFeatureValue('color', ''));
    expect(seen).toEqual(new Set(['red', 'blue', 'green']));
  });

  it('forcedFeatures, forcedVariations and qaMode', () => {
    const { client } = logged({ features: experimentFeature, forcedFeatures: { flag: false } });
    expect(client.evalFeature('flag')).toMatchObject({ value: false, source: 'override' });
    client.setForcedVariations({ 'color-test': 2 });
    expect(client.evalFeature('color').experimentResult).toMatchObject({ value: 'green', hashUsed: false });
    const qa = createClient({ clientId: 'x', features: experimentFeature, qaMode: true });
    expect(qa.evalFeature('color').source).toBe('defaultValue');
  });

  it('enabled: false turns experiments off but keeps plain values', () => {
    const { client } = logged({ features: experimentFeature, enabled: false });
    expect(client.getFeatureValue('color', '')).toBe('grey');
    expect(client.isOn('flag')).toBe(true);
  });

  it('?experiment-key=N overrides when allowed; off by default where there is no window', () => {
    const exp: Experiment<string> = { key: 'headline', variations: ['a', 'b'] };
    const url = 'https://shop.example/?headline=1';
    expect(createClient({ clientId: 'x', url, allowUrlOverrides: true }).run(exp)).toMatchObject({ value: 'b', hashUsed: false });
    const locked = createClient({ clientId: 'x', url, allowUrlOverrides: false }).run({ ...exp, key: 'headline' });
    expect(locked.hashUsed).toBe(true);
    // On a server any request could otherwise pick its own variation.
    const serverDefault = createClient({ clientId: 'x', url }).run({ ...exp, key: 'headline' });
    expect(serverDefault.hashUsed).toBe(true);
  });

  it('url targeting on inline experiments, with invalid patterns never matching', () => {
    const { client } = logged({ url: 'https://shop.example/checkout/step-1' });
    expect(client.run({ key: 'u', variations: [0, 1], url: /^\/checkout/ }).inExperiment).toBe(true);
    expect(client.run({ key: 'u', variations: [0, 1], url: '^/cart' }).inExperiment).toBe(false);
    expect(client.run({ key: 'u', variations: [0, 1], url: '([' }).inExperiment).toBe(false);
  });

  it('draft, stopped, inactive and forced inline experiments', () => {
    const { client } = logged();
    expect(client.run({ key: 'd', variations: [0, 1], status: 'draft' }).inExperiment).toBe(false);
    expect(client.run({ key: 's', variations: [0, 1], status: 'stopped' }).inExperiment).toBe(false);
    expect(client.run({ key: 'i', variations: [0, 1], active: false }).inExperiment).toBe(false);
    expect(client.run({ key: 'f', variations: [0, 1], force: 1 })).toMatchObject({ value: 1, hashUsed: false });
    expect(client.run({ key: 'g', variations: [0, 1], groups: ['beta'] }).inExperiment).toBe(false);
    expect(createClient({ clientId: 'x', groups: { beta: true } }).run({ key: 'g', variations: [0, 1], groups: ['beta'] }).inExperiment).toBe(true);
    expect(client.run({ key: 'inc', variations: [0, 1], include: () => false }).inExperiment).toBe(false);
    expect(client.run({ key: 'inc', variations: [0, 1], include: () => { throw new Error('boom'); } }).inExperiment).toBe(false);
  });

  it('notifies subscribers on every change that can move a result', () => {
    const { client } = logged({ features: experimentFeature });
    const listener = vi.fn();
    const unsubscribe = client.subscribe(listener);
    const before = client.getSnapshot();
    client.setAttributes({ id: 'other' });
    client.setFeatures({});
    client.setForcedVariations({});
    client.setForcedFeatures({});
    client.setURL('https://example.com/');
    expect(listener).toHaveBeenCalledTimes(5);
    expect(client.getSnapshot()).not.toBe(before);
    expect(client.getSnapshot()).toBe(client.getSnapshot());
    unsubscribe();
    client.setAttributes({ id: 'x' });
    expect(listener).toHaveBeenCalledTimes(5);
  });
});

describe('exposure tracking', () => {
  it('fires once per identity, experiment and variation', () => {
    const onExposure = vi.fn();
    const { client } = logged({ features: experimentFeature, onExposure });
    client.evalFeature('color');
    client.isOn('color');
    client.getFeatureValue('color', '');
    expect(onExposure).toHaveBeenCalledTimes(1);
    const [experiment, result] = onExposure.mock.calls[0];
    expect(experiment.key).toBe('color-test');
    expect(result).toMatchObject({ inExperiment: true, hashUsed: true, hashValue: 'visitor-1', featureId: 'color' });
    client.setAttributes({ id: 'visitor-2' });
    client.evalFeature('color');
    expect(onExposure).toHaveBeenCalledTimes(2);
  });

  it('does not fire for forced, excluded or default results', () => {
    const onExposure = vi.fn();
    const { client } = logged({ onExposure, forcedVariations: { forced: 1 } });
    client.run({ key: 'forced', variations: [0, 1] });
    client.run({ key: 'none', variations: [0, 1], coverage: 0 });
    client.run({ key: 'one', variations: [0] });
    expect(onExposure).not.toHaveBeenCalled();
  });

  it('keeps exposures made before a callback is set and delivers them when one is', () => {
    const { client } = logged({ features: experimentFeature, trackingCallback: undefined });
    client.evalFeature('color');
    client.run({ key: 'inline', variations: ['a', 'b'] });
    const late = vi.fn();
    client.setOnExposure(late);
    expect(late.mock.calls.map(([e]) => e.key)).toEqual(['color-test', 'inline']);
    client.run({ key: 'inline', variations: ['a', 'b'] });
    expect(late).toHaveBeenCalledTimes(2);
  });

  it('a throwing callback is logged and never breaks evaluation', () => {
    const { client, log } = logged({
      features: experimentFeature,
      trackingCallback: () => {
        throw new Error('analytics down');
      },
    });
    expect(() => client.getFeatureValue('color', '')).not.toThrow();
    expect(['red', 'blue', 'green']).toContain(client.getFeatureValue('color', ''));
    expect(log).toHaveBeenCalledWith('onExposure threw', expect.objectContaining({ experiment: 'color-test' }));
  });
});

describe('bots', () => {
  const googlebot = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
  const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

  it('a bot gets control, no exposure and no sticky assignment', () => {
    const onExposure = vi.fn();
    const client = createClient({ clientId: 'crawler', userAgent: googlebot, features: experimentFeature, onExposure });
    expect(client.evalFeature('color')).toMatchObject({ value: 'grey', source: 'defaultValue' });
    expect(client.run({ key: 'x', variations: ['control', 'b'] })).toMatchObject({ value: 'control', inExperiment: false });
    expect(onExposure).not.toHaveBeenCalled();
    expect(client.getStickyBucketAssignmentDocs()).toEqual({});
  });

  it('a person is bucketed; the pattern is overridable and the check can be turned off', () => {
    expect(createClient({ clientId: 'p', userAgent: chrome }).run({ key: 'x', variations: [0, 1] }).inExperiment).toBe(true);
    expect(createClient({ clientId: 'p', userAgent: googlebot, excludeBots: false }).run({ key: 'x', variations: [0, 1] }).inExperiment).toBe(true);
    expect(createClient({ clientId: 'p', userAgent: chrome, excludeBots: /chrome/i }).run({ key: 'x', variations: [0, 1] }).inExperiment).toBe(false);
  });
});

describe('encrypted payloads', () => {
  // From GrowthBook's public conformance file ("Valid feature").
  const encrypted = 'm5ylFM6ndyOJA2OPadubkw==.Uu7ViqgKEt/dWvCyhI46q088PkAEJbnXKf3KPZjf9IEQQ+A8fojNoxw4wIbPX3aj';
  const key = 'Zvwv/+uhpFDznZ6SX28Yjg==';

  it('decrypts before ready() and evaluates the features', async () => {
    const client = createClient({ clientId: 'x', plugins: [encryptedFeatures({ encrypted, decryptionKey: key })] });
    await client.ready();
    expect(client.evalFeature('feature')).toMatchObject({ value: true, source: 'defaultValue' });
  });

  it('a wrong key logs, rejects setEncryptedFeatures with DecryptionError, and ready() still resolves', async () => {
    const log = vi.fn();
    const client = createClient({ clientId: 'visitor-1', log, plugins: [encryptedFeatures({ encrypted, decryptionKey: 'AAAAAAAAAAAAAAAAAAAAAA==' })] });
    await client.ready();
    expect(log).toHaveBeenCalledWith('Could not use encrypted features', expect.anything());
    await expect(client.setEncryptedFeatures(encrypted, 'bad')).rejects.toMatchObject({ name: 'DecryptionError' });
    expect(client.evalFeature('feature').source).toBe('unknownFeature');
  });
});
