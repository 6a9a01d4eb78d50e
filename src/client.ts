/**
 * The client: the visitor's evaluation state, its setters, subscriptions (`subscribe` /
 * `getSnapshot`, shaped for React's useSyncExternalStore) and the plugin host. State lives in
 * this closure, like a Zustand store. Evaluation itself is pure (evaluate.ts); what it assigns is
 * handled here once it returns: sticky bucket, exposure, plugins' `onAssignment`.
 */
import type { Client, ClientOptions, ClientSnapshot, EvalOptions, FeatureMap } from './api';
import { isBot } from './bots';
import { evalFeature, featureResult, runExperiment, type EvalContext } from './evaluate';
import { createExposures, exposureKey } from './exposure';
import { featureSet, hashAttributes } from './features';
import { withHydration } from './hydration';
import { resolveClientId } from './identity';
import { defaultLog } from './log';
import type { Plugin, PluginExtensions, PluginHost } from './plugin';
import { isStickyDoc, mergeStickyDocs, stickyAttributeKey, stickyValue } from './sticky';
import { indexedDbStickyBucketStore } from './sticky-stores';
import { createStickySync } from './sticky-sync';
import type { Experiment, ExperimentResult, FeatureDefinitions, StickyAssignmentDocs } from './types';

/** A null-prototype copy: names from outside can never reach Object.prototype. */
const safeCopy = <T>(source?: Record<string, T>): Record<string, T> => Object.assign(Object.create(null), source);

/**
 * Sticky docs by `attr||value`, only well-formed ones. A plain object, not a null-prototype one:
 * V8 writes those several times slower, and every key contains `||`, so none names anything inherited.
 */
function stickyDocsCopy(docs?: StickyAssignmentDocs): StickyAssignmentDocs {
  const copy: StickyAssignmentDocs = {};
  for (const key in docs) {
    if (key.indexOf('||') > 0 && Object.prototype.hasOwnProperty.call(docs, key) && isStickyDoc(docs[key])) copy[key] = docs[key];
  }
  return copy;
}

const toMap = (forced?: Record<string, unknown> | Map<string, unknown>) =>
  forced && new Map(forced instanceof Map ? forced : Object.entries(forced));

/** Run each listener; one that throws is logged and the rest still run. */
function emit<A extends unknown[]>(listeners: Set<(...args: A) => void>, log: ClientOptions['log'] & {}, ...args: A): void {
  listeners.forEach((listener) => {
    try {
      listener(...args);
    } catch (error) {
      log('A listener threw', { error });
    }
  });
}

/**
 * Create a client: local evaluation, identity, sticky buckets and exposures, plus whatever
 * `plugins` add. Cheap: nothing is read or written until it is used (beyond the id cookie and the
 * start of the sticky-bucket read in browsers).
 */
