/**
 * `splitflap/redirect`: split-URL (redirect) experiments, as GrowthBook payloads carry them: auto
 * experiments (`experiments` beside `features`) whose variations hold a `urlRedirect`, targeted by
 * `urlPatterns`. The plugin decides; the redirect itself is the caller's: `location.replace` in
 * the script tag (`splitflap.redirect.js`), a 307 on a server (`splitflap/server`,
 * `splitflap/next`). A separate entry, so apps without redirect tests never bundle it.
 *
 * ```ts
 * const client = createClient({ url, plugins: [redirects({ experiments: payload.experiments })] });
 * const redirect = client.getRedirect(); // exposure reported; null: stay on the page
 * if (redirect) location.replace(redirect.urlWithParams);
 * ```
 */
import type { Plugin } from '../../plugin';
import type { ExperimentResult } from '../../types';
import { findRedirect, type Redirect, type RedirectExperiment, type RedirectVariation } from './find';

export { destinationOf, findRedirect, isRedirectExperiment } from './find';
export type { Redirect, RedirectExperiment, RedirectVariation, RunExperiment } from './find';
export { globMatch, isUrlTargeted } from './patterns';
export type { UrlPattern } from './patterns';

/** Options of {@link redirects}. */
export interface RedirectOptions {
  /** The payload's `experiments`. A `remote()` payload's own replace them when it arrives. */
  experiments?: unknown[];
  /**
   * Called when a redirect experiment puts the visitor in a variation (the control included),
   * before any navigation: where a page beacons exposures that must survive leaving it.
   */
  onDecide?: (experiment: RedirectExperiment, result: ExperimentResult<RedirectVariation>) => void;
}

/** What {@link redirects} adds to the client. */
export interface RedirectMethods {
  /**
   * The visitor's redirect at `url` (default: the client's `url`), or `null` to stay. Deciding runs
   * the experiment: its exposure is reported (control included) and its sticky bucket kept. Bots,
   * QA mode and `enabled: false` get `null`.
   */
  getRedirect(url?: string): Redirect | null;
  /** Replace the redirect experiments (a payload's `experiments`). */
  setRedirectExperiments(experiments: unknown[] | undefined): void;
}

/** Redirect experiments for this client: from `options.experiments`, then from each `remote()` payload. */
export function redirects(options: RedirectOptions = {}): Plugin<RedirectMethods> {
  return (host) => {
    let experiments = options.experiments;
    host.on('payload', (payload) => {
      if (payload && payload.experiments !== undefined) experiments = payload.experiments;
    });
    return {
      getRedirect(url) {
        if (!host.settings.experimentsEnabled) return null;
        return findRedirect(experiments, url ?? host.read().url, (exp) => {
          const result = host.run(exp);
          if (result.inExperiment && options.onDecide) options.onDecide(exp, result);
          return result;
        }, host.log);
      },
      setRedirectExperiments(next) {
        experiments = next;
      },
    };
  };
}
