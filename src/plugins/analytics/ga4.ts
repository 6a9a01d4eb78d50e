/**
 * Google Analytics 4: each event as `gtag('event', name, params)`, or, without gtag.js, pushed to
 * the Google Tag Manager `dataLayer` as `{ event: name, ...params }`. Parameters are snake_case,
 * GA4's convention (see the table in docs/analytics.md).
 */
import type { Plugin } from '../../plugin';
import type { AnalyticsEvent } from './events';
import { forwarder, type AnalyticsMethods, type ForwardOptions } from './forward';
import { pageWindow } from '../../internal/env';

/** gtag.js's `gtag` function, as far as this plugin calls it. */
export type Gtag = (command: 'event', eventName: string, params: Record<string, string | number>) => void;

/** Options of {@link ga4}. */
export interface Ga4Options extends ForwardOptions {
  /** Default: `window.gtag` when it is a function, looked up at each event. */
  gtag?: Gtag;
  /** Used without gtag: default `window.dataLayer` (created when missing). */
  dataLayer?: unknown[];
  /** The exposure event's name; default `experiment_viewed`. */
  exposureEvent?: string;
  /** The conversion event's name; default `experiment_converted`. */
  conversionEvent?: string;
}

/** An event's GA4 parameters (fields without a value are left out). */
export function ga4Params(event: AnalyticsEvent): Record<string, string | number> {
  const params: Record<string, string | number | undefined> =
    event.type === 'exposure'
      ? { experiment_id: event.experiment, variation_id: event.variation, experiment_name: event.experimentName, variation_name: event.variationName, feature_id: event.feature ?? undefined }
      : { experiment_id: event.experiment, variation_id: event.variation, kpi: event.kpi, conversion_source: event.source };
  for (const name of Object.keys(params)) if (params[name] === undefined) delete params[name];
  return params as Record<string, string | number>;
}

type GtagWindow = { gtag?: unknown; dataLayer?: unknown };

/** Forward exposures and conversions to GA4 through gtag.js or the GTM dataLayer. */
export function ga4(options: Ga4Options = {}): Plugin<AnalyticsMethods> {
  return forwarder('ga4', options, (host) => ({
    send(event) {
      const name = event.type === 'exposure' ? options.exposureEvent || 'experiment_viewed' : options.conversionEvent || 'experiment_converted';
      const params = ga4Params(event);
      const page = pageWindow() as GtagWindow | undefined;
      const gtag = options.gtag || (page && typeof page.gtag === 'function' ? (page.gtag as Gtag) : undefined);
      if (gtag) return gtag('event', name, params);
      let dataLayer = options.dataLayer;
      if (!dataLayer && page) dataLayer = Array.isArray(page.dataLayer) ? page.dataLayer : (page.dataLayer = []) as unknown[];
      if (!dataLayer) return host.log('Analytics (ga4): no gtag and no dataLayer (not a browser?); event dropped', { event: name });
      dataLayer.push({ event: name, ...params });
    },
  }));
}