export function createClient<F extends FeatureMap = FeatureMap, const P extends readonly Plugin[] = []>(
  options: ClientOptions<P> = {},
): Client<F> & PluginExtensions<P> {
  const log = options.log || defaultLog;
  const hydrate = options.hydrate;
  if (hydrate) options = withHydration(options as ClientOptions, hydrate) as ClientOptions<P>;
  const clientId = resolveClientId(options.clientId, options.cookie);
  const inBrowser = typeof window != 'undefined';
  const userAgent = options.userAgent ?? (typeof navigator != 'undefined' ? navigator.userAgent : undefined);
  const bots = options.excludeBots;
  const store =
    options.stickyBucketStore ||
    // In browsers without IndexedDB the store falls back to localStorage, then memory, by itself.
    (options.stickyBucketStore !== false && inBrowser ? indexedDbStickyBucketStore({ log }) : undefined);

  const ctx: EvalContext = {
    attributes: safeCopy(options.attributes || { id: clientId }),
    features: featureSet(options.features, log),
    savedGroups: options.savedGroups,
    groups: safeCopy(options.groups),
    forcedVariations: safeCopy(options.forcedVariations),
    forcedFeatures: toMap(options.forcedFeatures),
    overrides: safeCopy(options.overrides),
    contextualBandits: safeCopy(options.contextualBandits),
    url: options.url ?? (typeof location != 'undefined' ? location.href : undefined),
    allowUrlOverrides: options.allowUrlOverrides ?? inBrowser,
    qaMode: options.qaMode,
    // A server's decision (bots included) wins in the browser, or hydration could not match.
    enabled: options.enabled !== false && (!!hydrate || bots === false || !isBot(userAgent, bots === true ? null : bots)),
    stickyDocs: options.stickyBucketStore === false ? undefined : stickyDocsCopy(options.stickyBucketAssignmentDocs),
    assigned: [],
  };
  /** The state `hydrate` gave, frozen (setters replace the fields, sticky docs are copied). */
  const hydrationCtx: EvalContext | undefined = hydrate && { ...ctx, stickyDocs: ctx.stickyDocs && { ...ctx.stickyDocs } };

  const listeners = new Set<() => void>();
  const featureListeners = new Set<(features: FeatureDefinitions | undefined) => void>();
  const assignmentListeners = new Set<(experiment: Experiment, result: ExperimentResult) => void>();
  const destroyListeners = new Set<() => void>();
  const exposureListeners = new Set<(experiment: Experiment, result: ExperimentResult) => void>();
  const exposures = createExposures(log, options.onExposure || options.trackingCallback, (experiment, result) => emit(exposureListeners, log, experiment, result));
  /** Override layers from plugins (bandit weights), under the app's own `overrides`. */
  const layers = new Map<string, Record<string, Partial<Experiment>>>();
  const appOverrides = ctx.overrides!;
  /** Identities plugins asked to load along with the visitor's (Sixpack answers). */
  const watched: Record<string, string> = {};
  /** The last assignment handled per experiment: repeated evaluations skip all bookkeeping. */
  const lastAssigned = new Map<string, string>();
  let snapshot: ClientSnapshot = { version: 0, ready: !!(hydrate && hydrate.ready) };
  let startup: Promise<unknown> = Promise.resolve();

  const notify = (ready = snapshot.ready) => {
    snapshot = { version: snapshot.version + 1, ready };
    emit(listeners, log);
  };
  const sync =
    store && ctx.stickyDocs &&
    createStickySync(store, ctx.stickyDocs, log, () => {
      lastAssigned.clear(); // results may move: evaluate afresh, bookkeeping included
      notify();
    });
  const addStartupTask = (task: Promise<unknown>) => {
    startup = Promise.all([startup, task.catch((error: unknown) => log('A start-up task failed', { error }))]);
  };

  /** Load stored docs for every identity the features hash on, plus the watched ones. */
  function loadStickyDocs(): void {
    if (!sync) return;
    const identities: Record<string, string> = { ...watched };
    for (const name of hashAttributes(ctx.features.definitions)) {
      const value = ctx.attributes[name];
      if (value) identities[name] = stickyValue(value);
    }
    addStartupTask(sync.load(identities));
  }

  /** A new hashed assignment: sticky bucket, exposure (held while stored docs load), plugins. */
  function assign(experiment: Experiment, result: ExperimentResult): void {
    const key = exposureKey(experiment, result);
    if (lastAssigned.get(experiment.key) === key) return;
    lastAssigned.set(experiment.key, key);
    const report = () => exposures.report(experiment, result, key);
    // While stored docs load this may be a returning visitor's provisional variation.
    if (sync && sync.loading) sync.hold(experiment, result, report);
    else report();
    if (sync) sync.remember(experiment, result);
    emit(assignmentListeners, log, experiment, result);
  }

  /** Evaluate with `evaluate`, then hand what it assigned to `track` (default: report it now). */
  function evaluated<T>(evalOptions: EvalOptions | undefined, evaluate: (context: EvalContext) => T, fallback: () => T): T {
    const context = (evalOptions && evalOptions.hydrating && hydrationCtx) || ctx;
    const assigned = context.assigned!;
    assigned.length = 0;
    let result: T;
    try {
      result = evaluate(context);
    } catch (error) {
      log('Evaluation failed', { error });
      result = fallback();
    }
    if (!assigned.length) return result;
    const track = evalOptions ? evalOptions.track : true;
    const list = assigned.splice(0);
    for (const [experiment, assignment] of list) {
      if (track === undefined || track === true) assign(experiment, assignment);
      else if (track) track(experiment, assignment);
    }
    return result;
  }

  const setFeatures = (features: FeatureDefinitions, savedGroups?: ClientOptions['savedGroups']) => {
    ctx.features = featureSet(features, log);
    if (savedGroups) ctx.savedGroups = savedGroups;
    loadStickyDocs();
    emit(featureListeners, log, features);
    notify();
  };

  const runInline = <T>(experiment: Experiment<T>, evalOptions: EvalOptions | undefined, context?: EvalContext): ExperimentResult<T> =>
    evaluated<ExperimentResult<T>>(evalOptions, (base) => runExperiment(context || base, experiment as Experiment, null) as ExperimentResult<T>, () => ({
      key: '0', featureId: null, inExperiment: false, hashUsed: false, variationId: 0, hashAttribute: 'id', hashValue: '', stickyBucketUsed: false,
      value: (Array.isArray(experiment && experiment.variations) ? experiment.variations : [])[0],
    }));

  const client: Client<F> = {
    clientId,
    ready() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((resolve) => (timer = setTimeout(resolve, options.readyTimeoutMs ?? 500)));
      // Tasks added while waiting (a fetched payload's bandit stats) are waited for too.
      const settled = (): Promise<unknown> => {
        const current = startup;
        return current.then(() => current === startup || settled());
      };
      return Promise.race([settled(), timeout]).then(() => {
        clearTimeout(timer);
        if (!snapshot.ready) notify(true);
      });
    },
    evalFeature: (key, evalOptions) =>
      evaluated(evalOptions, (context) => evalFeature(context, key), () => featureResult(null, 'unknownFeature')) as never,
    isOn: (key) => client.evalFeature(key).on,
    isOff: (key) => client.evalFeature(key).off,
    getFeatureValue(key, fallback) {
      const value = client.evalFeature(key).value as unknown;
      if (value == null) return fallback as never;
      if (fallback != null && typeof value !== typeof fallback) {
        log('Value type differs from fallback', { feature: key, value });
        return fallback as never;
      }
      return value as never;
    },
    run: (experiment, evalOptions) => runInline(experiment, evalOptions),
    getAttributes: () => ({ ...ctx.attributes }),
    setAttributes(attributes) {
      ctx.attributes = safeCopy(attributes);
      loadStickyDocs();
      notify();
    },
    setFeatures,
    setForcedVariations(forced) {
      ctx.forcedVariations = safeCopy(forced);
      notify();
    },
    setForcedFeatures(forced) {
      ctx.forcedFeatures = toMap(forced);
      notify();
    },
    setURL(url) {
      ctx.url = url;
      notify();
    },
    setOnExposure: exposures.setCallback,
    getStickyBucketAssignmentDocs: () => ({ ...ctx.stickyDocs }),
    trackExposure(experiment, result) {
      // Only what evaluation hands to `track`: hashed, in-experiment results.
      if (result && result.inExperiment && result.hashUsed) assign(experiment, result);
    },
    // Setters replace these objects, never mutate them: no copies needed. JSON drops what is undefined.
    getSnapshotForHydration: ({ features = true } = {}) => ({
      clientId,
      attributes: { ...ctx.attributes },
      features: features ? ctx.features.definitions : undefined,
      savedGroups: ctx.savedGroups,
      forcedVariations: { ...ctx.forcedVariations },
      forcedFeatures: ctx.forcedFeatures && Object.fromEntries(ctx.forcedFeatures),
      stickyBucketAssignmentDocs: { ...ctx.stickyDocs },
      enabled: ctx.enabled,
      qaMode: ctx.qaMode,
      url: ctx.url,
      allowUrlOverrides: ctx.allowUrlOverrides,
      groups: { ...ctx.groups },
      ready: snapshot.ready,
    }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    destroy() {
      emit(destroyListeners, log);
      destroyListeners.clear();
      listeners.clear();
      exposures.setCallback(undefined);
    },
  };

  const host: PluginHost = {
    client,
    clientId,
    log,
    userAgent,
    stickyStore: store,
    experimentsEnabled: ctx.enabled !== false && !ctx.qaMode,
    getURL: () => ctx.url,
    getAttributes: client.getAttributes,
    getFeatures: () => ctx.features.definitions,
    setFeatures,
    onFeaturesChange: (listener) => (featureListeners.add(listener), () => featureListeners.delete(listener)),
    onAssignment: (listener) => (assignmentListeners.add(listener), () => assignmentListeners.delete(listener)),
    onExposure: (listener) => (exposureListeners.add(listener), () => exposureListeners.delete(listener)),
    onDestroy: (listener) => void destroyListeners.add(listener),
    addStartupTask,
    setOverrideLayer(name, overrides) {
      if (overrides) layers.set(name, overrides);
      else layers.delete(name);
      const merged = safeCopy<Partial<Experiment>>();
      layers.forEach((layer) => Object.assign(merged, layer));
      for (const key in appOverrides) merged[key] = { ...merged[key], ...appOverrides[key] };
      ctx.overrides = merged;
      notify();
    },
    run: (experiment, attributes) =>
      runInline(experiment, undefined, attributes && { ...ctx, attributes: safeCopy({ ...ctx.attributes, ...attributes }) }),
    expose: exposures.report,
    getStickyDocs: (hydrating) => ((hydrating && hydrationCtx) || ctx).stickyDocs || {},
    rememberStickyDoc(doc) {
      if (!ctx.stickyDocs) return;
      const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
      ctx.stickyDocs[key] = mergeStickyDocs(ctx.stickyDocs[key], doc);
      notify();
    },
    watchStickyIdentity(attributeName, attributeValue) {
      watched[attributeName] = attributeValue;
    },
    notify: () => notify(),
  };
  for (const plugin of options.plugins || []) {
    try {
      Object.assign(client, plugin(host));
    } catch (error) {
      log('A plugin failed to start', { error });
    }
  }
  loadStickyDocs();
  return client as Client<F> & PluginExtensions<P>;
}
