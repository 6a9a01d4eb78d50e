/**
 * Which redirect a visitor gets, if any: the first auto experiment (GrowthBook payload
 * `experiments`) that targets the URL, puts the visitor in and gives a variation with a
 * `urlRedirect`. Pure but for `run`, which is the client's (exposure and sticky bucket included),
 * so the same function serves the browser, servers and the conformance suite.
 */
import type { Experiment, ExperimentResult, Logger } from '../../types';
import { isUrlTargeted, type UrlPattern } from './patterns';

/** A variation of a redirect experiment: where it sends the visitor (none: the page itself, the control). */
export interface RedirectVariation {
  urlRedirect?: string;
}

/** An auto experiment of a GrowthBook payload that redirects (its `experiments` array). */
export interface RedirectExperiment extends Experiment<RedirectVariation> {
  /** The pages it runs on. Without any, it runs nowhere. */
  urlPatterns?: UrlPattern[];
  /** Carry the page's query parameters over to the destination (the destination's own win). */
  persistQueryString?: boolean;
}

/** A decided redirect. */
export interface Redirect {
  experiment: RedirectExperiment;
  result: ExperimentResult<RedirectVariation>;
  /** The variation's `urlRedirect`, as written. */
  urlRedirect: string;
  /** Where to go: `urlRedirect` made absolute, with the page's query parameters if `persistQueryString`. */
  urlWithParams: string;
}

/** Runs an experiment for the visitor, as `client.run` does. */
export type RunExperiment = (experiment: RedirectExperiment) => ExperimentResult<RedirectVariation>;

/** Whether `value` can be run as a redirect experiment: a key, two or more variations, one of them a redirect. */
export function isRedirectExperiment(value: unknown): value is RedirectExperiment {
  const exp = value as RedirectExperiment;
  return (
    !!exp &&
    typeof exp == 'object' &&
    typeof exp.key == 'string' &&
    Array.isArray(exp.variations) &&
    exp.variations.length > 1 &&
    exp.variations.some((v) => !!v && typeof v == 'object' && typeof v.urlRedirect == 'string')
  );
}

/**
 * `redirect` resolved against `current` (http and https only: a `javascript:` or `data:` URL from
 * a payload is never followed), with `current`'s query parameters added when `persist` (those the
 * destination names keep its values). The destination's hash is kept; the page's is not, as in
 * GrowthBook. `null` when it does not parse.
 */
export function destinationOf(current: string, redirect: string, persist: boolean | undefined): string | null {
  try {
    const from = new URL(current);
    const to = new URL(redirect, from);
    if (to.protocol != 'https:' && to.protocol != 'http:') return null;
    if (persist) from.searchParams.forEach((value, name) => to.searchParams.has(name) || to.searchParams.append(name, value));
    return to.href;
  } catch {
    return null;
  }
}

/**
 * The redirect for the visitor at `url`, or `null`. Experiments are tried in order; the first that
 * targets the URL and has the visitor in it decides (its control: no redirect), as GrowthBook's
 * browser SDK does. Never a loop: a destination that a redirect experiment of the same list
 * targets (itself included) is refused and logged, so no chain of redirects can start.
 */
export function findRedirect(experiments: unknown, url: string | undefined, run: RunExperiment, log: Logger): Redirect | null {
  if (!url || !Array.isArray(experiments)) return null;
  const candidates = experiments.filter(isRedirectExperiment);
  for (const experiment of candidates) {
    if (!isUrlTargeted(url, experiment.urlPatterns, log)) continue;
    const result = run(experiment);
    if (!result.inExperiment) continue;
    const variation = experiment.variations[result.variationId];
    const urlRedirect = variation && variation.urlRedirect;
    if (typeof urlRedirect != 'string' || !urlRedirect) return null;
    const urlWithParams = destinationOf(url, urlRedirect, experiment.persistQueryString);
    if (!urlWithParams || urlWithParams == url || candidates.some((other) => isUrlTargeted(urlWithParams, other.urlPatterns, log))) {
      log('Redirect not followed: its destination is invalid or would redirect again', { experiment: experiment.key, urlRedirect });
      return null;
    }
    return { experiment, result, urlRedirect, urlWithParams };
  }
  return null;
}
