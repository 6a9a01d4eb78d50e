// @vitest-environment jsdom
/**
 * The hooks: results equal the core's, re-renders only where a result changed, exposure once per
 * committed result (Strict Mode and discarded renders included), and clear missing-provider errors.
 */
import { act, cleanup, render, renderHook, screen } from '@testing-library/react';
import { StrictMode, Suspense, useState, type ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryQueue, sixpack } from '../../src/plugins/sixpack';
import { memoryStickyBucketStore } from '../../src/sticky';
import type { StickyAssignmentsDocument, StickyBucketStore } from '../../src/types';
import {
  Flag,
  SplitflapProvider,
  SplitflapReady,
  useClient,
  useExperiment,
  useFeature,
  useFeatureIsOn,
  useFeatureValue,
  Variant,
  type Client,
} from '../../react/index';
import { SixpackVariant, useConvert, useParticipate } from '../../react/sixpack';
import { features, renderCounter, settle, testClient, watchConsole } from './helpers';

afterEach(cleanup);
const console_ = watchConsole();

const wrapperFor = (client: Client, strict = false) =>
  function Wrapper({ children }: { children: ReactNode }) {
    const tree = <SplitflapProvider client={client}>{children}</SplitflapProvider>;
    return strict ? <StrictMode>{tree}</StrictMode> : tree;
  };

describe('hooks return what the core evaluates', () => {
  it('useFeature gives the full result; useFeatureIsOn and useFeatureValue derive from it', () => {
    const { client } = testClient();
    const expected = client.evalFeature('color', { track: false });
    const { result } = renderHook(
      () => ({ color: useFeature('color'), on: useFeatureIsOn('headline'), limit: useFeatureValue('limit', 5), label: useFeatureValue('label', '') }),
      { wrapper: wrapperFor(client) },
    );
    // Plus `ready`: false until the client's ready() resolves (the hook asks for it), then true.
    expect(result.current.color).toEqual({ ...expected, ready: false });
    expect(result.current.color.source).toBe('experiment');
    expect(result.current.on).toBe(false);
    expect(result.current.limit).toBe(10);
    expect(result.current.label).toBe('hello');
  });

  it('useFeatureValue falls back for unknown, null and wrongly typed values', () => {
    const { client } = testClient({ features: { text: { defaultValue: 'ten' }, nothing: { defaultValue: null } } });
    const { result } = renderHook(
      () => [useFeatureValue('missing', 'fb'), useFeatureValue('text', 3), useFeatureValue('nothing', true), useFeatureValue('text', 'x')] as const,
      { wrapper: wrapperFor(client) },
    );
    expect(result.current).toEqual(['fb', 3, true, 'ten']);
  });

  it('useExperiment runs an inline experiment, written inline, without re-evaluating per render', () => {
    const { client, exposures } = testClient();
    const expected = client.run({ key: 'inline', variations: ['a', 'b'] }, { track: false });
    const { result, rerender } = renderHook(() => useExperiment({ key: 'inline', variations: ['a', 'b'] }), { wrapper: wrapperFor(client) });
    const first = result.current;
    expect(first).toEqual({ ...expected, ready: false });
    rerender();
    rerender();
    // The same object: an inline experiment with the same data is the same input.
    expect(result.current).toBe(first);
    expect(exposures).toEqual([['inline', expected.key]]);
  });

  it('useClient gives the client; useConvert a stable function that converts through it', async () => {
    const { client } = testClient({ plugins: [sixpack({ baseUrl: 'http://127.0.0.1:9', queue: memoryQueue() })] });
    const convert = vi.spyOn(client, 'convert').mockResolvedValue({ status: 'sent' });
    const { result, rerender } = renderHook(() => ({ client: useClient(), convert: useConvert() }), { wrapper: wrapperFor(client) });
    const first = result.current.convert;
    rerender();
    expect(result.current.client).toBe(client);
    expect(result.current.convert).toBe(first);
    await result.current.convert('button-color', { kpi: 'buy' });
    expect(convert).toHaveBeenCalledWith('button-color', { kpi: 'buy' });
  });

  it('the provider creates one client from `options`, once, even under Strict Mode', async () => {
    const store: StickyBucketStore = { getAssignments: vi.fn(async () => null), saveAssignments: vi.fn(async () => {}), getAllAssignments: vi.fn(async () => ({})) };
    let seen: Client | undefined;
    function Probe() {
      seen = useClient();
      return <p>{useFeatureValue('label', '')}</p>;
    }
    const { rerender } = render(
      <StrictMode>
        <SplitflapProvider options={{ clientId: 'v', cookie: false, features, stickyBucketStore: store }}>
          <Probe />
        </SplitflapProvider>
      </StrictMode>,
    );
    const first = seen;
    rerender(
      <StrictMode>
        <SplitflapProvider options={{ clientId: 'v', cookie: false, features, stickyBucketStore: store }}>
          <Probe />
        </SplitflapProvider>
      </StrictMode>,
    );
    expect(seen).toBe(first);
    expect(screen.getByText('hello')).toBeTruthy();
    // Every client loads its sticky docs once at start (the read begins in a microtask): one client.
    await act(settle);
    expect(store.getAllAssignments).toHaveBeenCalledTimes(1);
  });
});

