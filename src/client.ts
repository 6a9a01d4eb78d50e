/**
 * The client: the visitor's evaluation state, its setters, subscriptions (`subscribe` /
 * `getSnapshot`, shaped for React's useSyncExternalStore) and the plugin host. State lives in
 * this closure, like a Zustand store. Evaluation itself is pure (evaluate.ts); what it assigns is
 * handled here once it returns: sticky bucket, exposure, plugins' `onAssignment`.
 */
import type { Client, ClientOptions, ClientSnapshot, EvalOptions, FeatureMap } from './api';
import { isBot } from './bots';
import { evalFeature, featureResult, runInlineExperiment, type EvalContext } from './evaluate';
import { createExposures, exposureKey } from './exposure';
import { featureSet } from './features';
import { withHydration } from './hydration';
import { resolveClientId } from './identity';
import { defaultLog } from './log';
import type { Plugin, PluginExtensions, PluginHost } from './plugin';
import { attributesCopy, readOnlyCopy, safeCopy, stickyDocsCopy, toMap } from './intake';
import { mergeStickyDocs, stickyAttributeKey } from './sticky';
import { indexedDbStickyBucketStore, localStorageStickyBucketStore } from './sticky-stores';
import { createStickySync } from './sticky-sync';
import type { Experiment, ExperimentResult, FeatureDefinitions } from './types';

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

