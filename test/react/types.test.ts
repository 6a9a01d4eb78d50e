/**
 * Typed feature keys: an app declares its feature map once (`interface Register`) and every hook
 * and component checks keys and values. Compiled with the TypeScript API from a fixture written
 * at test time, so the declaration does not leak into this repository's own type check.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorMarkers } from '../helpers/typecheck';

const dir = path.resolve('.cache/react-types');
const fixture = `
import { createElement } from 'react';
import { createClient, Flag, SplitflapProvider, useFeature, useFeatureIsOn, useFeatureValue, useClient, Variant } from '../../react/index';

declare module '../../react/index' {
  interface Register {
    features: { headline: boolean; 'button-color': 'grey' | 'red' | 'blue'; 'max-items': number };
  }
}

export function Ok() {
  const max: number = useFeatureValue('max-items', 10);
  const color: string = useFeatureValue('button-color', 'grey');
  const on: boolean = useFeatureIsOn('headline');
  const value: 'grey' | 'red' | 'blue' | null = useFeature('button-color').value;
  const client = useClient();
  const n: number = client.getFeatureValue('max-items', 1);
  // A client typed with the same map goes into the provider as it is.
  createElement(SplitflapProvider, { client: createClient<{ headline: boolean; 'max-items': number }>() });
  return [max, color, on, value, n, createElement(Flag, { name: 'headline' }), createElement(Variant, { feature: 'button-color', children: {} })];
}

export function Bad() {
  useFeatureValue('max-itmes', 10); // LINE:unknown-key
  useFeatureValue('max-items', 'ten'); // LINE:wrong-fallback
  useFeatureIsOn('headlin'); // LINE:unknown-key-2
  const s: string = useFeatureValue('max-items', 10); // LINE:wrong-result
  createElement(Flag, { name: 'nope' }); // LINE:flag-name
  return s;
}
`;

describe('typed feature keys', () => {
  it('an app declares its features once; hooks and components check keys and values', () => {
    const errors = errorMarkers(dir, 'app.ts', fixture);
    expect(errors).toEqual(['flag-name', 'unknown-key', 'unknown-key-2', 'wrong-fallback', 'wrong-result']);
  }, 60_000);
});
