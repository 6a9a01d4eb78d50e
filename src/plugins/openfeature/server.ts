/**
 * The OpenFeature server provider: every resolution gets its own Splitflap client, made for that
 * evaluation context over one shared payload (clients are cheap, and features compile once per
 * payload object, not per client).
 */
import type { EvaluationContext, JsonValue, Logger, ResolutionDetails, ServerProviderEvents, TrackingEventDetails } from '@openfeature/core';
import type { Client, ClientOptions, FeatureMap } from '../../api';
import { createClient } from '../../client';
import type { Plugin } from '../../plugin';
import type { FeatureDefinitions, SavedGroups } from '../../types';
import { contextAttributes } from './context';
import { changedFlags, ProviderEvents } from './events';
import { resolveFlag, type FlagType, type FlagValue } from './resolve';
import type { FlagKeyOf } from './typed';
import { trackAsConversion } from './web';

const CONFIGURATION_CHANGED = 'PROVIDER_CONFIGURATION_CHANGED' as ServerProviderEvents.ConfigurationChanged;

/** Options of {@link SplitflapServerProvider}: the core's options for every per-request client, plus `source`. */
export interface SplitflapServerProviderOptions<F extends FeatureMap = FeatureMap> extends Omit<ClientOptions<readonly Plugin[], F>, 'clientId' | 'attributes' | 'cookie' | 'hydrate'> {
  /**
   * A long-lived client whose payload every evaluation uses, e.g. one with `remote({ url,
   * refreshMs })`: `initialize` waits for its `ready()`, and each payload it receives emits
   * `PROVIDER_CONFIGURATION_CHANGED`. Without it, `features` (and `setFeatures`) are the payload.
   */
  source?: Client<F>;
}

/**
 * An OpenFeature server provider:
 *
 * ```ts
 * const source = createClient({ cookie: false, plugins: [remote({ url, refreshMs: 60_000 })] });
 * await OpenFeature.setProviderAndWait(new SplitflapServerProvider({ source }));
 * await OpenFeature.getClient().getBooleanValue('new-checkout', false, { targetingKey: userId, country });
 * ```
 *
 * The context's `targetingKey` is the client id and the `id` attribute; its other fields are
 * attributes. Without a `targetingKey` nobody is hashed into experiments (no id to hash). Typed
 * `features` (from `defineFlags`) or a typed `source` type the provider: see `typedFlags`.
 */
export class SplitflapServerProvider<F extends FeatureMap = FeatureMap> {
  readonly metadata = { name: 'Splitflap' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new ProviderEvents<ServerProviderEvents>();
  private readonly options: SplitflapServerProviderOptions<F>;
  private features: FeatureDefinitions | undefined;
  private savedGroups: SavedGroups | undefined;
  private unsubscribe: (() => void) | undefined;
  private logger: Pick<Logger, 'warn' | 'error'> = console;
  private readonly trackWarned = { done: false };
  private readonly experimentsOn: () => boolean;

  constructor(options: SplitflapServerProviderOptions<F> = {}) {
    this.options = { ...options };
    this.features = options.features;
    this.savedGroups = options.savedGroups;
    // The same for every per-request client: only the visitor differs.
    const on = options.enabled !== false && !options.qaMode;
    this.experimentsOn = () => on;
    const source = options.source;
    if (source) {
      this.readSource();
      this.unsubscribe = source.subscribe(() => this.readSource(true));
    }
  }

  private readSource(announce = false): void {
    const snapshot = this.options.source!.getSnapshotForHydration();
    if (snapshot.features === this.features && snapshot.savedGroups === this.savedGroups) return;
    this.replace(snapshot.features, snapshot.savedGroups, announce);
  }

  private replace(features: FeatureDefinitions | undefined, savedGroups: SavedGroups | undefined, announce: boolean): void {
    const previous = this.features;
    const groupsChanged = savedGroups !== this.savedGroups;
    this.features = features;
    this.savedGroups = savedGroups;
    if (!announce) return;
    // New saved groups may change any flag that targets them.
    const flagsChanged = groupsChanged ? undefined : changedFlags(previous, features);
    if (flagsChanged && flagsChanged.length === 0) return;
    this.events.emit(CONFIGURATION_CHANGED, flagsChanged ? { flagsChanged } : {});
  }

  /** Replace the payload every evaluation uses (and announce the change). Pass a new object to change it. */
  setFeatures(features: FeatureDefinitions, savedGroups?: SavedGroups): void {
    this.replace(features, savedGroups ?? this.savedGroups, true);
  }

  /** Waits for the source client's `ready()`, if there is one. */
  async initialize(): Promise<void> {
    if (this.options.source) {
      await this.options.source.ready();
      this.readSource();
    }
  }

  /**
   * The Splitflap client for one evaluation context: the provider's options, the shared payload,
   * the context's attributes. Use it for what OpenFeature has no call for (the hydration snapshot
   * of an SSR page, Sixpack's `participate`).
   */
  clientFor(context: EvaluationContext = {}): Client {
    const { source: _source, ...options } = this.options;
    const attributes = contextAttributes(context, {}, (error) => this.logger.error('Splitflap provider: unreadable context', error));
    const id = attributes.id;
    return createClient<Record<string, unknown>, readonly Plugin[]>({
      ...options,
      features: this.features,
      savedGroups: this.savedGroups,
      clientId: typeof id === 'string' && id ? id : undefined,
      // No targetingKey, no id: a generated client id would hash each request anew.
      attributes: { id: undefined, ...attributes },
      cookie: false,
    });
  }

  private async resolve<T extends FlagValue>(flagKey: string, type: FlagType, defaultValue: T, context: EvaluationContext, logger: Logger | undefined): Promise<ResolutionDetails<T>> {
    if (logger) this.logger = logger;
    const client = this.clientFor(context);
    // Stored sticky buckets and plugins' start-up tasks decide results: wait for them.
    if (this.options.stickyBucketStore || (this.options.plugins && this.options.plugins.length)) await client.ready();
    const details = resolveFlag(client, flagKey, type, defaultValue, { definitions: this.features, experimentsOn: this.experimentsOn });
    client.destroy();
    return details;
  }

  resolveBooleanEvaluation(flagKey: FlagKeyOf<F, boolean>, defaultValue: boolean, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, 'boolean', defaultValue, context, logger);
  }

  resolveStringEvaluation(flagKey: FlagKeyOf<F, string>, defaultValue: string, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, 'string', defaultValue, context, logger);
  }

  resolveNumberEvaluation(flagKey: FlagKeyOf<F, number>, defaultValue: number, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, 'number', defaultValue, context, logger);
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: FlagKeyOf<F, object>, defaultValue: T, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, 'object', defaultValue, context, logger);
  }

  /** A Sixpack conversion for the context's visitor, when `plugins` has `sixpack()`. */
  track(trackingEventName: string, context: EvaluationContext, trackingEventDetails?: TrackingEventDetails): void {
    trackAsConversion(this.clientFor(context), trackingEventName, trackingEventDetails, this.logger, this.trackWarned);
  }

  /** Stops following the source client (which stays the app's). */
  async onClose(): Promise<void> {
    if (this.unsubscribe) this.unsubscribe();
    this.unsubscribe = undefined;
  }
}
