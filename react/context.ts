/**
 * The provider and the one piece of state the hooks share: the client, through context.
 */
import { createContext, createElement, useContext, useRef, type ReactNode } from 'react';
import { createClient, type Client, type ClientOptions, type FeatureMap, type RegisteredFeatures } from '../src/index';
import { same } from '../src/observer';

export { same };

/**
 * Declare your feature map once and every hook and component checks keys and values:
 *
 * ```ts
 * declare module 'splitflap/react' {
 *   interface Register { features: { headline: boolean; 'button-color': 'grey' | 'red' } }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-empty-object-type
export interface Register {}

/** The feature map registered here ({@link Register}), else the one registered with `splitflap`, else any string key with unknown values. */
export type Features = Register extends { features: infer F extends FeatureMap } ? F : RegisteredFeatures;

/** A feature key of the registered map. */
export type FeatureKey = keyof Features & string;

const SplitflapContext = createContext<Client<FeatureMap> | null>(null);

/** Props of {@link SplitflapProvider}: a client, or options to create one. */
export interface SplitflapProviderProps {
  /** The client to use (one per visitor; per request on servers). */
  client?: Client<FeatureMap>;
  /**
   * Options to create the client with, once (later changes are ignored). With `hydrate` (a
   * server's `client.getSnapshotForHydration()`) the first render matches the server's markup.
   */
  options?: ClientOptions;
  children?: ReactNode;
}

/**
 * Makes a Splitflap client available to the hooks and components below it.
 *
 * ```tsx
 * <SplitflapProvider client={client}><App /></SplitflapProvider>
 * <SplitflapProvider options={{ hydrate: window.__SPLITFLAP__ }}><App /></SplitflapProvider>
 * ```
 */
export function SplitflapProvider({ client, options, children }: SplitflapProviderProps): ReactNode {
  // A ref, not useState: Strict Mode calls state initialisers twice, and a client has side effects.
  const created = useRef<Client<FeatureMap> | null>(null);
  if (!client && !created.current) created.current = createClient(options);
  return createElement(SplitflapContext.Provider, { value: client || created.current }, children);
}

/** The provider's client, or a clear error naming `name` (a hook or component) when there is none. */
export function useClientFor(name: string): Client<Features> {
  const client = useContext(SplitflapContext);
  if (!client) throw new Error(`splitflap: ${name} must be used inside <SplitflapProvider>`);
  return client as Client<Features>;
}

/** The client of the nearest {@link SplitflapProvider}, typed with the registered feature map. */
export function useClient(): Client<Features> {
  return useClientFor('useClient()');
}

/** `value`, or the previous one while it holds the same data (inline objects keep one identity). */
export function useStable<T>(value: T): T {
  const ref = useRef(value);
  if (!same(ref.current, value)) ref.current = value;
  return ref.current;
}
