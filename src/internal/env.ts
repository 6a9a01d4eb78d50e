/**
 * The environment, read in one place (as TanStack Query's `focusManager` holds focus): whether
 * this is a page, and its document, location, navigator and storage. Every reader asks when
 * called, never at import, so each entry stays safe to import on servers and edge runtimes; a test
 * fakes one place (`fakeEnvironment`) instead of patching globals module by module.
 */

/** What Splitflap reads of the page it runs in; each part absent outside browsers (or where blocked). */
export interface Environment {
  window?: Window;
  document?: Document;
  location?: Location;
  navigator?: Navigator;
  indexedDB?: IDBFactory;
  localStorage?: Storage;
}

let fake: Environment | undefined;

/** Read global `name`, or undefined where it does not exist or reading it throws (storage in a sandboxed frame). */
function global<K extends keyof Environment>(name: K): Environment[K] {
  if (fake) return fake[name];
  try {
    return (globalThis as Environment)[name];
  } catch {
    return undefined;
  }
}

/** The page's window, where there is one. */
export const pageWindow = (): Window | undefined => global('window');
/** The page's document, where there is one. */
export const pageDocument = (): Document | undefined => global('document');
/** The page's URL, where there is one. */
export const pageURL = (): string | undefined => global('location')?.href;
/** The browser's user agent, in a page only: Node 21+ and edge runtimes have a `navigator` of their own, which is no visitor. */
export const browserUserAgent = (): string | undefined => (global('window') ? global('navigator')?.userAgent : undefined);
/** The navigator, where there is one (beacons). */
export const pageNavigator = (): Navigator | undefined => global('navigator');
/** IndexedDB, where the runtime has it. */
export const indexedDb = (): IDBFactory | undefined => global('indexedDB');
/** localStorage, where the page has it and reading it does not throw. */
export const pageLocalStorage = (): Storage | undefined => global('localStorage');

/** Replace the environment (tests); `undefined` restores the real one. */
export function fakeEnvironment(environment: Environment | undefined): void {
  fake = environment;
}
