/**
 * `splitflap/baseplate`: named experiments with `variant(name)` and `expose(name, variant)`,
 * in the style of Reddit's baseplate. `loadBaseplateConfig` reads baseplate's experiment config
 * file and buckets exactly as baseplate does (sha1 allocators, targeting, overrides).
 *
 * ```ts
 * const client = createClient({ plugins: [baseplate(loadBaseplateConfig(json))] });
 * client.variant('new-checkout', { user_id: 't2_1' });
 * ```
 */
import { isObject } from '../../conditions';
import type { Plugin } from '../../plugin';
import { stickyValue } from '../../sticky';
import type { Attributes, Experiment, ExperimentResult } from '../../types';

export { chooseVariant, loadBaseplateConfig } from './choose';
export { parseBaseplateConfig } from './config';
export type { VariantChoice, VariantExperiment } from './types';

/**
 * A named experiment for `variant()`: an {@link Experiment} keyed by its name, whose variations
 * are variant names, or one that brings its own bucketing (`choose`, as `loadBaseplateConfig` makes).
 */
export interface NamedExperiment extends Partial<Experiment<string>> {
  /** The variant for these attributes, and the bucketing event to log for it, if any. */
  choose?(attributes: Attributes, nowSeconds: number): { variant: string | null; event?: [Experiment, ExperimentResult] };
}

/** What {@link baseplate} adds to the client. */
export interface BaseplateMethods {
  /**
   * The variant of experiment `name` for this visitor, or `null` when they are not in it (or it
   * is unknown or malformed). The bucketing event is logged at most once per (experiment,
   * visitor, variant). `attributes` are merged over the client's for this call.
   */
  variant(name: string, attributes?: Attributes): string | null;
  /** Log an exposure of `variant` of experiment `name` explicitly (never deduplicated). */
  expose(name: string, variant: string): void;
}

/** A definition as the experiment of evaluation and events: keyed by name, without `choose`. */
function eventExperiment(name: string, definition: NamedExperiment, variations: string[]): Experiment {
  const { choose, ...experiment } = definition;
  return { ...experiment, variations: Array.isArray(experiment.variations) ? experiment.variations : variations, key: name };
}

/** `variant()`/`expose()` over `experiments` (e.g. from {@link loadBaseplateConfig}). */
export function baseplate(experiments: Record<string, NamedExperiment>): Plugin<BaseplateMethods> {
  // Not an object (null, a string from a bad config): no experiments, so every variant() is null.
  const definitions: Record<string, unknown> = isObject(experiments) ? experiments : {};
  return (host) => {
    const definitionOf = (name: string): NamedExperiment | undefined => {
      const definition = typeof name === 'string' && Object.prototype.hasOwnProperty.call(definitions, name) ? definitions[name] : undefined;
      return isObject(definition) ? definition : undefined;
    };
    return {
      variant(name, attributes) {
        const definition = definitionOf(name);
        if (!definition) return null;
        const extra = isObject(attributes) ? attributes : undefined;
        try {
          if (typeof definition.choose === 'function') {
            const { variant, event } = definition.choose({ ...host.read().attributes, ...extra }, Date.now() / 1000);
            if (event) host.expose(event[0], event[1], name + '|' + event[1].hashValue + '|' + variant);
            return variant;
          }
          if (!Array.isArray(definition.variations)) throw new TypeError('variations must be an array');
          const result = host.run(eventExperiment(name, definition, []), extra);
          return result.inExperiment ? String(result.value) : null;
        } catch (error) {
          host.log('variant() failed; not in the experiment', { experiment: name, error });
          return null;
        }
      },
      expose(name, variant) {
        if (typeof name !== 'string' || typeof variant !== 'string') {
          host.log('expose() needs an experiment name and a variant name; ignored', { experiment: name, variant });
          return;
        }
        const definition = definitionOf(name) || {};
        const experiment = eventExperiment(name, definition, [variant]);
        const hashAttribute = typeof definition.hashAttribute === 'string' ? definition.hashAttribute : 'id';
        let hashValue = '';
        try {
          hashValue = stickyValue(host.read().attributes[hashAttribute] ?? '');
        } catch (error) {
          // A BigInt or cyclic attribute value: the event still goes out, without a hash value.
          host.log('expose(): the hash attribute cannot be written as text', { experiment: name, error });
        }
        host.expose(experiment, {
          key: variant,
          value: variant,
          variationId: Math.max(0, experiment.variations.indexOf(variant)),
          inExperiment: true,
          hashUsed: false,
          hashAttribute,
          hashValue,
          featureId: null,
          stickyBucketUsed: false,
        });
      },
    };
  };
}
