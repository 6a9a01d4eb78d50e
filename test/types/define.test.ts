/**
 * Flags as code, typed: `defineFlags` gives a payload whose type carries every key and value
 * type; a client made from it (plugins or not), the React hooks and `<Flag>` (its map registered
 * as `FlagsOf<typeof flags>`) and the OpenFeature providers and `typedFlags` reject unknown keys
 * and values of the wrong type. Fixtures are compiled with the TypeScript API (see
 * test/helpers/typecheck.ts): each line expected to fail carries a LINE marker, and the test fails
 * if any other line errs or a marked line does not.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorMarkers } from '../helpers/typecheck';

const dir = path.resolve('.cache/define-types');
const errorsOf = (name: string, fixture: string) => errorMarkers(dir, name, fixture);

const FLAGS = `
import { defineFlags } from '../../src/define';
export const flags = defineFlags({
  features: {
    'new-checkout': { defaultValue: false, rules: [{ condition: { country: 'NZ' }, force: true }] },
    'max-items': { defaultValue: 10, rules: [{ force: 20, coverage: 0.5 }] },
    'button-color': { defaultValue: 'grey', rules: [{ key: 'button-test', variations: ['grey', 'red'], weights: [0.5, 0.5] }] },
    layout: { defaultValue: { columns: 2, dense: false } },
  },
  savedGroups: { beta: ['u1'] },
});
`;

describe('defineFlags', () => {
  it('takes values of the default value type only, and types the payload', () => {
    const fixture = `${FLAGS}
import type { FlagsOf } from '../../src/define';
defineFlags({ features: { a: { defaultValue: false, rules: [{ force: 'yes' }] } } }); // LINE:force-type
defineFlags({ features: { a: { defaultValue: 1, rules: [{ key: 'e', variations: [1, 'two'] }] } } }); // LINE:variation-type
defineFlags({ features: { a: { defaultValue: 'x', rules: [{ key: 'e', variations: ['y'], weights: '1' }] } } }); // LINE:weights-type
type Flags = FlagsOf<typeof flags>;
const color: Flags['button-color'] = 'red';
const wrong: Flags['max-items'] = '10'; // LINE:map-value
const payload: { features: Record<string, unknown>; savedGroups?: Record<string, unknown[]> } = flags;
export { color, wrong, payload };
`;
    expect(errorsOf('define.ts', fixture)).toEqual(['force-type', 'map-value', 'variation-type', 'weights-type']);
  }, 60_000);

  it('createClient({ features: flags.features, plugins }) knows the keys and value types; untyped payloads stay open', () => {
    const fixture = `${FLAGS}
import { createClient } from '../../src/index';
import { remote } from '../../src/plugins/remote';
const client = createClient({ features: flags.features, savedGroups: flags.savedGroups, plugins: [remote({ url: '/features.json' })] });
void client.refreshFeatures();
const on: boolean = client.isOn('new-checkout');
client.isOn('new-chekout'); // LINE:is-on-key
client.isOff('max-itemz'); // LINE:is-off-key
const max: number = client.getFeatureValue('max-items', 5);
client.getFeatureValue('max-items', '5'); // LINE:fallback-type
const color: string = client.getFeatureValue('button-color', 'blue');
const columns: number | undefined = client.evalFeature('layout').value?.columns;
client.evalFeature('layuot'); // LINE:eval-key
const dense: string | undefined = client.evalFeature('layout').value?.dense; // LINE:value-type
const open = createClient({ features: { anything: { defaultValue: 1 } } });
open.isOn('not-in-the-payload');
export { on, max, color, columns, dense };
`;
    expect(errorsOf('client.ts', fixture)).toEqual(['eval-key', 'fallback-type', 'is-off-key', 'is-on-key', 'value-type']);
  }, 60_000);

  it('the React hooks and <Flag> check keys and values once FlagsOf<typeof flags> is registered', () => {
    const fixture = `${FLAGS}
import { createElement } from 'react';
import type { FlagsOf } from '../../src/define';
import { Flag, useFeature, useFeatureIsOn, useFeatureValue, Variant } from '../../react/index';

declare module '../../src/api' {
  interface Register { features: FlagsOf<typeof flags> }
}

export function App() {
  const on: boolean = useFeatureIsOn('new-checkout');
  useFeatureIsOn('new-chekout'); // LINE:hook-key
  const max: number = useFeatureValue('max-items', 1);
  useFeatureValue('max-items', 'one'); // LINE:hook-fallback
  const columns = useFeature('layout').value?.columns;
  useFeature('layot'); // LINE:use-feature-key
  return [on, max, columns,
    createElement(Flag, { name: 'new-checkout' }),
    createElement(Flag, { name: 'new-chekout' }), // LINE:flag-name
    createElement(Variant, { feature: 'button-color', children: { grey: null, red: null } }),
    createElement(Variant, { feature: 'button-colour', children: {} }), // LINE:variant-feature
  ];
}
`;
    expect(errorsOf('react.ts', fixture)).toEqual(['flag-name', 'hook-fallback', 'hook-key', 'use-feature-key', 'variant-feature']);
  }, 60_000);

  it('the OpenFeature providers and typedFlags clients take only keys of the right value type', () => {
    const fixture = `${FLAGS}
import { OpenFeature } from '@openfeature/web-sdk';
import { OpenFeature as ServerFeature } from '@openfeature/server-sdk';
import { createClient } from '../../src/index';
import { SplitflapServerProvider, SplitflapWebProvider, typedFlags } from '../../src/plugins/openfeature/index';

const web = new SplitflapWebProvider(createClient({ features: flags.features }));
web.resolveBooleanEvaluation('new-checkout', false);
web.resolveBooleanEvaluation('button-color', false); // LINE:web-provider-type
const client = typedFlags(OpenFeature.getClient(), web);
const on: boolean = client.getBooleanValue('new-checkout', false);
client.getBooleanValue('new-chekout', false); // LINE:web-key
client.getNumberValue('button-color', 1); // LINE:web-value-type
const layout = client.getObjectValue('layout', { columns: 1, dense: true });
client.getStringDetails('button-color', 'grey').value.toUpperCase();

const server = new SplitflapServerProvider({ features: flags.features });
server.resolveStringEvaluation('max-items', 'x', {}); // LINE:server-provider-type
const perRequest = typedFlags(ServerFeature.getClient(), server);
const max: Promise<number> = perRequest.getNumberValue('max-items', 1, { targetingKey: 'u1' });
perRequest.getBooleanValue('max-items', false, { targetingKey: 'u1' }); // LINE:server-value-type
const untyped = typedFlags(OpenFeature.getClient(), new SplitflapWebProvider(createClient()));
untyped.getBooleanValue('any-flag', false);
export { on, layout, max };
`;
    expect(errorsOf('openfeature.ts', fixture)).toEqual(['server-provider-type', 'server-value-type', 'web-key', 'web-provider-type', 'web-value-type']);
  }, 60_000);
});
