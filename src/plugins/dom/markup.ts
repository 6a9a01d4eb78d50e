/**
 * `splitflap/dom`: declarative markup for plain pages, the binding the script-tag build
 * (src/browser) drives the page with. Apps with a bundler can use it too:
 * `bindMarkup(client, options)`. A binding, like the React hooks, not a plugin: it works through
 * the client's public methods (Sixpack mode's `participate` and `convert` when the client has
 * them), and joins the client with `client.use` only to hear of `destroy` and ask for consent.
 *
 * - `data-flag="name"` shows an element only when the flag is on, `data-flag-off="name"` only
 *   when it is off.
 * - `data-experiment="name"` shows only the descendant `data-variant` of the visitor's
 *   alternative; `data-alternatives="a,b"` lists them (default: its variants, in order; the first
 *   is the control). The alternative comes from, in order: a feature of that name in the payload
 *   (so weights and targeting live there); the Sixpack server when the client has the Sixpack
 *   plugin; else an inline experiment, `client.run({ key: name, variations: alternatives })`.
 * - `data-bandit="thompson"` on a local (inline) experiment runs it as a bandit: stats from
 *   `data-bandit-stats-url` (polled every `data-bandit-refresh-ms`) or `client.setBanditStats`;
 *   `data-bandit-winner` (`""` or `"reassign"`) turns on winner detection (the bandits plugin
 *   runs them; `onBandit` is told of each one, so a script tag can load it). Payload features carry
 *   `bandit` in their experiment rules instead; Sixpack experiments run as bandits on the server.
 * - `data-convert="name"` (and `data-kpi`) converts on click.
 * - `data-goal-url="/thanks"` (and `data-goal-kpi`) on an experiment, or `goals` in the config:
 *   converts when the visitor later reaches that URL (remembered in localStorage once the
 *   experiment was shown), django-bandits' source → target conversion.
 *
 * Every conversion also fires a bubbling `splitflap:convert` event ({ experiment, kpi }), the way
 * to report conversions of local experiments. `splitflap:ready` fires on `document` once the markup
 * of the parsed page is applied (Sixpack answers included). Elements are shown and hidden with the `hidden`
 * attribute. Markup is applied once `client.ready()` resolves (with `featuresUrl`: once the
 * payload is in or failed, 5 s at most), then on every DOM change (MutationObserver) and every
 * client change. Anti-flicker hides the page (or only the marked
 * elements) through CSSOM `style.visibility` and the class `splitflap-pending` on <html> until
 * all of it is applied or the timeout passes, whichever is first.
 *
 * Strict-CSP safe: no eval, no innerHTML, no <style> elements or style attributes (CSSOM only);
 * configuration is data, never executed; JSON from attributes goes through the core's
 * null-prototype copies.
 */
import type { Client } from '../../api';
import type { PluginHost } from '../../plugin';
import type { BanditConfig } from '../../types';
import type { SixpackMethods } from '../sixpack';
import { pageDocument } from '../../internal/env';

/** Options of {@link bindMarkup}. */
export interface MarkupOptions {
  /** `true`/`""`: hide the page until decided; `"elements"`: only the marked elements; `false`: off. */
  antiFlicker?: boolean | string;
  /** The longest the page stays hidden, in ms; default 500. */
  antiFlickerTimeout?: number | string;
  /** Experiment → goal URL (or `{ url, kpi }`). */
  goals?: Record<string, string | { url: string; kpi?: string }>;
  /** Told of each `data-bandit` experiment the first time it is seen (the script tag loads the bandits plugin then). */
  onBandit?: (experiment: string, config: BanditConfig) => void;
}

const GOALS = 'splitflap:goals';

/** A remembered goal: [experiment, absolute goal URL, kpi?]. */
type Goal = [string, string, string?];
const isGoal = (g: unknown): g is Goal => {
  if (!Array.isArray(g) || g.length < 2 || g.length > 3 || typeof g[0] != 'string' || typeof g[1] != 'string' || (g[2] != null && typeof g[2] != 'string')) return false;
  try {
    return !!new URL(g[1]);
  } catch {
    return false;
  }
};
const PENDING = 'splitflap-pending';

/**
 * Apply the page's declarative markup to `client`, from now until `client.destroy()` or until the
 * returned function is called. Where there is no document (a server), nothing happens.
 */