describe('re-renders only the components whose result changed', () => {
  function setup() {
    const { client, exposures } = testClient();
    const { counts, count } = renderCounter();
    function Headline() {
      count('headline');
      return <p>{useFeatureIsOn('headline') ? 'new' : 'old'}</p>;
    }
    function Label() {
      count('label');
      return <p>{useFeatureValue('label', '')}</p>;
    }
    function Color() {
      count('color');
      return <p>color:{useFeatureValue('color', '')}</p>;
    }
    function Inline() {
      count('inline');
      return <p>inline:{useExperiment({ key: 'inline', variations: ['a', 'b'] }).value}</p>;
    }
    render(
      <SplitflapProvider client={client}>
        <Headline />
        <Label />
        <Color />
        <Inline />
      </SplitflapProvider>,
    );
    return { client, counts, exposures };
  }

  it('a change of attributes re-renders the feature it changes, nothing else', () => {
    const { client, counts } = setup();
    expect(counts).toEqual({ headline: 1, label: 1, color: 1, inline: 1 });
    act(() => client.setAttributes({ id: 'visitor-1', country: 'NL' }));
    expect(screen.getByText('new')).toBeTruthy();
    expect(counts).toEqual({ headline: 2, label: 1, color: 1, inline: 1 });
    // A notification that changes nothing re-renders nothing.
    act(() => client.setAttributes({ id: 'visitor-1', country: 'NL' }));
    expect(counts).toEqual({ headline: 2, label: 1, color: 1, inline: 1 });
  });

  it('a forced variation re-renders that experiment only', () => {
    const { client, counts } = setup();
    const current = client.getFeatureValue('color', '');
    const other = ['red', 'blue', 'green'].findIndex((c) => c !== current);
    act(() => client.setForcedVariations({ 'color-test': other }));
    expect(screen.getByText(`color:${['red', 'blue', 'green'][other]}`)).toBeTruthy();
    expect(counts).toEqual({ headline: 1, label: 1, color: 2, inline: 1 });
  });

  it('a new payload re-renders the features whose values changed', () => {
    const { client, counts } = setup();
    act(() => client.setFeatures({ ...features, label: { defaultValue: 'bonjour' } }));
    expect(screen.getByText('bonjour')).toBeTruthy();
    expect(counts).toEqual({ headline: 1, label: 2, color: 1, inline: 1 });
    // A new payload object with the same definitions: nothing changes.
    act(() => client.setFeatures(JSON.parse(JSON.stringify({ ...features, label: { defaultValue: 'bonjour' } }))));
    expect(counts).toEqual({ headline: 1, label: 2, color: 1, inline: 1 });
  });

  it('a change of identity re-renders experiments (exposed again for the new identity), not plain flags', () => {
    const { client, counts, exposures } = setup();
    expect(exposures.map(([key]) => key).sort()).toEqual(['color-test', 'inline']);
    act(() => client.setAttributes({ id: 'visitor-2', country: 'US' }));
    // hashValue is part of the result: both experiments re-render (and report the new identity).
    expect(counts).toEqual({ headline: 1, label: 1, color: 2, inline: 2 });
    expect(exposures.map(([key]) => key).sort()).toEqual(['color-test', 'color-test', 'inline', 'inline']);
  });

  it('sticky docs arriving re-render the experiment they change, nothing else', async () => {
    // Find the variation this visitor hashes into, and store another one for them.
    const { client: probe } = testClient();
    const hashed = probe.evalFeature('color', { track: false }).experimentResult!.key;
    const stored = ['r', 'b', 'g'].find((k) => k !== hashed)!;
    const doc: StickyAssignmentsDocument = { attributeName: 'id', attributeValue: 'visitor-1', assignments: { 'color-test__0': stored } };
    let answer!: () => void;
    const gate = new Promise<void>((resolve) => (answer = resolve));
    const inner = memoryStickyBucketStore([doc]);
    const store: StickyBucketStore = { ...inner, getAssignments: (n, v) => gate.then(() => inner.getAssignments(n, v)) };
    const { client, exposures } = testClient({ stickyBucketStore: store });
    const { counts, count } = renderCounter();
    function Color() {
      count('color');
      return <p>color:{useFeature('color').experimentResult!.key}</p>;
    }
    function Label() {
      count('label');
      return <p>{useFeatureValue('label', '')}</p>;
    }
    render(
      <SplitflapProvider client={client}>
        <Color />
        <Label />
      </SplitflapProvider>,
    );
    expect(screen.getByText(`color:${hashed}`)).toBeTruthy();
    await act(async () => {
      answer();
      await settle();
    });
    expect(screen.getByText(`color:${stored}`)).toBeTruthy();
    // Color: the first render, the stored variation, and `ready` turning true (part of its
    // result); Label (useFeatureValue gives no `ready`) is not re-rendered by either.
    expect(counts).toEqual({ color: 3, label: 1 });
    // The provisional variation is never reported: the core holds exposures made while stored
    // assignments load and reports only those the stored docs confirm.
    expect(exposures).toEqual([['color-test', stored]]);
  });
});

