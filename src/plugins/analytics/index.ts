/**
 * `splitflap/analytics`: exposures and conversions delivered to GA4, Segment or any HTTP
 * endpoint, once per visitor, experiment and variation within a window that survives reloads.
 *
 * ```ts
 * const client = createClient({ plugins: [sixpack({ baseUrl }), ga4(), endpoint({ url: '/collect' })] });
 * ```
 *
 * Each plugin receives every exposure and conversion; import only the ones you use.
 */
export { ga4, ga4Params, type Ga4Options, type Gtag } from './ga4';
export { segment, segmentProperties, type SegmentAnalytics, type SegmentOptions } from './segment';
export { batchBodies, endpoint, type EndpointOptions } from './endpoint';
export { DEFAULT_DEDUPE_WINDOW_MS, forwarder, type AnalyticsMethods, type ForwardOptions, type Sink } from './forward';
export { exposureLedger, type ExposureLedger } from './ledger';
export type { AnalyticsEvent, ConversionEvent, ExposureEvent } from './events';
