'use client';
/**
 * `splitflap/sixpack/react`: Sixpack mode in React, next to the Sixpack plugin rather than in
 * `splitflap/react`, so an app without Sixpack mode ships none of it. The client given to
 * `<SplitflapProvider>` must have the `sixpack()` plugin.
 *
 * ```tsx
 * const { alternative } = useParticipate('button-color', ['grey', 'red']);
 * <SixpackVariant experiment="button-color" alternatives={['grey', 'red']}>{(color) => <Buy color={color} />}</SixpackVariant>
 * ```
 */
import { useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { Client } from '../src/index';
import type { ParticipateOptions, ParticipateResult, SixpackMethods } from '../src/plugins/sixpack';
import { pick, type VariantChildren } from './components';
import { useClientFor, useStable, type Features } from './context';

export type { ConvertResult, ParticipateOptions, ParticipateResult } from '../src/plugins/sixpack';

/** What {@link useParticipate} gives: never without an alternative. */
export interface ParticipateState {
  /** The server's answer once `ready`; before, the remembered alternative, else the control (first). */
  alternative: string;
  /** Whether the server (or the fallback after a failure) has answered. */
  ready: boolean;
  /** `'pending'` until answered (`'sticky'` when a remembered answer is shown meanwhile). */
  source: ParticipateResult['source'] | 'pending';
  error?: ParticipateResult['error'];
}

/** `useParticipate` for `name`. */
function useParticipateFor(name: string, experiment: string, alternatives: string[], options?: ParticipateOptions): ParticipateState {
  const client = sixpackClient(useClientFor(name), name);
  const args = useStable<[string, string[], ParticipateOptions | undefined]>([experiment, alternatives, options]);
  const remembered = useSyncExternalStore(
    client.subscribe,
    () => client.getParticipation(experiment),
    () => client.getParticipation(experiment, { hydrating: true }),
  );
  const [answer, setAnswer] = useState<[typeof args, ParticipateResult]>();
  useEffect(() => {
    let mounted = true;
    client.participate(...args).then(
      (result) => mounted && setAnswer([args, result]),
      // Programmer errors (bad names, no sixpack.baseUrl) go to the nearest error boundary.
      (error: unknown) =>
        mounted &&
        setAnswer(() => {
          throw error;
        }),
    );
    return () => void (mounted = false);
  }, [client, args]);
  if (answer && answer[0] === args) {
    const { alternative, source, error } = answer[1];
    return { alternative, ready: true, source, error };
  }
  const known = !(options && options.force != null) && remembered && alternatives.indexOf(remembered) >= 0 ? remembered : undefined;
  return { alternative: known || alternatives[0]!, ready: false, source: known ? 'sticky' : 'pending' };
}

/**
 * Sixpack mode: the visitor's alternative of `experiment`. Renders the remembered alternative
 * (or the control) at once and asks the server after the component commits; re-renders with the
 * answer. On any failure the control is kept (`source: 'fallback'`).
 */
export function useParticipate(experiment: string, alternatives: string[], options?: ParticipateOptions): ParticipateState {
  return useParticipateFor('useParticipate()', experiment, alternatives, options);
}

/** Sixpack mode: a stable `convert(experiment, { kpi })` (queued and retried until delivered). */
export function useConvert(): SixpackMethods['convert'] {
  return sixpackClient(useClientFor('useConvert()'), 'useConvert()').convert;
}

/** The client as a Sixpack client, or a clear error naming `name` when it has no Sixpack plugin. */
function sixpackClient(client: Client<Features>, name: string): Client<Features> & SixpackMethods {
  const candidate = client as Client<Features> & Partial<SixpackMethods>;
  // `in`, not typeof: in development a missing plugin method reads as a function that throws (see createClient).
  if (!('participate' in candidate) || !('getParticipation' in candidate)) {
    throw new Error(`splitflap: ${name} needs a client with the Sixpack plugin: createClient({ plugins: [sixpack({ baseUrl })] })`);
  }
  return candidate as Client<Features> & SixpackMethods;
}

/** Props of {@link SixpackVariant}. */
export interface SixpackVariantProps {
  /** The experiment's name on the Sixpack server. */
  experiment: string;
  /** The alternatives, control first; default the keys of `children` when it is an object. */
  alternatives?: string[];
  options?: ParticipateOptions;
  children: VariantChildren<string>;
}

/**
 * Renders the visitor's alternative of a Sixpack experiment, from a render function or one child
 * per alternative; the remembered alternative (or the control) until the server answers.
 */
export function SixpackVariant({ experiment, alternatives, options, children }: SixpackVariantProps): ReactNode {
  const state = useParticipateFor('<SixpackVariant>', experiment, alternatives || Object.keys(children), options);
  return pick(children, state.alternative);
}
