/**
 * What every analytics plugin shares: it observes the client's exposures (the host's
 * `exposure` event: after the core's dedupe, held while stored sticky docs load) and conversions
 * (Sixpack mode's `conversion` event and `splitflap:convert` DOM events), skips exposures the
 * ledger saw within its window, and hands events to its target's sink. When the page is hidden
 * or left, exposures still waiting for the ledger go out unchecked (a rare duplicate is better
 * than a loss) and the sink flushes.
 *
 * Consent (`withConsent`, splitflap/consent): nothing is delivered or stored before it is granted.
 * Exposures are held by the consent plugin itself and reported again on grant; conversions wait
 * here (bounded) and go out on grant, or are dropped on deny.
 */
import { exposureKey } from '../../exposure';
import type { Plugin, PluginHost } from '../../plugin';
import { STICKY_ATTRIBUTE, stickyKey } from '../sixpack/client';
import { stickyAttributeKey } from '../../sticky';
import { conversionEvent, exposureEvent, type AnalyticsEvent, type ConversionEvent } from './events';
import { exposureLedger } from './ledger';
import { pageDocument, pageWindow } from '../../internal/env';

/** A day: one exposure per visitor, experiment and variation per day, however often they reload. */
export const DEFAULT_DEDUPE_WINDOW_MS = 86_400_000;

/** Options every analytics plugin takes. */
export interface ForwardOptions {
  /**
   * Deliver an exposure once per visitor, experiment and variation within this many ms, across
   * reloads and tabs (IndexedDB); default a day. `0`: only the client's own dedupe (once per
   * client, i.e. per page load).
   */
  dedupeWindowMs?: number;
  /** Forward conversions too (default true). */
  conversions?: boolean;
  /** For tests: the clock of the dedupe window. */
  now?: () => number;
}

/** Where a target's events go. */
export interface Sink {
  send(event: AnalyticsEvent): void;
  /** Deliver what is waiting; `leaving`: the page is being hidden or unloaded (beacons only). */
  flush?(leaving: boolean): Promise<void> | void;
  /** The client is destroyed. */
  close?(): void;
}

/** What every analytics plugin adds to the client. */
export interface AnalyticsMethods {
  /**
   * Deliver what every analytics plugin of this client holds (exposures waiting for the dedupe
   * check, queued batches) now; resolves when it is sent or has failed (and been logged).
   */
  flushAnalytics(): Promise<void>;
}

/** At most this many conversions wait for consent, and this many markup conversions for their `convert` call. */
const MAX_WAITING = 1000;

/** Every analytics plugin's flush, per client (one host per client): `flushAnalytics` runs them all. */
const flushLists = new WeakMap<PluginHost, (() => Promise<void>)[]>();
const flushesOf = (host: PluginHost) => {
  let list = flushLists.get(host);
  if (!list) flushLists.set(host, (list = []));
  return list;
};