describe('exposure is logged when a result is committed, once', () => {
  it('Strict Mode double rendering and double effects report once', () => {
    const { client, exposures } = testClient();
    function Color() {
      const [, setN] = useState(0);
      return <button onClick={() => setN((n) => n + 1)}>{useFeatureValue('color', '')}</button>;
    }
    render(
      <StrictMode>
        <SplitflapProvider client={client}>
          <Color />
          <Color />
        </SplitflapProvider>
      </StrictMode>,
    );
    act(() => screen.getAllByRole('button')[0]!.click());
    expect(exposures).toEqual([['color-test', client.evalFeature('color', { track: false }).experimentResult!.key]]);
  });

  it('a render React throws away (suspended) reports nothing, and nothing is stored, until it commits', async () => {
    const store = memoryStickyBucketStore();
    const { client, exposures } = testClient({ stickyBucketStore: store });
    let release!: () => void;
    const data = new Promise<void>((resolve) => (release = resolve));
    let ready = false;
    void data.then(() => (ready = true));
    function Suspending() {
      const result = useExperiment({ key: 'suspense-test', variations: ['a', 'b'] });
      if (!ready) throw data;
      return <p>variant:{result.value}</p>;
    }
    render(
      <SplitflapProvider client={client}>
        <Suspense fallback={<p>loading</p>}>
          <Suspending />
        </Suspense>
      </SplitflapProvider>,
    );
    expect(screen.getByText('loading')).toBeTruthy();
    await settle();
    expect(exposures).toEqual([]);
    expect(store.docs.size).toBe(0);
    await act(async () => {
      release();
      await data;
    });
    expect(screen.getByText(/variant:/)).toBeTruthy();
    expect(exposures).toHaveLength(1);
    await settle();
    expect(store.docs.get('id||visitor-1')!.assignments).toHaveProperty('suspense-test__0');
  });

  it('evaluation with track: false records nothing; trackExposure reports once and stores the sticky bucket', async () => {
    const store = memoryStickyBucketStore();
    const { client, exposures } = testClient({ stickyBucketStore: store });
    await client.ready();
    const deferred: Parameters<Client['trackExposure']>[] = [];
    const result = client.evalFeature('color', { track: (e, r) => void deferred.push([e, r]) });
    client.evalFeature('color', { track: false });
    await settle();
    expect(exposures).toEqual([]);
    expect(store.docs.size).toBe(0);
    expect(deferred).toHaveLength(1);
    client.trackExposure(...deferred[0]!);
    client.trackExposure(...deferred[0]!);
    await settle();
    expect(exposures).toEqual([['color-test', result.experimentResult!.key]]);
    expect(store.docs.get('id||visitor-1')!.assignments).toEqual({ 'color-test__0': result.experimentResult!.key });
  });
});

describe('a missing provider is a clear error naming the hook or component', () => {
  const cases: [string, () => ReactNode][] = [
    ['useClient()', () => void useClient()],
    ['useFeature()', () => void useFeature('color')],
    ['useFeatureIsOn()', () => void useFeatureIsOn('color')],
    ['useFeatureValue()', () => void useFeatureValue('color', '')],
    ['useExperiment()', () => void useExperiment({ key: 'x', variations: [0, 1] })],
    ['useParticipate()', () => void useParticipate('x', ['a', 'b'])],
    ['useConvert()', () => void useConvert()],
    ['<Flag>', () => <Flag name="headline">on</Flag>],
    ['<Variant>', () => <Variant feature="color">{{ a: 'a', b: 'b' }}</Variant>],
    ['<SixpackVariant>', () => <SixpackVariant experiment="x">{{ a: 'a', b: 'b' }}</SixpackVariant>],
    ['<SplitflapReady>', () => <SplitflapReady>ready</SplitflapReady>],
  ];
  it.each(cases)('%s', (name, Component) => {
    expect(() => render(<Component />)).toThrow(`splitflap: ${name} must be used inside <SplitflapProvider>`);
  });
  afterEach(() => vi.mocked(console.error).mockClear());
});

describe('no React warnings', () => {
  it('renders the hooks above without a console error or warning', () => {
    const { client } = testClient();
    render(
      <StrictMode>
        <SplitflapProvider client={client}>
          <Flag name="headline" fallback={<p>old</p>}>
            <p>new</p>
          </Flag>
          <Variant feature="color">{(c) => <p>{String(c)}</p>}</Variant>
        </SplitflapProvider>
      </StrictMode>,
    );
    console_.expectClean();
  });
});
