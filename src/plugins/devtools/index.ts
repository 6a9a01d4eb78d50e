/**
 * `splitflap/devtools`: a small panel listing every feature and experiment the page evaluated,
 * with its value, source, rule and variant, updated live; and forcing a flag value or a variant
 * for this browser tab (kept in sessionStorage, never sent anywhere, cleared with one button).
 *
 * ```ts
 * attachDevtools(client, { urlParam: 'splitflap-devtools' }); // open with ?splitflap-devtools
 * ```
 *
 * A binding over the client's public methods, like the React hooks, not a plugin. Off unless
 * enabled: `enabled: true`, or the URL parameter the app allows. It records what is evaluated by
 * putting recording `evalFeature` and `run` on the client (through `client.use`), hears of what
 * plugins run (`assignment` events) and of Sixpack answers (`participation` events), and forces
 * through `setForcedFeatures` / `setForcedVariations`, over the app's own forced values. Forced
 * results are never hashed assignments: no exposure, no sticky bucket. Nothing happens outside
 * browsers.
 */
import type { Client, EvalOptions } from '../../api';
import type { Participation } from '../../plugin';
import type { Experiment, ExperimentResult, FeatureResult } from '../../types';
import { createPanel, type PanelModel, type RecordedExperiment } from './panel';
import { devtoolsRequested, readForced, writeForced, type ForcedValues } from './session';
import { pageDocument } from '../../internal/env';

export { devtoolsRequested, readForced, type ForcedValues } from './session';

/** Options of {@link attachDevtools}. */
export interface DevtoolsOptions {
  /** Show the panel's button on every page load (staging, local development). Default false. */
  enabled?: boolean;
  /**
   * A URL parameter that turns the panel on for the rest of the tab's session (`?name`), and off
   * again (`?name=0`). Default: none, so only `enabled` shows it.
   */
  urlParam?: string;
  /**
   * A token the URL parameter must carry to turn the panel on (`?splitflap-devtools=<token>`), so
   * a link without it (a third party's) opens nothing. Default none: the bare parameter does.
   */
  token?: string;
  /** Open the panel at once, not just its button. */
  open?: boolean;
}

/**
 * The panel for `client`, if enabled (see {@link DevtoolsOptions}), until `client.destroy()`.
 * Call it once the client has its plugins (the recording methods wrap what is there).
 */
export function attachDevtools(client: Client, options: DevtoolsOptions = {}): void {
  if (!pageDocument()) return;
  client.use((host) => {
    if (!options.enabled && !devtoolsRequested(options.urlParam, host.read().url, options.token)) return;
    // The app's own forced values stay under the ones forced here.
    const snapshot = client.getSnapshotForHydration({ features: false });
    const appFeatures = snapshot.forcedFeatures || {};
    const appVariations = snapshot.forcedVariations || {};
    let forced: ForcedValues = readForced();
    const apply = () => {
      client.setForcedFeatures({ ...appFeatures, ...forced.features });
      client.setForcedVariations({ ...appVariations, ...forced.variations });
    };
    const change = (update: (values: ForcedValues) => void) => {
      update(forced);
      writeForced(forced);
      apply();
    };

    const features = new Map<string, FeatureResult>();
    const experiments = new Map<string, RecordedExperiment>();
    const recordExperiment = (experiment: Experiment, result: ExperimentResult) => {
      if (!experiment || typeof experiment.key != 'string' || !result) return;
      const last = experiments.get(experiment.key);
      if (last && last.result.variationId === result.variationId && last.result.inExperiment === result.inExperiment && last.experiment === experiment) return;
      experiments.set(experiment.key, { experiment, result });
      panel.schedule();
    };

    const model: PanelModel = {
      features: () => features,
      experiments: () => experiments,
      forced: () => forced,
      forceFeature: (key, value) => change((values) => (value === undefined ? delete values.features[key] : (values.features[key] = value))),
      forceVariation: (key, index) => change((values) => (index === undefined ? delete values.variations[key] : (values.variations[key] = index))),
      clearForced() {
        forced = { features: Object.create(null), variations: Object.create(null) };
        writeForced(forced);
        apply();
      },
    };
    const panel = createPanel(model, { open: options.open });
    const unsubscribe = client.subscribe(panel.schedule);
    const stopAssignments = host.on('assignment', recordExperiment);
    const stopParticipations = host.on('participation', recordParticipation);
    host.on('destroy', () => {
      stopParticipations();
      unsubscribe();
      stopAssignments();
      panel.destroy();
    });

    /**
     * A Sixpack answer as an experiment row: the alternative and where it came from. Markup asks
     * for a feature of the same name first (unknown, as Sixpack experiments are not features):
     * that probe's row goes.
     */
    function recordParticipation(answer: Participation) {
      const name = answer.experiment;
      if (features.get(name)?.source === 'unknownFeature') features.delete(name);
      const alternatives = answer.alternatives.slice();
      const variationId = Math.max(0, alternatives.indexOf(answer.alternative));
      const inExperiment = answer.source !== 'fallback' && answer.source !== 'disabled';
      const result: ExperimentResult = { key: answer.alternative, value: answer.alternative, variationId, inExperiment, hashUsed: false, featureId: null, hashAttribute: 'clientId', hashValue: host.settings.clientId, stickyBucketUsed: answer.source === 'sticky' };
      experiments.set(name, { experiment: { key: name, variations: alternatives }, result, via: 'Sixpack: ' + answer.source });
      panel.schedule();
    }

    const evalFeature = client.evalFeature;
    const run = client.run;
    const recording: Pick<Client, 'evalFeature' | 'run'> = {
      evalFeature(key: string, evalOptions?: EvalOptions) {
        const result = evalFeature(key, evalOptions);
        const last = features.get(key);
        if (!last || last.value !== result.value || last.source !== result.source || last.ruleId !== result.ruleId || last.experimentResult?.key !== result.experimentResult?.key) {
          features.set(key, result);
          panel.schedule();
        }
        if (result.experiment && result.experimentResult) recordExperiment(result.experiment, result.experimentResult);
        return result;
      },
      run<T>(experiment: Experiment<T>, evalOptions?: EvalOptions) {
        const result = run(experiment, evalOptions);
        recordExperiment(experiment as Experiment, result as ExperimentResult);
        return result;
      },
    };
    // Once the recording methods are on the client: everything the page shows is evaluated
    // again through them (forcing tells subscribers too).
    const hasForced = Object.keys(forced.features).length + Object.keys(forced.variations).length > 0;
    queueMicrotask(hasForced ? apply : host.refresh);
    return recording;
  });
}