/** A plugin forwarding this client's exposures and conversions to the sink `connect` makes. */
export function forwarder(target: string, options: ForwardOptions, connect: (host: PluginHost) => Sink): Plugin<AnalyticsMethods> {
  return (host) => {
    const sink = connect(host);
    const granted = () => host.read().consent == 'granted';
    const windowMs = options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS;
    const ledger = windowMs > 0 ? exposureLedger(windowMs, host.log, options.now) : undefined;
    /** Exposures waiting for the ledger, with the check. */
    const waiting = new Map<AnalyticsEvent, Promise<void>>();
    /** The variation this client last showed per experiment, for conversions. */
    const variations = new Map<string, string>();
    let stopped = false;

    const send = (event: AnalyticsEvent) => {
      if (stopped) return;
      try {
        sink.send(event);
      } catch (error) {
        host.log(`Analytics (${target}): sending failed`, { error });
      }
    };

    const stopExposures = host.on('exposure', (experiment, result) => {
      // Before consent the consent plugin holds exposures and reports them again on grant.
      if (!granted()) return;
      variations.set(experiment.key, result.key);
      const event = exposureEvent(host.settings.clientId, experiment, result);
      if (!ledger) return send(event);
      waiting.set(
        event,
        ledger.claim(target + '|' + exposureKey(experiment, result)).then(
          (fresh) => {
            // Gone from `waiting`: the page was left and it went out unchecked already.
            if (waiting.delete(event) && fresh) send(event);
          },
          (error: unknown) => {
            host.log(`Analytics (${target}): dedupe failed`, { error });
            if (waiting.delete(event)) send(event);
          },
        ),
      );
    });

    /**
     * Markup fires `splitflap:convert`, then calls `client.convert` at once: one conversion,
     * counted from the event. Keys of such events wait here for that call.
     */
    const fromDom: string[] = [];
    /** Conversions made before consent was granted. */
    const held: ConversionEvent[] = [];
    /** The Sixpack alternative this visitor has, as Sixpack mode remembers it (a sticky doc). */
    const participation = (experiment: string) => {
      const doc = host.read().stickyDocs[stickyAttributeKey(STICKY_ATTRIBUTE, host.settings.clientId)];
      return doc ? doc.assignments[stickyKey(experiment)] : undefined;
    };
    const convert = (experiment: unknown, kpi: unknown, source: ConversionEvent['source']) => {
      if (!host.settings.experimentsEnabled || options.conversions === false || typeof experiment !== 'string' || !experiment) return;
      const known = variations.get(experiment) ?? participation(experiment);
      const event = conversionEvent(host.settings.clientId, experiment, typeof kpi === 'string' && kpi ? kpi : undefined, known, source);
      const consent = host.read().consent;
      if (consent == 'granted') send(event);
      else if (consent == 'pending' && held.push(event) > MAX_WAITING) held.shift();
    };
    const stopConsent = host.on('change', () => {
      const consent = host.read().consent;
      if (consent == 'granted') held.splice(0).forEach(send);
      else if (consent == 'denied') held.length = fromDom.length = 0;
    });

    const conversionKey = (experiment: unknown, kpi: unknown) => experiment + '|' + (kpi || '');
    const stopParticipations = host.on('participation', (answer) => void variations.set(answer.experiment, answer.alternative));
    const stopConversions = host.on('conversion', (experiment, kpi) => {
      const markupCall = fromDom.indexOf(conversionKey(experiment, kpi));
      if (markupCall >= 0) fromDom.splice(markupCall, 1);
      else convert(experiment, kpi, 'sixpack');
    });

    const leave = () => {
      waiting.forEach((_, event) => send(event));
      waiting.clear();
      if (sink.flush) Promise.resolve(sink.flush(true)).catch((error: unknown) => host.log(`Analytics (${target}): flush failed`, { error }));
    };
    const onVisibility = () => document.visibilityState === 'hidden' && leave();
    const onDomConversion = (event: Event) => {
      const detail = (event as CustomEvent<{ experiment?: unknown; kpi?: unknown } | null>).detail;
      if (!detail) return;
      convert(detail.experiment, detail.kpi, 'dom');
      const key = conversionKey(detail.experiment, detail.kpi);
      if (fromDom.push(key) > MAX_WAITING) fromDom.shift();
      // Markup's `convert` call follows in this task (Sixpack mode), or none does (no Sixpack mode, or page code fired the event).
      Promise.resolve().then(() => fromDom.indexOf(key) >= 0 && fromDom.splice(fromDom.indexOf(key), 1));
    };
    const inBrowser = !!pageWindow() && !!pageDocument();
    if (inBrowser) {
      window.addEventListener('pagehide', leave);
      document.addEventListener('visibilitychange', onVisibility);
      // Capture: a page handler that stops propagation does not hide the conversion.
      document.addEventListener('splitflap:convert', onDomConversion, true);
    }

    host.on('destroy', () => {
      stopExposures();
      stopParticipations();
      stopConversions();
      stopConsent();
      if (inBrowser) {
        window.removeEventListener('pagehide', leave);
        document.removeEventListener('visibilitychange', onVisibility);
        document.removeEventListener('splitflap:convert', onDomConversion, true);
      }
      if (sink.flush) Promise.resolve(sink.flush(false)).catch(() => undefined);
      if (sink.close) sink.close();
      stopped = true;
    });

    const flushes = flushesOf(host);
    const flush = async () => {
      await Promise.all(waiting.values());
      if (sink.flush) await sink.flush(false);
    };
    flushes.push(flush);
    return {
      flushAnalytics: () => Promise.all(flushes.map((each) => each())).then(() => undefined),
    };
  };
}