/** Run each listener; one that throws is logged and the rest still run. */
function emit<A extends unknown[]>(listeners: Set<(...args: A) => void> | undefined, log: ClientOptions['log'] & {}, ...args: A): void {
  if (listeners) listeners.forEach((listener) => {
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
    (options.stickyBucketStore !== false && inBrowser
      ? // A browser without IndexedDB at all starts on localStorage (nothing failed, nothing to log).
        typeof indexedDB != 'undefined' ? indexedDbStickyBucketStore({ log }) : localStorageStickyBucketStore({ log })
      : undefined);

  const ctx: EvalContext = {
    attributes: attributesCopy(options.attributes || { id: clientId }, log),
    features: featureSet(options.features, log),
    savedGroups: options.savedGroups,
    groups: readOnlyCopy(options.groups, log),
    forcedVariations: readOnlyCopy(options.forcedVariations, log),
    forcedFeatures: toMap(options.forcedFeatures, log),
    overrides: safeCopy(options.overrides, log),
    contextualBandits: readOnlyCopy(options.contextualBandits, log),
    url: options.url ?? (typeof location != 'undefined' ? location.href : undefined),
    allowUrlOverrides: options.allowUrlOverrides ?? inBrowser,
    qaMode: options.qaMode,
    // A server's decision (bots included) wins in the browser, or hydration could not match.
    enabled: options.enabled !== false && (!!hydrate || bots === false || !isBot(userAgent, bots === true ? null : bots)),
    stickyDocs: options.stickyBucketStore === false ? undefined : stickyDocsCopy(options.stickyBucketAssignmentDocs, log),
    assigned: [],
    log,
  };
  /** The state `hydrate` gave, frozen (setters replace the fields, sticky docs are copied). */
  const hydrationCtx: EvalContext | undefined = hydrate && {
    ...ctx,
    // The server's overrides as it evaluated (plugins' layers included: bandit weights), for the hydrating render only.
    overrides: hydrate.overrides ? safeCopy(hydrate.overrides) : ctx.overrides,
    stickyDocs: ctx.stickyDocs && { ...ctx.stickyDocs },
  };

  const listeners = new Set<() => void>();
  /** Plugins' listeners: only a client with plugins has them (a server's per-request client usually has none). */
  let featureListeners: Set<(features: FeatureDefinitions | undefined) => void> | undefined;
  let assignmentListeners: Set<(experiment: Experiment, result: ExperimentResult) => void> | undefined;
  let destroyListeners: Set<() => void> | undefined;
  const exposures = createExposures(log, options.onExposure || options.trackingCallback);
  /** Identities plugins asked to load along with the visitor's (Sixpack answers). */
  let watched: Record<string, string> | undefined;
  /** The last assignment handled per experiment: repeated evaluations skip all bookkeeping. */
  const lastAssigned = new Map<string, ExperimentResult>();
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

  /**
   * Load stored docs for every identity the visitor has (each string or number attribute: any of
   * them may be an experiment's hash attribute), plus the watched ones. A few keys in one read.
   */
  function loadStickyDocs(): void {
    if (!sync) return;
    const identities: Record<string, string> = { ...watched };
    for (const name in ctx.attributes) {
      const value = ctx.attributes[name];
      if (value && (typeof value == 'string' || typeof value == 'number')) identities[name] = '' + value;
    }
    addStartupTask(sync.load(identities));
  }

  /** A new hashed assignment: sticky bucket, exposure (held while stored docs load), plugins. */
  function assign(experiment: Experiment, result: ExperimentResult): void {
    const last = lastAssigned.get(experiment.key);
    // Repeated evaluations of the same assignment stop here, before any string is built.
    if (last && last.variationId === result.variationId && last.hashValue === result.hashValue && last.hashAttribute === result.hashAttribute) return;
    lastAssigned.set(experiment.key, result);
    const key = exposureKey(experiment, result);
    const report = () => exposures.report(experiment, result, key);
    // While stored docs load this may be a returning visitor's provisional variation.
    if (sync && sync.loading) sync.hold(experiment, result, report);
    else report();
    if (sync) sync.remember(experiment, result);
    emit(assignmentListeners, log, experiment, result);
  }

  /**
   * `evaluate(context, input)`, then what it assigned goes to `track` (default: reported now).
   * Module-level functions and an argument, not a closure per call: this is every evaluation's path.
   */
  function evaluated<I, T>(evalOptions: EvalOptions | undefined, evaluate: (context: EvalContext, input: I) => T, input: I, fallback: (input: I) => T): T {
    const context = (evalOptions && evalOptions.hydrating && hydrationCtx) || ctx;
    const assigned = context.assigned!;
    if (assigned.length) assigned.length = 0;
    let result: T;
    try {
      result = evaluate(context, input);
    } catch (error) {
      log('Evaluation failed', { error });
      result = fallback(input);
    }
    if (!assigned.length) return result;
    const track = evalOptions ? evalOptions.track : true;
    const handle = track === undefined || track === true ? assign : track || undefined;
    // Listeners told of an assignment may evaluate again, which reuses the list: the usual single
    // assignment is taken out of it, more are copied.
    if (assigned.length == 2) {
      const assignment = assigned.pop() as ExperimentResult;
      const experiment = assigned.pop() as Experiment;
      if (handle) handle(experiment, assignment);
      return result;
    }
    const list = assigned.splice(0);
    for (let i = 0; i < list.length; i += 2) if (handle) handle(list[i] as Experiment, list[i + 1] as ExperimentResult);
    return result;
  }

  const setFeatures = (features: FeatureDefinitions, savedGroups?: ClientOptions['savedGroups']) => {
    ctx.features = featureSet(features, log);
    if (savedGroups) ctx.savedGroups = savedGroups;
    emit(featureListeners, log, features);
    notify();
  };

  const runInline = <T>(experiment: Experiment<T>, evalOptions: EvalOptions | undefined): ExperimentResult<T> =>
    evaluated(evalOptions, runInlineExperiment, experiment as Experiment, controlOf) as ExperimentResult<T>;

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
    evalFeature: (key, evalOptions) => evaluated(evalOptions, evalFeature, key, unknownFeature) as never,
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
      ctx.attributes = attributesCopy(attributes, log);
      loadStickyDocs();
      notify();
    },
    setFeatures,
    setForcedVariations(forced) {
      ctx.forcedVariations = safeCopy(forced, log);
      notify();
    },
    setForcedFeatures(forced) {
      ctx.forcedFeatures = toMap(forced, log);
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
      overrides: { ...ctx.overrides },
      contextualBandits: { ...ctx.contextualBandits },
      ready: snapshot.ready,
    }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    destroy() {
      emit(destroyListeners, log);
      destroyListeners = undefined;
      listeners.clear();
      exposures.setCallback(undefined);
    },
  };

  // Only a client with plugins builds their host (a server's per-request client usually has none).
  const plugins = options.plugins || [];
  if (plugins.length) startPlugins();
  loadStickyDocs();
  return client as Client<F> & PluginExtensions<P>;

  function startPlugins(): void {
    const features = (featureListeners = new Set());
    const assignments = (assignmentListeners = new Set());
    const destroys = (destroyListeners = new Set());
    const identities: Record<string, string> = (watched = {});
    /** Override layers from plugins (bandit weights), under the app's own `overrides`. */
    const layers = new Map<string, Record<string, Partial<Experiment>>>();
    const appOverrides = ctx.overrides!;
    const host: PluginHost = {
      client,
      clientId,
      log,
      userAgent,
      stickyStore: store,
      experimentsEnabled: ctx.enabled !== false && !ctx.qaMode,
      urlOverridesAllowed: ctx.allowUrlOverrides !== false,
      getURL: () => ctx.url,
      getAttributes: client.getAttributes,
      getFeatures: () => ctx.features.definitions,
      setFeatures,
      onFeaturesChange: (listener) => (features.add(listener), () => features.delete(listener)),
      onAssignment: (listener) => (assignments.add(listener), () => assignments.delete(listener)),
      onExposure: exposures.listen,
      onDestroy: (listener) => void destroys.add(listener),
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
      run(experiment, attributes) {
        if (!attributes) return runInline(experiment, undefined);
        const saved = ctx.attributes;
        // For this one evaluation only; restored even if it throws.
        ctx.attributes = attributesCopy({ ...saved, ...attributes }, log);
        try {
          return runInline(experiment, undefined);
        } finally {
          ctx.attributes = saved;
        }
      },
      expose: exposures.report,
      getStickyDocs: (hydrating) => ((hydrating && hydrationCtx) || ctx).stickyDocs || {},
      rememberStickyDoc(doc) {
        if (!ctx.stickyDocs) return;
        const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
        ctx.stickyDocs[key] = mergeStickyDocs(ctx.stickyDocs[key], doc);
        notify();
      },
      watchStickyIdentity(attributeName, attributeValue) {
        identities[attributeName] = attributeValue;
      },
      notify: () => notify(),
    };
    for (const plugin of plugins) {
      try {
        Object.assign(client, plugin(host));
      } catch (error) {
        log('A plugin failed to start', { error });
      }
    }
  }
}
