/**
 * Typed keys with plugins: a feature map registered once with `splitflap` types every client
 * (plugins' methods kept) and every hook and component; `createClient<Flags>({ plugins })`
 * type-checks; `createClient<Flags, typeof plugins>` keeps both. Compiled with the TypeScript API
 * from fixtures written at test time; each line expected to fail carries a LINE marker, and the
 * test fails if any other line errs or a marked line does not.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorMarkers } from '../helpers/typecheck';

const dir = path.resolve('.cache/typed-keys');

const errorsOf = (name: string, fixture: string) => errorMarkers(dir, name, fixture);

describe('typed keys with plugins', () => {
  it('a map registered with splitflap types clients with plugins, and the React hooks', () => {
    const fixture = `
import { createElement } from 'react';
import { createClient } from '../../src/index';
import { remote } from '../../src/plugins/remote';
import { sixpack } from '../../src/plugins/sixpack';
import { Flag, useFeatureIsOn, useFeatureValue } from '../../react/index';

declare module '../../src/api' {
  interface Register {
    features: { headline: boolean; 'max-items': number };
  }
}

const client = createClient({ plugins: [remote({ url: '/features.json' }), sixpack({ baseUrl: 'https://ab.example.com' })] });
void client.participate('buy-button', ['green', 'orange']);
void client.refreshFeatures();
const on: boolean = client.isOn('headline');
const max: number = client.getFeatureValue('max-items', 10);
client.isOn('headlin'); // LINE:client-unknown-key
client.getFeatureValue('max-items', 'ten'); // LINE:client-wrong-fallback
createClient().participate('e', ['a', 'b']); // LINE:no-plugin-no-method

export function App() {
  const shown: boolean = useFeatureIsOn('headline');
  useFeatureValue('max-itmes', 1); // LINE:hook-unknown-key
  return [on, max, shown, createElement(Flag, { name: 'headline' }), createElement(Flag, { name: 'nope' })]; // LINE:flag-name
}
`;
    expect(errorsOf('registered.ts', fixture)).toEqual(['client-unknown-key', 'client-wrong-fallback', 'flag-name', 'hook-unknown-key', 'no-plugin-no-method']);
  }, 60_000);

  it('createClient<Flags>({ plugins }) type-checks; createClient<Flags, typeof plugins> keeps the methods and the keys', () => {
    const fixture = `
import { createClient } from '../../src/index';
import { remote } from '../../src/plugins/remote';
import { sixpack } from '../../src/plugins/sixpack';

type Flags = { headline: boolean; 'max-items': number };

const explicit = createClient<Flags>({ plugins: [remote({ url: '/features.json' })] });
const on: boolean = explicit.isOn('headline');
explicit.isOn('nope'); // LINE:explicit-unknown-key

const plugins = [sixpack({ baseUrl: 'https://ab.example.com' })] as const;
const both = createClient<Flags, typeof plugins>({ plugins });
void both.participate('buy-button', ['green', 'orange']);
const max: number = both.getFeatureValue('max-items', 1);
both.getFeatureValue('max-itmes', 1); // LINE:both-unknown-key
export { on, max };
`;
    expect(errorsOf('explicit.ts', fixture)).toEqual(['both-unknown-key', 'explicit-unknown-key']);
  }, 60_000);
});
