/** Precomputed flags (splitflap/server): codes round-trip, cannot be forged, and enumerate every combination. */
import { describe, expect, it } from 'vitest';
import { createClient, type FeatureDefinitions } from '../../src/index';
import { declareFlags, generatePermutations, MAX_PERMUTATIONS, precompute, precomputedSnapshot, readPrecomputed } from '../../src/server';

const features: FeatureDefinitions = {
  'button-color': { defaultValue: 'green', rules: [{ key: 'button-color', variations: ['green', 'orange', 'purple'], hashVersion: 2 }] },
  banner: { defaultValue: false, rules: [{ force: true, condition: { country: 'NL' } }] },
};
const flags = declareFlags(features, ['button-color', 'banner']);
const SECRET = 'a secret from the environment';

describe('precomputed flags', () => {
  it('declares each flag with the values its definition can give, the default first', () => {
    expect(flags).toEqual([
      { key: 'button-color', options: ['green', 'orange', 'purple'] },
      { key: 'banner', options: [false, true] },
    ]);
    expect(declareFlags(features, ['missing'])).toEqual([{ key: 'missing', options: [null] }]);
  });

  it("encodes a visitor's values in a short code that reads back to them", async () => {
    for (const id of ['a', 'b', 'c', 'd']) {
      const client = createClient({ clientId: id, cookie: false, features, attributes: { id, country: 'NL' } });
      const code = await precompute(flags, client, SECRET);
      expect(code).toMatch(/^[\w-]{3}\.[\w-]{16}$/);
      expect({ ...(await readPrecomputed(code, flags, SECRET)) }).toEqual({ 'button-color': client.getFeatureValue('button-color', 'green'), banner: true });
    }
  });

  it('rejects forged, altered and foreign codes', async () => {
    const client = createClient({ clientId: 'x', cookie: false, features });
    const code = await precompute(flags, client, SECRET);
    const [values, signature] = code.split('.') as [string, string];
    // Another value with the same signature, a made-up signature, another secret, another declaration.
    const otherValues = values === 'AgE' ? 'AQE' : 'AgE';
    expect(await readPrecomputed(`${otherValues}.${signature}`, flags, SECRET)).toBeNull();
    expect(await readPrecomputed(`${values}.${'A'.repeat(16)}`, flags, SECRET)).toBeNull();
    expect(await readPrecomputed(code, flags, 'another secret')).toBeNull();
    expect(await readPrecomputed(code, declareFlags(features, ['banner', 'button-color']), SECRET)).toBeNull();
    for (const junk of ['', '.', 'AAA', `${code}.x`, '%%%', 'x'.repeat(600), `${values}.${signature}=`]) {
      expect(await readPrecomputed(junk, flags, SECRET)).toBeNull();
    }
  });

  it('enumerates every combination as a valid code, and refuses to enumerate too many', async () => {
    const codes = await generatePermutations(flags, SECRET);
    expect(codes).toHaveLength(6);
    const read = await Promise.all(codes.map((code) => readPrecomputed(code, flags, SECRET)));
    expect(new Set(read.map((values) => JSON.stringify({ ...values }))).size).toBe(6);
    const wide = [{ key: 'a', options: Array.from({ length: 40 }, (_, i) => i) }, { key: 'b', options: Array.from({ length: 40 }, (_, i) => i) }];
    await expect(generatePermutations(wide, SECRET)).rejects.toThrow(String(MAX_PERMUTATIONS));
  });

  it('a value outside the options is encoded as the first; no secret, no code', async () => {
    const client = createClient({ clientId: 'x', cookie: false, features, forcedFeatures: { 'button-color': 'pink' } });
    const code = await precompute(flags, client, SECRET);
    expect((await readPrecomputed(code, flags, SECRET))?.['button-color']).toBe('green');
    await expect(precompute(flags, client, '')).rejects.toThrow(/secret/);
  });

  it("a code's snapshot hydrates a client to its values, with nothing of the visitor", async () => {
    const snapshot = precomputedSnapshot({ 'button-color': 'orange', banner: true });
    const client = createClient({ hydrate: snapshot, features, cookie: false });
    expect(client.getFeatureValue('button-color', 'green')).toBe('orange');
    expect(client.isOn('banner')).toBe(true);
    expect(JSON.stringify(snapshot)).not.toMatch(/[0-9a-f]{8}-/);
  });
});
