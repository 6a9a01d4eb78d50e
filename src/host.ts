/**
 * The plugin host: the one object plugins get, built from the client's parts. Plugins contribute
 * data the next evaluation reads (definitions, an override layer under the app's own overrides,
 * sticky docs, start-up tasks) and hear of what happened (features changed, an assignment, an
 * exposure, destroy); evaluation never calls a plugin.
 */
import type { Exposures } from './exposure';
import type { Events } from './events';
import { attributesCopy, safeCopy } from './intake';
import type { ClientEvents, PluginHost } from './plugin';
import type { EvalState } from './state';
import type { Startup } from './startup';
import { mergeStickyDocs, stickyAttributeKey } from './sticky';
import type { Attributes, Consent, Experiment, ExperimentResult, FeatureDefinitions, SavedGroups, StickyBucketStore } from './types';

export type { ClientEvents } from './plugin';

/** The client's parts the host is built from. */
export interface HostParts {
  clientId: string;
  /** The app's answer to "may we store and report" (`ClientOptions.consent`); none: granted. */
  consent: (() => Consent) | undefined;
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
  setFeatures(features: FeatureDefinitions, savedGroups?: SavedGroups): void;
  /** Read the stored sticky docs again (the identities' and the watched ones). */
  loadStickyDocs(): void;
  notify(): void;
}

/** The app's answer to "may we store and report"; a function that throws is not a yes. */
function consentOf(parts: HostParts): Consent {
  try {
    return parts.consent ? parts.consent() : 'granted';
  } catch (error) {
    parts.state.log('The consent function threw; treated as pending', { error });
    return 'pending';
  }
}

export function createHost(parts: HostParts): PluginHost {
  const { state, events, notify } = parts;
  const visitor = state.visitor;
  /** Override layers from plugins (bandit weights), under the app's own `overrides`. */
  const layers = new Map<string, Record<string, Partial<Experiment>>>();
  const appOverrides = visitor.overrides;
  return {
    settings: {
      clientId: parts.clientId,
      userAgent: parts.userAgent,
      stickyStore: parts.store,
      experimentsEnabled: visitor.enabled !== false && !visitor.qaMode,
      urlOverridesAllowed: visitor.allowUrlOverrides !== false,
    },
    log: state.log,
    read(hydrating) {
      const from = ((hydrating && parts.hydrationState) || state).visitor;
      return { url: from.url, attributes: { ...from.attributes }, features: state.payload.features.definitions, stickyDocs: from.stickyBucketAssignmentDocs || {}, consent: consentOf(parts) };
    },
    on: events.on,
    emit: events.emit,
    setFeatures: parts.setFeatures,
    setOverrideLayer(name, overrides) {
      if (overrides) layers.set(name, overrides);
      else layers.delete(name);
      const merged = safeCopy<Partial<Experiment>>();
      layers.forEach((layer) => Object.assign(merged, layer));
      for (const key in appOverrides) merged[key] = { ...merged[key], ...appOverrides[key] };
      state.visitor.overrides = merged;
      notify();
    },
    addStartupTask: parts.startup.add,
    run(experiment, attributes?: Attributes) {
      if (!attributes) return parts.run(experiment, state);
      // The merged attributes for this one evaluation: a state of its own, the client's untouched.
      const merged = attributesCopy({ ...state.visitor.attributes, ...attributes }, state.log);
      return parts.run(experiment, { ...state, visitor: { ...state.visitor, attributes: merged } });
    },
    expose: parts.exposures.report,
    keepStickyDoc(doc) {
      parts.watched[doc.attributeName] = doc.attributeValue;
      const docs = state.visitor.stickyBucketAssignmentDocs;
      if (!docs || !Object.keys(doc.assignments).length) return;
      const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
      docs[key] = mergeStickyDocs(docs[key], doc);
      notify();
    },
    refresh() {
      parts.loadStickyDocs();
      notify();
    },
  };
}
