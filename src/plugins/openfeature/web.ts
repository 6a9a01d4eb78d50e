/**
 * The OpenFeature web provider: a Splitflap client behind `@openfeature/web-sdk` (and so
 * `@openfeature/react-sdk`). Resolution is synchronous and local; the static context becomes the
 * client's attributes; payload and override changes emit `PROVIDER_CONFIGURATION_CHANGED`.
 */
import type {
  ClientProviderEvents,
  EvaluationContext,
  JsonValue,
  Logger,
  ResolutionDetails,
  TrackingEventDetails,
} from '@openfeature/core';
import type { Client, FeatureMap } from '../../api';
import type { Attributes, FeatureDefinitions } from '../../types';
import type { SixpackMethods } from '../sixpack';
import { contextAttributes } from './context';
import { changedFlags, ProviderEvents } from './events';
import { resolveFlag, runsExperiments, type FlagType, type FlagValue } from './resolve';
import type { FlagKeyOf } from './typed';

const CONFIGURATION_CHANGED = 'PROVIDER_CONFIGURATION_CHANGED' as ClientProviderEvents.ConfigurationChanged;

/** The log line for OpenFeature's `track` on a client that cannot convert; said once per provider. */
export const TRACK_NEEDS_SIXPACK = 'Splitflap provider: track() needs a client with the sixpack() plugin; tracking events are ignored';

/** Converts for OpenFeature's `track`: a Sixpack conversion, `kpi` from the details when it is a string. */
export function trackAsConversion(client: Client, trackingEventName: string, details: TrackingEventDetails | undefined, logger: Pick<Logger, 'warn'>, warned: { done: boolean }): void {
  // `in`, not typeof: in development the app's client answers a missing plugin method with a
  // function that throws an explanation (dev.ts).
  const convert = 'convert' in client ? (client as Client & Partial<SixpackMethods>).convert : undefined;
  if (typeof convert !== 'function') {
    if (!warned.done) logger.warn(TRACK_NEEDS_SIXPACK);
    warned.done = true;
    return;
  }
  const kpi = details && typeof details.kpi === 'string' ? details.kpi : undefined;
  // convert never throws for a bad name: it resolves with a rejected status, or rejects.
  Promise.resolve()
    .then(() => convert(trackingEventName, kpi ? { kpi } : undefined))
    .catch((error: unknown) => logger.warn('Splitflap provider: convert failed', trackingEventName, error));
}

/**
 * An OpenFeature web provider over `client`:
 *
 * ```ts
 * await OpenFeature.setProviderAndWait(new SplitflapWebProvider(createClient({ plugins: [remote({ url })] })));
 * OpenFeature.getClient().getBooleanValue('new-checkout', false);
 * ```
 *
 * The client stays the app's: `onClose` only stops listening to it. A client typed with its
 * flags (`createClient({ features: flags.features })`) types the provider: see `typedFlags`.
 */
export class SplitflapWebProvider<F extends FeatureMap = FeatureMap> {
  readonly metadata = { name: 'Splitflap' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new ProviderEvents<ClientProviderEvents>();
  /** The attributes the client had when the provider was made; the context goes over them. */
  private readonly base: Attributes;
  /** The payload as last read from the client. */
  private definitions: FeatureDefinitions | undefined;
  /** While the provider itself sets attributes from a context. */
  private settingContext = false;
  private initialized = false;
  private unsubscribe: (() => void) | undefined;
  private logger: Pick<Logger, 'warn' | 'error'> = console;
  private readonly trackWarned = { done: false };
  private readonly experimentsOn = () => (this.experimentsRun ??= runsExperiments(this.client));
  private experimentsRun: boolean | undefined;

  constructor(readonly client: Client<F>) {
    this.base = client.getAttributes();
  }

  /** The payload the client evaluates (kept up to date while subscribed). */
  private payload(): FeatureDefinitions | undefined {
    return this.unsubscribe ? this.definitions : this.client.getSnapshotForHydration().features;
  }

  private changed(): void {
    if (this.settingContext) return; // attributes only: the SDK announces context changes itself
    const previous = this.definitions;
    const next = (this.definitions = this.client.getSnapshotForHydration().features);
    if (!this.initialized) return; // the SDK's PROVIDER_READY makes everyone evaluate anyway
    // The same payload object: forced values or sticky buckets changed, and any flag may have.
    const flagsChanged = previous !== next ? changedFlags(previous, next) : undefined;
    if (flagsChanged && flagsChanged.length === 0) return;
    this.events.emit(CONFIGURATION_CHANGED, flagsChanged ? { flagsChanged } : {});
  }

  private applyContext(context: EvaluationContext | undefined): void {
    this.settingContext = true;
    try {
      this.client.setAttributes(contextAttributes(context, this.base, (error) => this.logger.error('Splitflap provider: unreadable context', error)));
    } finally {
      this.settingContext = false;
    }
  }

  /** Applies `context` (when it has fields) and waits for the client's `ready()`. */
  async initialize(context?: EvaluationContext): Promise<void> {
    if (context && Object.keys(context).length) this.applyContext(context);
    if (!this.unsubscribe) {
      this.unsubscribe = this.client.subscribe(() => this.changed());
      this.definitions = this.client.getSnapshotForHydration().features;
    }
    await this.client.ready();
    this.initialized = true;
  }

  /**
   * The new context becomes the client's attributes. A new `targetingKey` is a new visitor: the
   * provider reconciles until their stored sticky buckets are in (the client's `ready()`).
   */
  onContextChange(oldContext: EvaluationContext, newContext: EvaluationContext): Promise<void> | void {
    this.applyContext(newContext);
    if ((oldContext && oldContext.targetingKey) !== (newContext && newContext.targetingKey)) return this.client.ready();
  }

  private resolve<T extends FlagValue>(flagKey: string, type: FlagType, defaultValue: T, logger: Logger | undefined): ResolutionDetails<T> {
    if (logger) this.logger = logger;
    return resolveFlag(this.client, flagKey, type, defaultValue, { definitions: this.payload(), experimentsOn: this.experimentsOn });
  }

  resolveBooleanEvaluation(flagKey: FlagKeyOf<F, boolean>, defaultValue: boolean, _context?: EvaluationContext, logger?: Logger): ResolutionDetails<boolean> {
    return this.resolve(flagKey, 'boolean', defaultValue, logger);
  }

  resolveStringEvaluation(flagKey: FlagKeyOf<F, string>, defaultValue: string, _context?: EvaluationContext, logger?: Logger): ResolutionDetails<string> {
    return this.resolve(flagKey, 'string', defaultValue, logger);
  }

  resolveNumberEvaluation(flagKey: FlagKeyOf<F, number>, defaultValue: number, _context?: EvaluationContext, logger?: Logger): ResolutionDetails<number> {
    return this.resolve(flagKey, 'number', defaultValue, logger);
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: FlagKeyOf<F, object>, defaultValue: T, _context?: EvaluationContext, logger?: Logger): ResolutionDetails<T> {
    return this.resolve(flagKey, 'object', defaultValue, logger);
  }

  /** A Sixpack conversion of experiment `trackingEventName` (`kpi` from the details), when the client has `sixpack()`. */
  track(trackingEventName: string, _context?: EvaluationContext, trackingEventDetails?: TrackingEventDetails): void {
    trackAsConversion(this.client, trackingEventName, trackingEventDetails, this.logger, this.trackWarned);
  }

  /** Stops listening to the client (which stays usable). */
  async onClose(): Promise<void> {
    if (this.unsubscribe) this.unsubscribe();
    this.unsubscribe = undefined;
    this.initialized = false;
  }
}
