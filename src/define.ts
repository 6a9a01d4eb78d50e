/**
 * `splitflap/define`: flags as code. `defineFlags` takes flag definitions written in TypeScript
 * and returns them as a GrowthBook-format payload whose type carries every key and value type, so
 * `createClient({ features: flags.features })` checks keys and values with no type written by
 * hand. At run time it only shapes the object (no validation, no copy of the definitions): run
 * `checkPayload` from `splitflap/check` (or `npx splitflap check`) in CI for that.
 */
import type { FeatureMap, TypedFeatureDefinitions } from './api';

export type { TypedFeatureDefinitions };
import type { FeatureRule, SavedGroups } from './types';

/** One flag: its default value (which gives the flag its type) and ordered rules. */
export interface FlagDefinition<T> {
  /** The value when no rule applies; every forced value and variation has its type. */
  defaultValue: T;
  /** Forced values, rollouts and experiments, tried in order (GrowthBook's rule format). */
  rules?: FeatureRule<NoInfer<T>>[];
}

/** What {@link defineFlags} takes: the flags by key, and the saved groups their conditions use. */
export interface FlagsInput<M extends FeatureMap> {
  features: { [K in keyof M]: FlagDefinition<M[K]> };
  /** Group id → member values, for `$inGroup` / `$notInGroup`. */
  savedGroups?: SavedGroups;
}

/** A GrowthBook-format payload whose `features` carry their keys and value types. */
export interface DefinedFlags<M extends FeatureMap> {
  features: TypedFeatureDefinitions<M>;
  savedGroups?: SavedGroups;
}

/** The feature map (key → value type) of a payload made by {@link defineFlags}: `FlagsOf<typeof flags>`. */
export type FlagsOf<D> = D extends DefinedFlags<infer M> ? M : never;

/**
 * Flag definitions as a typed GrowthBook payload:
 *
 * ```ts
 * export const flags = defineFlags({
 *   features: {
 *     'new-checkout': { defaultValue: false, rules: [{ condition: { country: 'NZ' }, force: true }] },
 *     'button-color': { defaultValue: 'grey', rules: [{ key: 'button-test', variations: ['grey', 'red'], weights: [0.5, 0.5] }] },
 *   },
 * });
 * const client = createClient({ features: flags.features });
 * client.isOn('new-checkout'); // client.isOn('new-chekout') does not compile
 * ```
 *
 * A value's type is the default value's, widened (`false` → boolean, `'grey'` → string): a forced
 * value or a variation of another type does not compile. `JSON.stringify(flags)` is the payload.
 */
export function defineFlags<M extends FeatureMap>(definitions: FlagsInput<M>): DefinedFlags<M> {
  const { features, savedGroups } = definitions;
  return (savedGroups ? { features, savedGroups } : { features }) as DefinedFlags<M>;
}
