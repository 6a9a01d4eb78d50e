/**
 * The client: the visitor's state (state.ts), its setters, subscriptions (`subscribe` /
 * `getSnapshot`, shaped for React's useSyncExternalStore) and plugins. Evaluation is pure
 * (evaluate.ts) and returns what it assigned; the client hands that to tracking.ts (sticky bucket,
 * exposure, plugins), to the `track` function given, or nowhere.
 */
import type { Client, ClientOptions, ClientSnapshot, EvalOptions, FeatureMap, RegisteredFeatures, Register } from './api';
import { isBot } from './bots';
import { evaluateExperiment, evaluateFeature, type Evaluation } from './evaluate';
import { featureResult } from './results';
import { createEvents } from './events';
import { createExposures } from './exposure';
import { createHost, type ClientEvents } from './host';
import { withHydration } from './hydration';
import { resolveClientId } from './identity';
import { readOnlyCopy, safeCopy, toMap, visitorAttributes } from './intake';
import { checkFeatures, checkOptions, checkPluginResult, DEV, guardPluginMethods } from './dev';
import { defaultLog } from './log';
import type { Plugin, PluginExtensions, PluginHost } from './plugin';
import { createStartup } from './startup';
import { payloadState, visitorSnapshot, visitorState, type EvalState } from './state';
import { indexedDbStickyBucketStore, localStorageStickyBucketStore } from './sticky-stores';
import { createStickySync, identitiesOf } from './sticky-sync';
import { createTracking } from './tracking';
import type { Attributes, Experiment, ExperimentResult, Logger, StickyBucketStore } from './types';
import { browserUserAgent, indexedDb, pageURL, pageWindow } from './internal/env';

const unknownFeature = () => featureResult(null, 'unknownFeature');

/** What `run` gives when evaluation failed: variation 0, not in the experiment. */
const controlOf = (experiment: Experiment): ExperimentResult => {
  let value: unknown;
  try {
    value = Array.isArray(experiment.variations) ? experiment.variations[0] : undefined;
  } catch {
    // An experiment that cannot even be read: no value.
  }
  return { key: '0', featureId: null, inExperiment: false, hashUsed: false, variationId: 0, hashAttribute: 'id', hashValue: '', stickyBucketUsed: false, value };
};

/** The sticky store a client uses: the given one; by default IndexedDB in browsers (localStorage where there is none); none on servers. */
function stickyStoreFor(options: ClientOptions, log: Logger, inBrowser: boolean): StickyBucketStore | undefined {
  if (options.stickyBucketStore || options.stickyBucketStore === false) return options.stickyBucketStore || undefined;
  if (!inBrowser) return undefined;
  // A browser without IndexedDB at all starts on localStorage (nothing failed, nothing to log).
  return indexedDb() ? indexedDbStickyBucketStore({ log }) : localStorageStickyBucketStore({ log });
}

/** The evaluation state `options` give: defaults filled in (id, url, URL overrides, the bot decision). */
function initialState(options: ClientOptions, clientId: string, userAgent: string | undefined, log: Logger, inBrowser: boolean): EvalState {
  const bots = options.excludeBots;
  const visitor = visitorState(options, clientId, log);
  if (visitor.url === undefined && inBrowser) visitor.url = pageURL();
  visitor.allowUrlOverrides = options.allowUrlOverrides ?? inBrowser;
  // A server's decision (bots included) wins in the browser, or hydration could not match.
  visitor.enabled = options.enabled !== false && (!!options.hydrate || bots === false || !isBot(userAgent, bots === true ? null : bots));
  if (options.stickyBucketStore === false) visitor.stickyBucketAssignmentDocs = undefined;
  return { payload: payloadState(options, log), visitor, log };
}

/** The state `hydrate` gave, frozen: setters replace the live state's fields, sticky docs are copied. */
function hydrationStateOf(state: EvalState, hydrate: ClientOptions['hydrate']): EvalState | undefined {
  if (!hydrate) return undefined;
  const visitor = state.visitor;
  const docs = visitor.stickyBucketAssignmentDocs;
  // The server's overrides as it evaluated (plugins' layers included: bandit weights), for the hydrating render only.
  const overrides = hydrate.overrides ? safeCopy(hydrate.overrides) : visitor.overrides;
  return { ...state, payload: { ...state.payload }, visitor: { ...visitor, overrides, stickyBucketAssignmentDocs: docs && { ...docs } } };
}

/**
 * Create a client: local evaluation, identity, sticky buckets and exposures, plus whatever
 * `plugins` add (their methods are on the returned type). Keys and values are typed by the
 * registered feature map ({@link Register}), or by `F`. Cheap: nothing is read or written until it is used (beyond the id cookie and the
 * start of the sticky-bucket read in browsers).
 */
