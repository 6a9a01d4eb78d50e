// @vitest-environment jsdom
/**
 * <TestSplitflapProvider>: a test sets flag values and variants directly; no network, storage
 * or cookies are touched.
 */
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TestSplitflapProvider } from '../../react/testing';
import {
  Flag,
  useExperiment,
  useFeature,
  useFeatureIsOn,
  useFeatureValue,
  Variant,
} from '../../react/index';
import { SixpackVariant, useConvert, useParticipate } from '../../react/sixpack';
import { watchConsole } from './helpers';

afterEach(cleanup);
const console_ = watchConsole();
const fetchSpy = vi.fn();
beforeEach(() => {
  vi.stubGlobal('fetch', fetchSpy);
  document.cookie.split(';').forEach((c) => (document.cookie = c.split('=')[0] + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT'));
});
afterEach(() => vi.unstubAllGlobals());

/** A component as an app would write it. */
function Page() {
  const limit = useFeatureValue('limit', 5);
  const copy = useExperiment({ key: 'headline-copy', variations: ['Save time', 'Save money'], meta: [{ key: 'time' }, { key: 'money' }] });
  const cta = useParticipate('cta-color', ['red', 'blue']);
  const convert = useConvert();
  return (
    <main>
      <Flag name="headline" fallback={<h1>Old</h1>}>
        <h1>New</h1>
      </Flag>
      <p>limit {limit}</p>
      <p>copy {copy.value}</p>
      <button onClick={() => void convert('cta-color', { kpi: 'click' })}>{cta.alternative}</button>
      <Variant experiment={{ key: 'layout', variations: ['grid', 'list'] }}>{{ grid: <p>grid</p>, list: <p>list</p> }}</Variant>
      <SixpackVariant experiment="size">{{ small: <p>small</p>, large: <p>large</p> }}</SixpackVariant>
      <p>beta {String(useFeatureIsOn('beta'))}</p>
    </main>
  );
}

describe('<TestSplitflapProvider>', () => {
  it('sets flags and variants directly', async () => {
    const onConvert = vi.fn();
    render(
      <TestSplitflapProvider
        features={{ headline: true, limit: 20 }}
        variants={{ 'headline-copy': 'money', layout: 'list', 'cta-color': 'blue', size: 'large' }}
        onConvert={onConvert}
      >
        <Page />
      </TestSplitflapProvider>,
    );
    expect(screen.getByText('New')).toBeTruthy();
    expect(screen.getByText('limit 20')).toBeTruthy();
    expect(screen.getByText('copy Save money')).toBeTruthy();
    expect(screen.getByText('list')).toBeTruthy();
    expect(screen.getByText('large')).toBeTruthy();
    // The Sixpack variant renders at once, not after a round trip.
    expect(screen.getByRole('button').textContent).toBe('blue');
    expect(screen.getByText('beta false')).toBeTruthy();
    await act(async () => screen.getByRole('button').click());
    expect(onConvert).toHaveBeenCalledWith('cta-color', { kpi: 'click' });
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(document.cookie).toBe('');
    console_.expectClean();
  });

  it('unset flags are unknown and unset experiments give the control', () => {
    render(
      <TestSplitflapProvider>
        <Page />
      </TestSplitflapProvider>,
    );
    expect(screen.getByText('Old')).toBeTruthy();
    expect(screen.getByText('limit 5')).toBeTruthy();
    expect(screen.getByRole('button').textContent).toBe('red');
    expect(screen.getByText('small')).toBeTruthy();
  });

  it('new props re-render the components they change', () => {
    let renders = 0;
    function Headline() {
      renders++;
      return <p>{useFeature('headline').value ? 'on' : 'off'}</p>;
    }
    function Copy() {
      return <p>{useExperiment({ key: 'copy', variations: ['a', 'b'] }).value}</p>;
    }
    const { rerender } = render(
      <TestSplitflapProvider features={{ headline: false }} variants={{ copy: 'a' }}>
        <Headline />
        <Copy />
      </TestSplitflapProvider>,
    );
    expect(screen.getByText('off')).toBeTruthy();
    expect(screen.getByText('a')).toBeTruthy();
    rerender(
      <TestSplitflapProvider features={{ headline: true }} variants={{ copy: 'b' }}>
        <Headline />
        <Copy />
      </TestSplitflapProvider>,
    );
    expect(screen.getByText('on')).toBeTruthy();
    expect(screen.getByText('b')).toBeTruthy();
    const before = renders;
    // Equal props (new objects): nothing re-renders.
    rerender(
      <TestSplitflapProvider features={{ headline: true }} variants={{ copy: 'b' }}>
        <Headline />
        <Copy />
      </TestSplitflapProvider>,
    );
    expect(renders).toBe(before + 1); // the parent re-rendered it; no extra render from the client
  });
});
