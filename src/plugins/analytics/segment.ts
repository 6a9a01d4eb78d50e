/**
 * Segment: each event as `analytics.track(name, properties)`, with Segment's A/B testing spec
 * names for exposures (`Experiment Viewed`: experiment_id, experiment_name, variation_id,
 * variation_name).
 */
import type { Plugin } from '../../plugin';
import type { AnalyticsEvent } from './events';
import { forwarder, type AnalyticsMethods, type ForwardOptions } from './forward';
import { pageWindow } from '../../internal/env';

/** Analytics.js's `analytics`, as far as this plugin calls it. */
export interface SegmentAnalytics {
  track(event: string, properties?: Record<string, unknown>): unknown;
}

/** Options of {@link segment}. */
export interface SegmentOptions extends ForwardOptions {
  /** Default: `window.analytics`, looked up at each event (the snippet's stub queues until analytics.js loads). */
  analytics?: SegmentAnalytics;
  /** Default `Experiment Viewed`. */
  exposureEvent?: string;
  /** Default `Experiment Converted`. */
  conversionEvent?: string;
}

/** An event's Segment properties (fields without a value are left out). */
export function segmentProperties(event: AnalyticsEvent): Record<string, unknown> {
  const properties: Record<string, unknown> =
    event.type === 'exposure'
      ? {
          experiment_id: event.experiment,
          experiment_name: event.experimentName,
          variation_id: event.variation,
          variation_name: event.variationName,
          feature_id: event.feature ?? undefined,
          splitflap_client_id: event.clientId,
        }
      : { experiment_id: event.experiment, variation_id: event.variation, kpi: event.kpi, conversion_source: event.source, splitflap_client_id: event.clientId };
  for (const name of Object.keys(properties)) if (properties[name] === undefined) delete properties[name];
  return properties;
}

/** Forward exposures and conversions to Segment's `analytics.track`. */
export function segment(options: SegmentOptions = {}): Plugin<AnalyticsMethods> {
  return forwarder('segment', options, (host) => ({
    send(event) {
      const name = event.type === 'exposure' ? options.exposureEvent || 'Experiment Viewed' : options.conversionEvent || 'Experiment Converted';
      const page = pageWindow() as { analytics?: unknown } | undefined;
      const analytics = options.analytics || (page && (page.analytics as SegmentAnalytics | undefined));
      if (!analytics || typeof analytics.track !== 'function') return host.log('Analytics (segment): no analytics.track; event dropped', { event: name });
      analytics.track(name, segmentProperties(event));
    },
  }));
}
