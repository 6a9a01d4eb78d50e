/**
 * OpenFeature evaluation contexts as Splitflap attributes: `targetingKey` is the `id` (what
 * experiments hash on by default), every other field is an attribute of the same name. Dates
 * become ISO strings, which GrowthBook conditions compare in time order.
 */
import type { EvaluationContext, EvaluationContextValue } from '@openfeature/core';
import type { Attributes } from '../../types';

/** Nesting deeper than this is dropped (a cyclic context must not hang evaluation). */
const MAX_DEPTH = 16;

function attributeValue(value: EvaluationContextValue, depth: number): unknown {
  if (value instanceof Date) return isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) return value.map((item) => attributeValue(item, depth + 1));
  const copy: Attributes = Object.create(null);
  for (const key of Object.keys(value)) copy[key] = attributeValue(value[key]!, depth + 1);
  return copy;
}

/**
 * `context` as attributes, over `base` (the attributes the client was created with). Without a
 * `targetingKey` the id stays `base.id`. A context that cannot be read (a throwing getter) gives
 * `base`, and `onError` hears why.
 */
export function contextAttributes(context: EvaluationContext | undefined, base: Attributes, onError: (error: unknown) => void): Attributes {
  // Null prototype: a context field named `__proto__` is just an attribute.
  const attributes: Attributes = Object.assign(Object.create(null), base);
  if (!context) return attributes;
  try {
    for (const key of Object.keys(context)) {
      if (key === 'targetingKey') continue;
      attributes[key] = attributeValue(context[key]!, 0);
    }
    if (context.targetingKey != null && context.targetingKey !== '') attributes.id = String(context.targetingKey);
  } catch (error) {
    onError(error);
    return Object.assign(Object.create(null), base);
  }
  return attributes;
}