export function bindMarkup(client: Client & Partial<SixpackMethods>, options: MarkupOptions = {}): () => void {
  let stop = () => undefined as void;
  if (!pageDocument()) return stop;
  client.use((host) => {
    stop = applyMarkup(client, options, host);
    host.on('destroy', stop);
  });
  return () => stop();
}

function applyMarkup(client: Client & Partial<SixpackMethods>, config: MarkupOptions, host: PluginHost): () => void {
  const log = host.log;
  const doc = document;
  const root = doc.documentElement;
  const goals = new Map<string, unknown>(Object.entries(config.goals || {}));
  const banditsSeen = new Set<string>();

  // Anti-flicker: 0 off, 1 the whole page, 2 the marked elements.
  const af = config.antiFlicker;
  const mode = af == null || af === false || af === 'false' ? 0 : af === 'elements' ? 2 : 1;
  /** Elements hidden by anti-flicker, with the visibility to restore. */
  const hidden = new Map<HTMLElement, string>();
  let waiting = mode > 0;
  const timer = waiting && setTimeout(reveal, +config.antiFlickerTimeout! || 500);
  function hide(el: HTMLElement): void {
    if (!hidden.has(el)) {
      hidden.set(el, el.style.visibility);
      el.style.visibility = 'hidden';
    }
  }
  function reveal(): void {
    if (!waiting) return;
    waiting = false;
    clearTimeout(timer as ReturnType<typeof setTimeout>);
    root.classList.remove(PENDING);
    hidden.forEach((visibility, el) => (el.style.visibility = visibility));
    hidden.clear();
  }
  if (waiting) {
    root.classList.add(PENDING);
    if (mode == 1) hide(root);
  }

  /** Sixpack answers by experiment: the alternative, or the request in flight. */
  const decided = new Map<string, string | Promise<void>>();
  /** Experiments whose goal is remembered already on this page. */
  const recorded = new Set<string>();
  let started = false;
  let applied = false;
  let stopped = false;
  let inflight = 0;

  const show = (el: HTMLElement, on: boolean) => el.hidden == on && (el.hidden = !on);

  function scan(): void {
    if (stopped) return;
    doc.querySelectorAll<HTMLElement>('[data-flag],[data-flag-off],[data-experiment]').forEach((el) => {
      if (waiting && mode == 2) hide(el);
      if (!started) return;
      const data = el.dataset;
      if (data.experiment != null) experiment(el, data.experiment);
      else show(el, data.flag != null ? client.isOn(data.flag) : client.isOff(data.flagOff!));
    });
    if (started && !inflight && doc.readyState != 'loading' && !applied) {
      applied = true;
      reveal();
      doc.dispatchEvent(new CustomEvent('splitflap:ready'));
    }
  }

  function experiment(el: HTMLElement, name: string): void {
    const variant = (v: HTMLElement) => v.dataset.variant!.trim();
    const variants = [...el.querySelectorAll<HTMLElement>('[data-variant]')].filter((v) => v.closest('[data-experiment]') == el);
    const alternatives = (el.dataset.alternatives ? el.dataset.alternatives.split(',') : variants.map(variant)).map((a) => a.trim()).filter(Boolean);
    if (!alternatives.length) return;
    const apply = (alternative: string) => {
      if (!alternatives.includes(alternative)) alternative = alternatives[0]!;
      variants.forEach((v) => show(v, variant(v) == alternative));
      seen(name, el);
    };
    const known = decided.get(name);
    if (typeof known == 'string') return apply(known);
    if (known) return; // the Sixpack answer is on its way; it rescans
    const feature = client.evalFeature(name);
    if (feature.source != 'unknownFeature') return apply(String(feature.value));
    // `in`, not a truthy read: in development a missing plugin method is a function that explains itself.
    const participate = 'participate' in client ? client.participate : undefined;
    if (!participate) return apply(String(client.run({ key: name, variations: alternatives, ...banditOf(el, name) }).value));
    inflight++;
    decided.set(
      name,
      participate(name, alternatives)
        .then(
          (result) => result.alternative,
          (error) => (log('participate failed', { experiment: name, error }), alternatives[0]!),
        )
        .then((alternative) => {
          decided.set(name, alternative);
          inflight--;
          scan();
        }),
    );
  }

  /**
   * `data-bandit="thompson"` (any policy) makes an inline experiment a bandit, with
   * `data-bandit-stats-url`, `data-bandit-refresh-ms` and `data-bandit-winner` (`""` or `"reassign"`).
   */
  function banditOf(el: HTMLElement, name: string): { bandit?: BanditConfig } {
    const data = el.dataset;
    if (!data.bandit) return {};
    const winner = data.banditWinner;
    const bandit: BanditConfig = {
      policy: data.bandit.trim() as BanditConfig['policy'],
      statsUrl: data.banditStatsUrl,
      refreshMs: +data.banditRefreshMs! || undefined,
      winner: winner == null ? undefined : { reassign: winner == 'reassign' },
    };
    if (!banditsSeen.has(name) && config.onBandit) {
      banditsSeen.add(name);
      config.onBandit(name, bandit);
    }
    return { bandit };
  }

  /**
   * The remembered goals: [experiment, absolute URL, kpi?]. Storage is untrusted: an unparsable
   * value or an entry of another shape is dropped (and the rest written back), so one bad entry
   * never stops the others. Throws only on unusable storage.
   */
  const storedGoals = (): Goal[] => {
    const text = localStorage.getItem(GOALS);
    let list: unknown;
    try {
      list = JSON.parse(text || '[]');
    } catch {}
    const goals = Array.isArray(list) ? list.filter(isGoal) : [];
    if (text != null && (!Array.isArray(list) || goals.length < list.length)) {
      log('Dropped corrupt remembered goals', { stored: text });
      saveGoals(goals);
    }
    return goals;
  };
  const saveGoals = (list: Goal[]) => localStorage.setItem(GOALS, JSON.stringify(list));

  /** The experiment was shown: remember its goal, if it has one. */
  function seen(name: string, el: HTMLElement): void {
    const data = el.dataset;
    const goal = goals.get(name) as string | { url?: string; kpi?: string } | undefined;
    const [url, kpi] = data.goalUrl ? [data.goalUrl, data.goalKpi] : typeof goal == 'string' ? [goal] : goal ? [goal.url, goal.kpi] : [];
    // Without consent nothing is stored: the next scan after a grant remembers it.
    if (!url || recorded.has(name) || host.read().consent != 'granted') return;
    recorded.add(name);
    try {
      const list = storedGoals().filter((g) => g[0] != name);
      list.push([name, new URL(url, location.href).href, kpi]);
      saveGoals(list);
    } catch (error) {
      log('Goals failed', { error });
    }
  }

  function convert(experiment: string, kpi: string | null | undefined, target: EventTarget): void {
    target.dispatchEvent(new CustomEvent('splitflap:convert', { bubbles: true, detail: { experiment, kpi } }));
    if ('convert' in client && client.convert) client.convert(experiment, kpi ? { kpi } : undefined).catch((error) => log('convert failed', { experiment, error }));
  }

  /** Reaching a goal URL of an experiment seen earlier converts it, once. */
  function checkGoals(): void {
    try {
      const list = storedGoals();
      const here = location;
      const left = list.filter(([name, url, kpi]) => {
        const goal = new URL(url);
        if (goal.origin + goal.pathname != here.origin + here.pathname || (goal.search && goal.search != here.search)) return true;
        convert(name, kpi, doc);
      });
      if (left.length < list.length) saveGoals(left);
    } catch (error) {
      log('Goals failed', { error });
    }
  }

  // Capture phase: a page handler that stops propagation does not swallow the conversion.
  const onClick = (event: Event) => {
    const target = event.target as Element;
    const el = target.closest && target.closest<HTMLElement>('[data-convert]');
    if (el) convert(el.dataset.convert!, el.dataset.kpi, el);
  };
  doc.addEventListener('click', onClick, true);
  doc.addEventListener('DOMContentLoaded', scan);
  const observer = new MutationObserver(scan);
  observer.observe(root, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['data-flag', 'data-flag-off', 'data-experiment', 'data-alternatives', 'data-variant'],
  });
  const unsubscribe = client.subscribe(scan);
  // After ready: page code queued in splitflapQueue listens for `splitflap:convert` by then.
  client.ready().then(() => {
    if (stopped) return;
    checkGoals();
    started = true;
    scan();
  });
  scan();

  return () => {
    if (stopped) return;
    stopped = true;
    observer.disconnect();
    doc.removeEventListener('click', onClick, true);
    doc.removeEventListener('DOMContentLoaded', scan);
    unsubscribe();
    reveal();
  };
}
