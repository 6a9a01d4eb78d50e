/**
 * The events the analytics plugins deliver, one shape for every target (the table in docs/analytics.md
 * documents each field for the queries a data team writes). GA4 and Segment receive them renamed
 * to their own conventions (see ga4.ts, segment.ts); the endpoint plugin posts them as they are.
 */
import { generateClientId } from '../../identity';
import type { Experiment, ExperimentResult } from '../../types';

/** A visitor was put into an experiment (reported once per visitor, experiment and variation). */
export interface ExposureEvent {
  type: 'exposure';
  /** A random UUID v4 of this event: deliveries that may repeat (retries) can be told apart. */
  id: string;
  /** When it happened, ISO 8601 in UTC. */
  timestamp: string;
  /** The Splitflap visitor id (`sixpack_client_id` cookie in browsers). */
  clientId: string;
  /** The experiment key. */
  experiment: string;
  /** The experiment's `name`, when the payload gives one. */
  experimentName?: string;
  /** The variation key: `meta[i].key`, else the index as a string. What sticky buckets store. */
  variation: string;
  /** The variation index (0 = control). */
  variationId: number;
  /** `meta[i].name`, when given. */
  variationName?: string;
  /** The feature whose experiment rule this is; null for inline experiments (`client.run`). */
  feature: string | null;
  /** The attribute that was hashed (`id` unless the rule says otherwise). */
  hashAttribute: string;
  /** Its value: the identity that was bucketed. */
  hashValue: string;
}

/** A visitor converted: a Sixpack `convert` call or a `splitflap:convert` DOM event. */
export interface ConversionEvent {
  type: 'conversion';
  id: string;
  timestamp: string;
  clientId: string;
  /** The experiment the conversion counts for. */
  experiment: string;
  /** The KPI, when the conversion names one. */
  kpi?: string;
  /** The visitor's variation of `experiment`, when this client knows it (an exposure, or a Sixpack answer). */
  variation?: string;
  /** `sixpack`: `client.convert`; `dom`: a `splitflap:convert` event (markup's `data-convert`, goal URLs, page code). */
  source: 'sixpack' | 'dom';
}

/** Every event an analytics plugin delivers. */
export type AnalyticsEvent = ExposureEvent | ConversionEvent;

const stamp = (clientId: string) => ({ id: generateClientId(), timestamp: new Date().toISOString(), clientId });

export function exposureEvent(clientId: string, experiment: Experiment, result: ExperimentResult): ExposureEvent {
  const event: ExposureEvent = {
    type: 'exposure',
    ...stamp(clientId),
    experiment: experiment.key,
    variation: result.key,
    variationId: result.variationId,
    feature: result.featureId,
    hashAttribute: result.hashAttribute,
    hashValue: String(result.hashValue),
  };
  if (typeof experiment.name === 'string') event.experimentName = experiment.name;
  if (typeof result.name === 'string') event.variationName = result.name;
  return event;
}

export function conversionEvent(clientId: string, experiment: string, kpi: string | undefined, variation: string | undefined, source: ConversionEvent['source']): ConversionEvent {
  const event: ConversionEvent = { type: 'conversion', ...stamp(clientId), experiment, source };
  if (kpi) event.kpi = kpi;
  if (variation !== undefined) event.variation = variation;
  return event;
}
