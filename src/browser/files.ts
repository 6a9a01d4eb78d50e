/**
 * The script tag's other files. The default file carries the core, remote payloads and markup;
 * what only some pages use is a file of its own, next to it, so other pages never parse it:
 *
 * - add-ons a page asks for in its configuration, needed before the client starts: Sixpack mode
 *   (`data-sixpack-url`), consent (`data-consent`) and split-URL tests (`data-experiments`, or
 *   the file's tag alone for a payload's redirect tests). A page puts their tags before the main one
 *   (the browser fetches all of them at once and runs them in order); one that is missing is
 *   loaded by the main file, which then starts a little later and says so;
 * - parts loaded once the client runs, only when needed: bandits, the payload stream, DevTools.
 *
 * Each file puts what it exports on a global of its own.
 */
import type { withConsent } from '../plugins/consent';
import type { attachDevtools } from '../plugins/devtools';
import type { bandits } from '../plugins/bandits';
import type { followPayloadStream } from '../plugins/remote/live';
import type { sixpack } from '../plugins/sixpack';
import type { redirectPage } from './redirect';

/** File name → the global it sets and what that global holds. */
export interface ScriptFiles {
  'splitflap.sixpack.js': ['SplitflapSixpack', { sixpack: typeof sixpack }];
  'splitflap.consent.js': ['SplitflapConsent', { withConsent: typeof withConsent }];
  'splitflap.bandits.js': ['SplitflapBandits', { bandits: typeof bandits }];
  'splitflap.live.js': ['SplitflapLive', { followPayloadStream: typeof followPayloadStream }];
  'splitflap.devtools.js': ['SplitflapDevtools', { attachDevtools: typeof attachDevtools }];
  'splitflap.redirect.js': ['SplitflapRedirect', { redirectPage: typeof redirectPage }];
}
type File = keyof ScriptFiles;

const GLOBALS: { [Name in File]: ScriptFiles[Name][0] } = {
  'splitflap.sixpack.js': 'SplitflapSixpack',
  'splitflap.consent.js': 'SplitflapConsent',
  'splitflap.bandits.js': 'SplitflapBandits',
  'splitflap.live.js': 'SplitflapLive',
  'splitflap.devtools.js': 'SplitflapDevtools',
  'splitflap.redirect.js': 'SplitflapRedirect',
};

const globals = () => window as unknown as Record<string, unknown>;
const loading = new Map<File, Promise<unknown>>();

/** What `file` exported, if its tag has run already. */
export function loaded<Name extends File>(file: Name): ScriptFiles[Name][1] | undefined {
  return globals()[GLOBALS[file]] as ScriptFiles[Name][1] | undefined;
}

/** Load `file` from `base` (where the main tag came from), once; resolves with what it exported. */
export function loadFile<Name extends File>(file: Name, base: string): Promise<ScriptFiles[Name][1]> {
  const present = loaded(file);
  if (present) return Promise.resolve(present);
  if (!loading.has(file)) {
    const done = new Promise<void>((resolve, reject) => {
      const tag = document.createElement('script');
      tag.src = new URL(file, base).href;
      tag.onload = () => resolve();
      tag.onerror = () => reject(new Error('could not load ' + tag.src));
      document.head.appendChild(tag);
    }).then(() => loaded(file) || Promise.reject(new Error(file + ' did not define ' + GLOBALS[file])));
    loading.set(file, done);
  }
  return loading.get(file) as Promise<ScriptFiles[Name][1]>;
}
