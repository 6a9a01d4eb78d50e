/**
 * Typed flag keys for OpenFeature clients. OpenFeature's `getBooleanValue(key, …)` takes any
 * string; `typedFlags(client, provider)` gives the same client back, typed with the provider's
 * flags: a key that is not a flag of that value type does not compile. Types only: the function
 * returns its argument.
 */
import type { EvaluationDetails, JsonValue } from '@openfeature/core';
import type { FeatureMap } from '../../api';
import type { SplitflapServerProvider } from './server';
import type { SplitflapWebProvider } from './web';

/** The keys of `F` whose values are of type `V` (any string when `F` is not a known map). */
export type FlagKeyOf<F extends FeatureMap, V> = string extends keyof F ? string : { [K in keyof F & string]: F[K] extends V ? K : never }[keyof F & string];

/** The arguments of an OpenFeature evaluation method after the key and the default value. */
type Rest<M> = M extends (key: never, fallback: never, ...rest: infer R) => unknown ? R : never;
/** `T`, or a promise of it when the OpenFeature client (the server's) returns promises. */
type Out<M, T> = M extends (...args: never[]) => Promise<unknown> ? Promise<T> : T;

type Method = (key: string, fallback: never, ...rest: never[]) => unknown;

/** The evaluation methods an OpenFeature client (web or server) has. */
export interface OpenFeatureEvaluations {
  getBooleanValue: Method;
  getBooleanDetails: Method;
  getStringValue: Method;
  getStringDetails: Method;
  getNumberValue: Method;
  getNumberDetails: Method;
  getObjectValue: Method;
  getObjectDetails: Method;
}

/** An OpenFeature client `C` whose evaluation methods only take the keys of `F` of their type. */
export type TypedFlagClient<F extends FeatureMap, C extends OpenFeatureEvaluations> = Omit<C, keyof OpenFeatureEvaluations> & {
  getBooleanValue(flagKey: FlagKeyOf<F, boolean>, defaultValue: boolean, ...rest: Rest<C['getBooleanValue']>): Out<C['getBooleanValue'], boolean>;
  getBooleanDetails(flagKey: FlagKeyOf<F, boolean>, defaultValue: boolean, ...rest: Rest<C['getBooleanDetails']>): Out<C['getBooleanDetails'], EvaluationDetails<boolean>>;
  getStringValue(flagKey: FlagKeyOf<F, string>, defaultValue: string, ...rest: Rest<C['getStringValue']>): Out<C['getStringValue'], string>;
  getStringDetails(flagKey: FlagKeyOf<F, string>, defaultValue: string, ...rest: Rest<C['getStringDetails']>): Out<C['getStringDetails'], EvaluationDetails<string>>;
  getNumberValue(flagKey: FlagKeyOf<F, number>, defaultValue: number, ...rest: Rest<C['getNumberValue']>): Out<C['getNumberValue'], number>;
  getNumberDetails(flagKey: FlagKeyOf<F, number>, defaultValue: number, ...rest: Rest<C['getNumberDetails']>): Out<C['getNumberDetails'], EvaluationDetails<number>>;
  getObjectValue<T extends JsonValue>(flagKey: FlagKeyOf<F, object>, defaultValue: T, ...rest: Rest<C['getObjectValue']>): Out<C['getObjectValue'], T>;
  getObjectDetails<T extends JsonValue>(flagKey: FlagKeyOf<F, object>, defaultValue: T, ...rest: Rest<C['getObjectDetails']>): Out<C['getObjectDetails'], EvaluationDetails<T>>;
};

/** The feature map of a Splitflap provider (web or server). */
export type ProviderFlags<P> = P extends SplitflapWebProvider<infer F> ? F : P extends SplitflapServerProvider<infer F> ? F : FeatureMap;

/**
 * `client` (from `OpenFeature.getClient()`), typed with the flags of `provider`:
 *
 * ```ts
 * const provider = new SplitflapWebProvider(createClient({ features: flags.features }));
 * const of = typedFlags(OpenFeature.getClient(), provider);
 * of.getBooleanValue('new-checkout', false); // of.getBooleanValue('button-color', false) does not compile
 * ```
 */
export function typedFlags<C extends OpenFeatureEvaluations, P extends SplitflapWebProvider | SplitflapServerProvider>(client: C, provider: P): TypedFlagClient<ProviderFlags<P>, C> {
  void provider;
  return client as unknown as TypedFlagClient<ProviderFlags<P>, C>;
}
