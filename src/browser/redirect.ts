/**
 * `dist/splitflap.redirect.js`: split-URL tests for the script tag. Its tag goes before
 * `splitflap.global.js` (like the Sixpack file); it puts `redirectPage` on
 * `window.SplitflapRedirect`, and the main file calls it as soon as its client exists.
 *
 * The redirect must happen before the visitor sees the page (a flash of the original is what
 * GrowthBook's and Amplitude's tags were reported for), so:
 * - with the experiments inline (`data-experiments`), the decision is synchronous, in <head>,
 *   before any of <body> is parsed;
 * - with a payload URL, the page is held hidden until the payload is in, and no longer: a visitor
 *   who stays sees the page as soon as that is known, not at a timeout. If the hold times out
 *   first, the visitor stays (a redirect after the page has shown is the flash we avoid).
 * In both, the page is hidden before `location.replace`, since the parser goes on (and the
 * browser may paint) until the destination answers. The hold is a constructed style sheet, apart
 * from the markup's own anti-flicker and allowed by a strict CSP.
 *
 * The exposure goes out by `navigator.sendBeacon` (`data-redirect-beacon`), which survives the
 * navigation, once per visitor, experiment and variation (remembered in localStorage), and
 * through `onExposure` like every exposure.
 */
import type { Client } from '../api';
import { pageDocument, pageLocalStorage, pageNavigator, pageWindow } from '../internal/env';
import { redirects, type RedirectExperiment } from '../plugins/redirect';
import type { ExperimentResult, Logger } from '../types';
import type { ScriptFiles } from './files';
import type { ScriptConfig } from './index';

/**
 * What the tag's configuration says: `experiments` inline (`data-experiments`, an array or its
 * JSON) are decided synchronously, else the payload's once it is in; the exposure is beaconed as
 * JSON to `redirectBeacon`; the page is held for a payload at most `antiFlickerTimeout` ms (500).
 */
export type PageRedirectOptions = Pick<ScriptConfig, 'experiments' | 'redirectBeacon' | 'antiFlickerTimeout'>;

const EXPOSED = 'splitflap:redirect-exposures';

/** Hide the whole page until `release()` (a constructed sheet with `!important`; an inline style where those are missing). */
function holdPage(): () => void {
  const doc = pageDocument() as (Document & { adoptedStyleSheets?: CSSStyleSheet[] }) | undefined;
  if (!doc) return () => undefined;
  const rule = 'html{visibility:hidden!important}';
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(rule);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets!, sheet];
    return () => void (doc.adoptedStyleSheets = doc.adoptedStyleSheets!.filter((s) => s !== sheet));
  } catch {
    doc.documentElement.style.setProperty('visibility', 'hidden', 'important');
    return () => doc.documentElement.style.removeProperty('visibility');
  }
}

/** Whether this visitor's exposure to this variation was beaconed already; records it if not. */
function firstExposure(key: string): boolean {
  try {
    const storage = pageLocalStorage();
    const seen = JSON.parse((storage && storage.getItem(EXPOSED)) || '{}') as Record<string, number>;
    if (seen[key]) return false;
    seen[key] = Date.now();
    if (storage) storage.setItem(EXPOSED, JSON.stringify(seen));
  } catch {
    // Storage blocked or garbled: beacon anyway (a duplicate is better than a lost exposure).
  }
  return true;
}

/** Beacon an exposure to `url`, once per visitor, experiment and variation (the control's too: the test needs both arms). */
function beacon(url: string | undefined, visitor: string, experiment: RedirectExperiment, result: ExperimentResult, log: Logger): void {
  const navigator = pageNavigator();
  if (!url || !navigator || !firstExposure(`${visitor}|${experiment.key}|${result.key}`)) return;
  const body = JSON.stringify({ type: 'exposure', experiment: experiment.key, variation: result.key, visitor, url: pageWindow()!.location.href });
  try {
    if (!navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' }))) log('The redirect exposure beacon was refused', { url });
  } catch (error) {
    log('The redirect exposure beacon failed', { url, error });
  }
}

/** Inline experiments as an array; JSON that does not parse to one is logged and runs none (the page stays). */
function inlineExperiments(value: unknown, log: Logger): unknown[] | undefined {
  if (value == null) return;
  try {
    const parsed: unknown = typeof value == 'string' ? JSON.parse(value) : value;
    if (Array.isArray(parsed)) return parsed;
  } catch {}
  log('Ignored experiments: not a JSON array', { value });
  return [];
}

/**
 * Decide the page's redirect with `client` and go. Returns `true` when the page is leaving now
 * (the main file then binds no markup); `false` when it stays or waits for a payload.
 */
export function redirectPage(client: Client, options: PageRedirectOptions, log: Logger): boolean {
  const win = pageWindow();
  if (!win) return false;
  const inline = inlineExperiments(options.experiments, log);
  const onDecide = (experiment: RedirectExperiment, result: ExperimentResult) => beacon(options.redirectBeacon, client.clientId, experiment, result, log);
  const decider = client.use(redirects({ experiments: inline, onDecide }));
  const go = (): boolean => {
    const redirect = decider.getRedirect(win.location.href);
    if (!redirect) return false;
    holdPage();
    win.location.replace(redirect.urlWithParams);
    return true;
  };
  if (inline) return go();
  const release = holdPage();
  let late = false;
  const timer = setTimeout(() => ((late = true), release()), +options.antiFlickerTimeout! || 500);
  client.ready().then(() => {
    clearTimeout(timer);
    if (late) return log('Redirect tests skipped: the payload came after the page was shown');
    if (!go()) release();
  });
  return false;
}

const exported: ScriptFiles['splitflap.redirect.js'][1] = { redirectPage };
if (typeof window != 'undefined') (window as unknown as Record<string, unknown>).SplitflapRedirect = exported;
