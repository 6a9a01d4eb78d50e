/**
 * The provider event emitter. The SDKs' own (`OpenFeatureEventEmitter`) would bundle an SDK
 * into this entry, and the SDK only needs the `ProviderEventEmitter` shape: handlers per event,
 * called in order, each isolated from the others.
 */
import type { AnyProviderEvent, EventContext, EventHandler, Logger, ProviderEventEmitter } from '@openfeature/core';

export class ProviderEvents<E extends AnyProviderEvent> implements ProviderEventEmitter<E> {
  private readonly handlers = new Map<AnyProviderEvent, EventHandler[]>();
  private logger: Logger | undefined;

  /** Run every handler of `eventType` with `context`; a handler that throws or rejects is logged. */
  emit(eventType: E, context?: EventContext): void {
    const fail = (error: unknown) => this.logger && this.logger.error('Splitflap provider: an event handler failed', error);
    for (const handler of this.getHandlers(eventType)) {
      try {
        const returned = handler(context as Parameters<EventHandler>[0]);
        if (returned instanceof Promise) returned.catch(fail);
      } catch (error) {
        fail(error);
      }
    }
  }

  addHandler(eventType: AnyProviderEvent, handler: EventHandler): void {
    this.handlers.set(eventType, [...this.getHandlers(eventType), handler]);
  }

  removeHandler(eventType: AnyProviderEvent, handler: EventHandler): void {
    this.handlers.set(eventType, this.getHandlers(eventType).filter((known) => known !== handler));
  }

  removeAllHandlers(eventType?: AnyProviderEvent): void {
    if (eventType === undefined) this.handlers.clear();
    else this.handlers.delete(eventType);
  }

  getHandlers(eventType: AnyProviderEvent): EventHandler[] {
    return this.handlers.get(eventType) || [];
  }

  setLogger(logger: Logger): this {
    this.logger = logger;
    return this;
  }
}

/**
 * The flags whose definitions differ between two payloads (compared as JSON), for
 * `PROVIDER_CONFIGURATION_CHANGED`'s `flagsChanged`; undefined when that cannot be told (then
 * every flag may have changed).
 */
export function changedFlags(previous: Record<string, unknown> | undefined, next: Record<string, unknown> | undefined): string[] | undefined {
  try {
    const keys = new Set([...Object.keys(previous || {}), ...Object.keys(next || {})]);
    const json = (payload: Record<string, unknown> | undefined, key: string) =>
      payload && Object.prototype.hasOwnProperty.call(payload, key) ? JSON.stringify(payload[key]) : undefined;
    return [...keys].filter((key) => json(previous, key) !== json(next, key));
  } catch {
    return undefined; // cyclic or hostile definitions
  }
}
