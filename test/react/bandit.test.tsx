// @vitest-environment jsdom
/**
 * Bandit experiments in React (#7): useExperiment and useFeature re-render when the client's
 * bandit weights change (setBanditStats notifies subscribers).
 */
import { act, cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { SplitflapProvider, useExperiment, useFeature, type Client } from '../../react/index';
import { bandits } from '../../src/plugins/bandits';
import { testClient } from './helpers';

afterEach(cleanup);

const wrapperFor = (client: Client) =>
  function Wrapper({ children }: { children: ReactNode }) {
    return <SplitflapProvider client={client}>{children}</SplitflapProvider>;
  };

/** UCB1 plays an untried arm: one-hot weights on `arm`. */
const untried = (arm: number) => [0, 1].map((i) => (i === arm ? { participants: 0, conversions: 0 } : { participants: 10, conversions: 1 }));

describe('bandit weights in hooks', () => {
  it('useExperiment and useFeature re-render with new weights', async () => {
    const { client } = testClient({
      features: { hero: { defaultValue: 'x', rules: [{ key: 'hero-test', variations: ['x', 'y'], hashVersion: 2, bandit: { policy: 'ucb1' } }] } },
      plugins: [bandits({ stats: { 'hero-test': untried(0) } })],
    });
    await client.ready();
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders++;
        return {
          exp: useExperiment({ key: 'cta', variations: ['a', 'b'], hashVersion: 2, bandit: { policy: 'ucb1' } }),
          feature: useFeature('hero'),
        };
      },
      { wrapper: wrapperFor(client) },
    );
    expect(result.current.feature.value).toBe('x');
    await act(() => client.setBanditStats('cta', untried(0)));
    expect(result.current.exp.value).toBe('a');
    const before = renders;
    // This client keeps no sticky buckets, so the visitor follows the new weights.
    await act(() => client.setBanditStats('cta', untried(1)));
    expect(result.current.exp.value).toBe('b');
    await act(() => client.setBanditStats('hero-test', untried(1)));
    expect(result.current.feature.value).toBe('y');
    expect(renders).toBeGreaterThan(before);
    expect(client.getBandit('cta')!.weights).toEqual([0, 1]);
  });
});
