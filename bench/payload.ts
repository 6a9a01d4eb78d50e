/**
 * A synthetic GrowthBook-format payload of any size, shared by the benches so every SDK and every
 * bench sees the same definitions: plain flags, targeted flags, experiments and forced strings in
 * turn, keyed `f0`, `f1`, …
 */
import type { FeatureDefinitions as GrowthBookFeatures } from '@growthbook/growthbook';
import type { FeatureDefinitions as SplitflapFeatures } from '../src/index';

/** Definitions both SDKs accept (each declares the same format under its own name). */
export type FeatureDefinitions = SplitflapFeatures & GrowthBookFeatures;

/** Targeting attributes every bench evaluates with. */
export const attributes = { id: 'user-123', country: 'NL', plan: 'pro', age: 34 };

/** The five flags a request reads: one of each kind, plus a second plain flag. */
export const FLAGS = ['f0', 'f1', 'f2', 'f3', 'f4'] as const;

/** Feature `f<index>`: the kind cycles with the index, so any five consecutive keys cover all four. */
function feature(index: number): SplitflapFeatures[string] {
  switch (index % 4) {
    case 0:
      return { defaultValue: true };
    case 1:
      return {
        defaultValue: false,
        rules: [{ condition: { country: { $in: ['NL', 'BE', 'DE'] }, plan: 'pro', age: { $gte: 18 } }, force: true }],
      };
    case 2:
      return {
        defaultValue: 'control',
        rules: [
          {
            key: `exp-${index}`,
            variations: ['control', 'one-page', 'express'],
            weights: [0.34, 0.33, 0.33],
            coverage: 0.9,
            hashVersion: 2,
            meta: [{ key: 'c' }, { key: 'o' }, { key: 'e' }],
          },
        ],
      };
    default:
      return { defaultValue: 'off', rules: [{ condition: { plan: { $ne: 'free' } }, force: `variant-${index}` }] };
  }
}

/** A payload `{ features }` with `count` features. */
export function makePayload(count: number): { features: FeatureDefinitions } {
  const features: SplitflapFeatures = {};
  for (let index = 0; index < count; index++) features[`f${index}`] = feature(index);
  return { features: features as FeatureDefinitions };
}

/** What a request reads flags from: a client of either SDK. */
export interface Reader {
  isOn(key: string): boolean;
  getFeatureValue(key: string, fallback: string): unknown;
}

/** The five reads of a request: three `isOn`, two `getFeatureValue`. */
export const readFlags = (reader: Reader): unknown[] => [
  reader.isOn(FLAGS[0]),
  reader.isOn(FLAGS[1]),
  reader.getFeatureValue(FLAGS[2], ''),
  reader.getFeatureValue(FLAGS[3], ''),
  reader.isOn(FLAGS[4]),
];
