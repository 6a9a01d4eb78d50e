// @vitest-environment jsdom
/**
 * <Flag>, <Variant> (Sixpack, inline experiment, feature; render function or one child per
 * variant) and <SplitflapReady> (fallback until ready, or until its timeout).
 */
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sixpack } from '../../src/plugins/sixpack';
import { memoryStickyBucketStore } from '../../src/sticky';
import type { StickyBucketStore } from '../../src/types';
import { Flag, SplitflapProvider, SplitflapReady, Variant } from '../../react/index';
import { SixpackVariant } from '../../react/sixpack';
import { settle, testClient, watchConsole } from './helpers';

afterEach(cleanup);
const console_ = watchConsole();

describe('<Flag>', () => {
  it('renders children when the flag is on, the fallback when it is off or unknown, and follows changes', () => {
    const { client } = testClient();
    render(
      <SplitflapProvider client={client}>
        <Flag name="headline" fallback={<p>old headline</p>}>
          <p>new headline</p>
        </Flag>
        <Flag name="missing" fallback={<p>no such flag</p>}>
          <p>never</p>
        </Flag>
        <Flag name="limit">
          <p>limit is on</p>
        </Flag>
      </SplitflapProvider>,
    );
    expect(screen.getByText('old headline')).toBeTruthy();
    expect(screen.getByText('no such flag')).toBeTruthy();
    expect(screen.getByText('limit is on')).toBeTruthy();
    act(() => client.setAttributes({ id: 'visitor-1', country: 'NL' }));
    expect(screen.getByText('new headline')).toBeTruthy();
    expect(screen.queryByText('old headline')).toBeNull();
    // No fallback: nothing.
    act(() => client.setForcedFeatures({ limit: 0 }));
    expect(screen.queryByText('limit is on')).toBeNull();
    console_.expectClean();
  });
});

describe('<Variant>', () => {
  it('an inline experiment with one child per variation', () => {
    const { client, exposures } = testClient();
    const expected = client.run({ key: 'layout', variations: ['grid', 'list'] }, { track: false }).value;
    render(
      <SplitflapProvider client={client}>
        <Variant experiment={{ key: 'layout', variations: ['grid', 'list'] }}>{{ grid: <p>grid layout</p>, list: <p>list layout</p> }}</Variant>
      </SplitflapProvider>,
    );
    expect(screen.getByText(`${expected} layout`)).toBeTruthy();
    expect(exposures).toEqual([['layout', expected === 'grid' ? '0' : '1']]);
  });

  it('a feature with a render function, following forced variations', () => {
    const { client } = testClient();
    render(
      <SplitflapProvider client={client}>
        <Variant feature="color">{(color) => <p>button is {String(color)}</p>}</Variant>
      </SplitflapProvider>,
    );
    expect(screen.getByText(`button is ${client.getFeatureValue('color', '')}`)).toBeTruthy();
    act(() => client.setForcedVariations({ 'color-test': 2 }));
    expect(screen.getByText('button is green')).toBeTruthy();
  });

  it('a value without a child renders nothing', () => {
    const { client } = testClient();
    const { container } = render(
      <SplitflapProvider client={client}>
        <Variant feature="label">{{ other: <p>other</p> }}</Variant>
      </SplitflapProvider>,
    );
    expect(container.textContent).toBe('');
  });

  it('a Sixpack experiment: the control at once, then the server\'s alternative; alternatives from the children', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ status: 'ok', alternative: { name: 'blue' } })));
    const { client } = testClient({ plugins: [sixpack({ baseUrl: 'http://sixpack.test', fetch })] });
    render(
      <SplitflapProvider client={client}>
        <SixpackVariant experiment="button-color">{{ red: <p>red button</p>, blue: <p>blue button</p> }}</SixpackVariant>
        <SixpackVariant experiment="button-size" alternatives={['small', 'large']}>
          {(size) => <p>size {size}</p>}
        </SixpackVariant>
      </SplitflapProvider>,
    );
    expect(screen.getByText('red button')).toBeTruthy();
    expect(screen.getByText('size small')).toBeTruthy();
    expect(await screen.findByText('blue button')).toBeTruthy();
    // The server's 'blue' is not an alternative of button-size: the control stays.
    expect(screen.getByText('size small')).toBeTruthy();
    const urls = fetch.mock.calls.map((args) => String((args as unknown[])[0]));
    expect(urls.some((u) => u.includes('experiment=button-color') && u.includes('alternatives=red&alternatives=blue'))).toBe(true);
  });

  it('<Variant experiment="name"> (Sixpack, before it moved) says what to write instead', () => {
    const { client } = testClient();
    const SixpackByName = Variant as unknown as (props: { experiment: string; children: Record<string, string> }) => null;
    expect(() =>
      render(
        <SplitflapProvider client={client}>
          <SixpackByName experiment="button-color">{{ red: 'red', blue: 'blue' }}</SixpackByName>
        </SplitflapProvider>,
      ),
    ).toThrow(`write <SixpackVariant experiment="button-color"> from 'splitflap/sixpack/react'`);
  });
});

describe('<SplitflapReady>', () => {
  function gatedStore() {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const inner = memoryStickyBucketStore();
    const store: StickyBucketStore = { ...inner, getAssignments: (n, v) => gate.then(() => inner.getAssignments(n, v)) };
    return { store, open };
  }

  it('renders the fallback until the client is ready (stored sticky buckets in), then the children', async () => {
    const { store, open } = gatedStore();
    const { client } = testClient({ stickyBucketStore: store, readyTimeoutMs: 10_000 });
    render(
      <SplitflapProvider client={client}>
        <SplitflapReady fallback={<p>loading</p>}>
          <p>content</p>
        </SplitflapReady>
      </SplitflapProvider>,
    );
    expect(screen.getByText('loading')).toBeTruthy();
    await act(settle);
    expect(screen.getByText('loading')).toBeTruthy();
    await act(async () => {
      open();
      await settle();
    });
    expect(screen.getByText('content')).toBeTruthy();
  });

  it('gives up waiting after `timeout` ms', async () => {
    vi.useFakeTimers();
    try {
      const { store } = gatedStore();
      const { client } = testClient({ stickyBucketStore: store, readyTimeoutMs: 10_000 });
      render(
        <SplitflapProvider client={client}>
          <SplitflapReady fallback={<p>loading</p>} timeout={200}>
            <p>content</p>
          </SplitflapReady>
        </SplitflapProvider>,
      );
      await act(() => vi.advanceTimersByTimeAsync(199));
      expect(screen.getByText('loading')).toBeTruthy();
      await act(() => vi.advanceTimersByTimeAsync(1));
      expect(screen.getByText('content')).toBeTruthy();
    } finally {
      vi.useRealTimers();
    }
  });

  it('renders children at once when the client is already ready', async () => {
    const { client } = testClient();
    await client.ready();
    render(
      <SplitflapProvider client={client}>
        <SplitflapReady fallback={<p>loading</p>}>
          <p>content</p>
        </SplitflapReady>
      </SplitflapProvider>,
    );
    expect(screen.getByText('content')).toBeTruthy();
  });
});
