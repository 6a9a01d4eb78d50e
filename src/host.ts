/**
 * The plugin host: the one object plugins get, built from the client's parts. Plugins contribute
 * data the next evaluation reads (definitions, an override layer under the app's own overrides,
 * sticky docs, start-up tasks) and hear of what happened (features changed, an assignment, an
 * exposure, destroy); evaluation never calls a plugin.
 */
import type { Client } from './api';
import type { Exposures } from './exposure';
import type { Events } from './events';
import { attributesCopy, safeCopy } from './intake';
import type { PluginHost } from './plugin';
import type { EvalState } from './state';
import type { Startup } from './startup';
import { mergeStickyDocs, stickyAttributeKey } from './sticky';
import type { Attributes, Experiment, ExperimentResult, FeatureDefinitions, StickyBucketStore } from './types';

/** What plugins hear of, by name. */
export type ClientEvents = {
  /** Results may have changed (the client's `subscribe`). */
  change: () => void;
  features: (features: FeatureDefinitions | undefined) => void;
  assignment: (experiment: Experiment, result: ExperimentResult) => void;
  destroy: () => void;
};

/** The client's parts the host is built from. */
export interface HostParts {
  client: Client;
  state: EvalState;
  hydrationState: EvalState | undefined;
  userAgent: string | undefined;
  store: StickyBucketStore | undefined;
  events: Events<ClientEvents>;
  exposures: Exposures;
  startup: Startup;
  /** Identities loaded with the visitor's own sticky docs (Sixpack answers). */
  watched: Record<string, string>;
  /** `client.run`, against the given state. */
  run<T>(experiment: Experiment<T>, state: EvalState): ExperimentResult<T>;
  notify(): void;
}

export function createHost(parts: HostParts): PluginHost {
  const { client, state, events, notify } = parts;
  const visitor = state.visitor;
  /** Override layers from plugins (bandit weights), under the app's own `overrides`. */
  const layers = new Map<string, Record<string, Partial<Experiment>>>();
  const appOverrides = visitor.overrides;
  return {
    client,
    clientId: client.clientId,
    log: state.log,
    userAgent: parts.userAgent,
    stickyStore: parts.store,
    experimentsEnabled: visitor.enabled !== false && !visitor.qaMode,
    urlOverridesAllowed: visitor.allowUrlOverrides !== false,
    getURL: () => state.visitor.url,
    getAttributes: client.getAttributes,
    getFeatures: () => state.payload.features.definitions,
    setFeatures: client.setFeatures,
    onFeaturesChange: (listener) => events.on('features', listener),
    onAssignment: (listener) => events.on('assignment', listener),
    onExposure: parts.exposures.listen,
    onDestroy: (listener) => void events.on('destroy', listener),
    addStartupTask: parts.startup.add,
    setOverrideLayer(name, overrides) {
      if (overrides) layers.set(name, overrides);
      else layers.delete(name);
      const merged = safeCopy<Partial<Experiment>>();
      layers.forEach((layer) => Object.assign(merged, layer));
      for (const key in appOverrides) merged[key] = { ...merged[key], ...appOverrides[key] };
      state.visitor.overrides = merged;
      notify();
    },
    run(experiment, attributes?: Attributes) {
      if (!attributes) return parts.run(experiment, state);
      // The merged attributes for this one evaluation: a state of its own, the client's untouched.
      const merged = attributesCopy({ ...state.visitor.attributes, ...attributes }, state.log);
      return parts.run(experiment, { ...state, visitor: { ...state.visitor, attributes: merged } });
    },
    expose: parts.exposures.report,
    getStickyDocs: (hydrating) => ((hydrating && parts.hydrationState) || state).visitor.stickyBucketAssignmentDocs || {},
    rememberStickyDoc(doc) {
      const docs = state.visitor.stickyBucketAssignmentDocs;
      if (!docs) return;
      const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
      docs[key] = mergeStickyDocs(docs[key], doc);
      notify();
    },
    watchStickyIdentity(attributeName, attributeValue) {
      parts.watched[attributeName] = attributeValue;
    },
    notify: () => notify(),
  };
}
