// @vitest-environment jsdom
/**
 * Splitflap behind `@openfeature/react-sdk`: `useFlag` renders our values and re-renders on
 * payload and context changes, `useSuspenseFlag` suspends until the provider is ready (stored
 * sticky buckets in), and `OpenFeatureTestProvider` takes our provider as well as a value map.
 */
import { OpenFeature } from '@openfeature/web-sdk';
import { OpenFeatureProvider, OpenFeatureTestProvider, useContextMutator, useFlag, useSuspenseFlag, useTrack } from '@openfeature/react-sdk';
import { act, cleanup, render, screen } from '@testing-library/react';
import { Suspense } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SplitflapWebProvider } from '../../src/plugins/openfeature';
import type { Plugin } from '../../src/plugin';
import type { StickyAssignmentsDocument } from '../../src/types';
import { testClient, watchConsole } from './helpers';

afterEach(async () => {
  cleanup();
  await OpenFeature.clearProviders();
});
const console_ = watchConsole();

let domains = 0;

/** A component as an app would write it against OpenFeature. */
function Banner() {
  const headline = useFlag('headline', false);
  const color = useFlag('color', 'none');
  const limit = useFlag('limit', 0);
  return (
    <p data-testid="banner" data-reason={headline.reason} data-variant={color.variant ?? ''}>
      {headline.value ? 'Dutch' : 'Plain'} {color.value} {limit.value}
    </p>
  );
}

describe('@openfeature/react-sdk over the Splitflap web provider', () => {
  it('useFlag renders our values and re-renders when the payload or the context changes', async () => {
    const { client, exposures } = testClient();
    const domain = `react-${++domains}`;
    await OpenFeature.setProviderAndWait(domain, new SplitflapWebProvider(client));
    let mutate!: ReturnType<typeof useContextMutator>;
    function Mutator() {
      mutate = useContextMutator();
      return null;
    }
    render(
      <OpenFeatureProvider domain={domain}>
        <Banner />
        <Mutator />
      </OpenFeatureProvider>,
    );
    const expected = client.evalFeature('color', { track: false }).experimentResult!;
    expect(screen.getByTestId('banner').textContent).toBe(`Plain ${expected.value} 10`);
    expect(screen.getByTestId('banner').dataset.variant).toBe(expected.key);
    expect(exposures).toEqual([['color-test', expected.key]]);

    await act(async () => client.setFeatures({ headline: { defaultValue: false }, color: { defaultValue: 'grey' }, limit: { defaultValue: 50 } }));
    expect(screen.getByTestId('banner').textContent).toBe('Plain grey 50');

    await act(async () => client.setFeatures({ headline: { defaultValue: false, rules: [{ condition: { country: 'NL' }, force: true }] } }));
    await act(() => mutate.setContext({ targetingKey: 'visitor-1', country: 'NL' }));
    expect(screen.getByTestId('banner').textContent).toBe('Dutch none 0');
    expect(screen.getByTestId('banner').dataset.reason).toBe('TARGETING_MATCH');
    console_.expectClean();
  });

  it('useSuspenseFlag suspends until stored sticky buckets are in, then renders the stored variation', async () => {
    let release!: () => void;
    const stored: StickyAssignmentsDocument = { attributeName: 'id', attributeValue: 'visitor-1', assignments: { 'color-test__0': 'g' } };
    const { client } = testClient({
      stickyBucketStore: {
        getAssignments: async () => null,
        saveAssignments: async () => {},
        getAllAssignments: () => new Promise((resolve) => (release = () => resolve({ 'id||visitor-1': stored }))),
      },
      readyTimeoutMs: 5_000,
    });
    const domain = `react-${++domains}`;
    OpenFeature.setProvider(domain, new SplitflapWebProvider(client));
    function Color() {
      const { value, variant } = useSuspenseFlag('color', 'none');
      return <p data-testid="color">{`${value} ${variant}`}</p>;
    }
    // Rendered in an awaited act: React retries a suspended first render only then.
    await act(async () => {
      render(
        <OpenFeatureProvider domain={domain}>
          <Suspense fallback={<p data-testid="color">loading</p>}>
            <Color />
          </Suspense>
        </OpenFeatureProvider>,
      );
    });
    expect(screen.getByTestId('color').textContent).toBe('loading');
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.getByTestId('color').textContent).toBe('loading');
    await act(async () => {
      release();
      await client.ready();
      // The SDK announces PROVIDER_READY after initialize() settles; React retries then.
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    expect(screen.getByTestId('color').textContent).toBe('green g');
    console_.expectClean();
  });

  it('useTrack converts through the Sixpack plugin', async () => {
    const conversions: [string, { kpi?: string } | undefined][] = [];
    const fakeSixpack: Plugin<{ convert(experiment: string, options?: { kpi?: string }): Promise<{ status: 'sent' }> }> = () => ({
      convert: async (experiment, options) => (conversions.push([experiment, options]), { status: 'sent' as const }),
    });
    const { client } = testClient({ plugins: [fakeSixpack] });
    const domain = `react-${++domains}`;
    await OpenFeature.setProviderAndWait(domain, new SplitflapWebProvider(client));
    function Buy() {
      const { track } = useTrack();
      return <button onClick={() => track('checkout', { kpi: 'purchase' })}>buy</button>;
    }
    render(
      <OpenFeatureProvider domain={domain}>
        <Buy />
      </OpenFeatureProvider>,
    );
    act(() => screen.getByText('buy').click());
    await vi.waitFor(() => expect(conversions).toEqual([['checkout', { kpi: 'purchase' }]]));
  });

  it('OpenFeatureTestProvider takes our provider, or a value map, for the same component', async () => {
    const { client } = testClient({ attributes: { id: 'visitor-1', country: 'NL' } });
    render(
      <OpenFeatureTestProvider domain={`react-${++domains}`} provider={new SplitflapWebProvider(client)}>
        <Banner />
      </OpenFeatureTestProvider>,
    );
    const color = client.evalFeature('color', { track: false }).value;
    await vi.waitFor(() => expect(screen.getByTestId('banner').textContent).toBe(`Dutch ${color} 10`));
    cleanup();

    render(
      <OpenFeatureTestProvider domain={`react-${++domains}`} flagValueMap={{ headline: true, color: 'purple', limit: 3 }}>
        <Banner />
      </OpenFeatureTestProvider>,
    );
    await vi.waitFor(() => expect(screen.getByTestId('banner').textContent).toBe('Dutch purple 3'));
    console_.expectClean();
  });
});
