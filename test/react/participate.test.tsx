// @vitest-environment jsdom
/**
 * Sixpack mode in React: useParticipate renders the remembered or control alternative at once
 * (never undefined), asks the server after commit (once, Strict Mode included), and useConvert
 * counts a conversion. Against the example Sixpack server on 127.0.0.1.
 */
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { Component, StrictMode, type ReactNode } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryQueue, sixpack } from '../../src/plugins/sixpack';
import { memoryStickyBucketStore } from '../../src/sticky';
import { SplitflapProvider, type ClientOptions } from '../../react/index';
import { useConvert, useParticipate, type ParticipateState } from '../../react/sixpack';
import { clientFor, startSixpack, type RunningSixpack } from '../helpers/sixpack-server';
import { settle, testClient, watchConsole } from './helpers';

const ALTS = ['red', 'blue'];
let sp: RunningSixpack;
const requests: string[] = [];
beforeAll(async () => (sp = await startSixpack({ log: (line) => requests.push(line) })));
afterAll(() => sp.close());
afterEach(cleanup);
const console_ = watchConsole();

const participations = (experiment: string) => requests.filter((l) => l.includes('/participate?') && l.includes(`experiment=${experiment}&`));

/** A client with the sixpack plugin against the example server. */
function setup(id: string, options: Omit<ClientOptions, 'plugins'> = {}) {
  return testClient({ ...options, plugins: [sixpack({ baseUrl: sp.url, queue: memoryQueue() })] }, id);
}

/** Renders the CTA and records every state it rendered. */
function Cta({ experiment, states }: { experiment: string; states: ParticipateState[] }) {
  const state = useParticipate(experiment, ALTS);
  states.push(state);
  const convert = useConvert();
  return (
    <button data-source={state.source} onClick={() => void convert(experiment)}>
      {state.alternative}
    </button>
  );
}

class Boundary extends Component<{ children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    return this.state.error ? <p>error: {this.state.error.message}</p> : this.props.children;
  }
}

describe('useParticipate / useConvert', () => {
  it('the control at once, then the server\'s alternative; a click converts', async () => {
    const id = clientFor('cta-a', ALTS, 1, 'react-');
    const { client } = setup(id);
    const states: ParticipateState[] = [];
    render(
      <SplitflapProvider client={client}>
        <Cta experiment="cta-a" states={states} />
      </SplitflapProvider>,
    );
    expect(states[0]).toEqual({ alternative: 'red', ready: false, source: 'pending' });
    await waitFor(() => expect(screen.getByRole('button').textContent).toBe('blue'));
    expect(states.at(-1)).toEqual({ alternative: 'blue', ready: true, source: 'server', error: undefined });
    expect(states.every((s) => ALTS.includes(s.alternative))).toBe(true);

    await act(async () => {
      screen.getByRole('button').click();
      await settle();
    });
    await waitFor(async () => {
      const stats = (await sp.get('/experiments/cta-a')).json;
      expect(stats.alternatives.find((a: { name: string }) => a.name === 'blue').completed_count).toBe(1);
    });
    console_.expectClean();
  });

  it('a returning visitor sees the remembered alternative at once (after ready), never the control', async () => {
    const id = clientFor('cta-b', ALTS, 1, 'returning-');
    const store = memoryStickyBucketStore([{ attributeName: 'sixpack_client_id', attributeValue: id, assignments: { 'sixpack:cta-b__0': 'blue' } }]);
    const { client } = setup(id, { stickyBucketStore: store });
    await client.ready();
    const states: ParticipateState[] = [];
    render(
      <SplitflapProvider client={client}>
        <Cta experiment="cta-b" states={states} />
      </SplitflapProvider>,
    );
    expect(states[0]).toEqual({ alternative: 'blue', ready: false, source: 'sticky' });
    await waitFor(() => expect(states.at(-1)!.ready).toBe(true));
    expect(states.map((s) => s.alternative)).not.toContain('red');
    // The request still went out, so the server keeps counting.
    expect(participations('cta-b')).toHaveLength(1);
  });

  it('Strict Mode: one request; two components on one experiment agree', async () => {
    const id = clientFor('cta-c', ALTS, 1, 'strict-');
    const { client } = setup(id, { stickyBucketStore: memoryStickyBucketStore() });
    const a: ParticipateState[] = [];
    const b: ParticipateState[] = [];
    render(
      <StrictMode>
        <SplitflapProvider client={client}>
          <Cta experiment="cta-c" states={a} />
          <Cta experiment="cta-c" states={b} />
        </SplitflapProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getAllByRole('button').map((el) => el.textContent)).toEqual(['blue', 'blue']));
    await act(settle);
    expect(participations('cta-c')).toHaveLength(1);
    // The answer is remembered: a component mounted later renders it at once.
    const late: ParticipateState[] = [];
    render(
      <SplitflapProvider client={client}>
        <Cta experiment="cta-c" states={late} />
      </SplitflapProvider>,
    );
    expect(late[0]).toMatchObject({ alternative: 'blue', source: 'sticky' });
  });

  it('the server down: the control, answered as a fallback', async () => {
    const { client } = testClient({ plugins: [sixpack({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 200, queue: memoryQueue() })] }, 'offline-visitor');
    const states: ParticipateState[] = [];
    render(
      <SplitflapProvider client={client}>
        <Cta experiment="cta-d" states={states} />
      </SplitflapProvider>,
    );
    await waitFor(() => expect(states.at(-1)!.ready).toBe(true));
    expect(states.at(-1)).toMatchObject({ alternative: 'red', source: 'fallback' });
    expect(states.at(-1)!.error).toBeDefined();
    expect(states.every((s) => s.alternative === 'red')).toBe(true);
  });

  it('a programmer error (an invalid experiment name) reaches the error boundary', async () => {
    const { client } = setup('bad-name-visitor');
    render(
      <SplitflapProvider client={client}>
        <Boundary>
          <Cta experiment="Not a valid name!" states={[]} />
        </Boundary>
      </SplitflapProvider>,
    );
    expect(await screen.findByText(/error: invalid experiment name/)).toBeTruthy();
  });
});