export function createClient<F extends FeatureMap = RegisteredFeatures, const P extends readonly Plugin[] = readonly Plugin[]>(
  options: ClientOptions<P, F> = {},
): Client<F> & PluginExtensions<P> {
  const log = options.log || defaultLog;
  if (DEV && process.env.NODE_ENV !== 'production') checkOptions(options, log), checkFeatures(options.features, log);
  const hydrate = options.hydrate;
  if (hydrate) options = withHydration(options as ClientOptions, hydrate) as ClientOptions<P>;
  const clientId = resolveClientId(options.clientId, options.cookie);
  // Looked up once: a server makes a client per request, and a global that is missing is slow to miss.
  const inBrowser = !!pageWindow();
  const userAgent = options.userAgent ?? (inBrowser ? browserUserAgent() : undefined);
  const store = stickyStoreFor(options, log, inBrowser);
  const state = initialState(options, clientId, userAgent, log, inBrowser);
  const hydrationState = hydrationStateOf(state, hydrate);

  const events = createEvents<ClientEvents>(log);
  const exposures = createExposures(log, options.onExposure || options.trackingCallback, (experiment, result) => events.emit('exposure', experiment, result));
  const startup = createStartup(log);
  /** Identities plugins asked to load along with the visitor's (Sixpack answers). */
  const watched: Record<string, string> = {};
  let snapshot: ClientSnapshot = { version: 0, ready: !!(hydrate && hydrate.ready) };
  const notify = (ready = snapshot.ready) => ((snapshot = { version: snapshot.version + 1, ready }), events.emit('change'));
  const docs = state.visitor.stickyBucketAssignmentDocs;
  const sync = store && docs && createStickySync(store, docs, log, () => (tracking.reset(), notify()));
  const tracking = createTracking(exposures, sync, (experiment, result) => events.emit('assignment', experiment, result));

  const loadStickyDocs = () => sync && startup.add(sync.load(identitiesOf(state.visitor.attributes, watched)));

  /** `evaluate(state, input)`, its assignments handed to `track`; a failure is logged and gives `fallback(input)`. */
  function evaluated<I, T>(evalOptions: EvalOptions | undefined, evaluate: (state: EvalState, input: I) => Evaluation<T>, input: I, fallback: (input: I) => T, from = state): T {
    let evaluation: Evaluation<T>;
    try {
      evaluation = evaluate((evalOptions && evalOptions.hydrating && hydrationState) || from, input);
    } catch (error) {
      log('Evaluation failed', { error });
      return fallback(input);
    }
    tracking.handle(evaluation.assigned, evalOptions && evalOptions.track);
    return evaluation.result;
  }
  const run = <T>(experiment: Experiment<T>, evalOptions?: EvalOptions, from = state) =>
    evaluated(evalOptions, evaluateExperiment, experiment as Experiment, controlOf, from) as ExperimentResult<T>;
  const set = (change: () => void) => (change(), notify());

  const client: Client<F> = {
    clientId,
    ready: () => startup.settled(options.readyTimeoutMs ?? 500).then(() => void (snapshot.ready || notify(true))),
    evalFeature: (key, evalOptions) => evaluated(evalOptions, evaluateFeature, key, unknownFeature) as never,
    isOn: (key) => client.evalFeature(key).on,
    isOff: (key) => client.evalFeature(key).off,
    getFeatureValue(key, fallback) {
      const value = client.evalFeature(key).value as unknown;
      if (value == null) return fallback as never;
      if (fallback == null || typeof value === typeof fallback) return value as never;
      log('Value type differs from fallback', { feature: key, value });
      return fallback as never;
    },
    run: (experiment, evalOptions) => run(experiment, evalOptions),
    getAttributes: () => ({ ...state.visitor.attributes }),
    setAttributes(attributes) {
      const taken = visitorAttributes(attributes, clientId, log);
      if (taken) set(() => ((state.visitor.attributes = taken), loadStickyDocs()));
    },
    setFeatures: (features, savedGroups) =>
      set(() => {
        if (DEV && process.env.NODE_ENV !== 'production') checkFeatures(features, log);
        state.payload = payloadState({ features, savedGroups: savedGroups || state.payload.savedGroups }, log);
        events.emit('features', features);
      }),
    setForcedVariations: (forced) => set(() => (state.visitor.forcedVariations = readOnlyCopy(forced, log))),
    setForcedFeatures: (forced) => set(() => (state.visitor.forcedFeatures = toMap(forced, log))),
    setURL: (url) => set(() => (state.visitor.url = url)),
    setOnExposure: exposures.setCallback,
    getStickyBucketAssignmentDocs: () => ({ ...state.visitor.stickyBucketAssignmentDocs }),
    // Only what evaluation hands to `track`: hashed, in-experiment results.
    trackExposure: (experiment, result) => void (result && result.inExperiment && result.hashUsed && tracking.assign(experiment, result)),
    getSnapshotForHydration: ({ features = true } = {}) => ({
      clientId,
      ...visitorSnapshot(state.visitor),
      features: features ? state.payload.features.definitions : undefined,
      savedGroups: state.payload.savedGroups,
      ready: snapshot.ready,
    }),
    subscribe: (listener) => events.on('change', listener),
    getSnapshot: () => snapshot,
    use(plugin: Plugin) {
      try {
        const extension = plugin(host());
        if (DEV && process.env.NODE_ENV !== 'production') checkPluginResult(plugin, extension, log);
        Object.assign(client, extension);
      } catch (error) {
        log('A plugin failed to start', { error });
      }
      return app as never;
    },
    destroy() {
      events.emit('destroy');
      events.clear('destroy');
      events.clear('change');
      exposures.setCallback(undefined);
    },
  };

  // Only a client with plugins builds their host (a server's per-request client usually has none).
  let pluginHost: PluginHost | undefined;
  const host = () =>
    (pluginHost ||= createHost({
      ...{ clientId, consent: options.consent, state, hydrationState, userAgent, store, events, exposures, startup, watched, notify },
      run: (experiment, from) => run(experiment, undefined, from),
      setFeatures: client.setFeatures,
      loadStickyDocs,
    }));
  // What the app gets: in development, plugin methods called without their plugin explain themselves.
  const app = DEV && process.env.NODE_ENV !== 'production' ? guardPluginMethods(client) : client;
  if (options.plugins) for (const plugin of Array.isArray(options.plugins) ? options.plugins : [options.plugins]) client.use(plugin);
  loadStickyDocs();
  return app as Client<F> & PluginExtensions<P>;
}
