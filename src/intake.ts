/**
 * Values from outside (options, setters, hydration snapshots) taken in safely: null-prototype
 * copies, so names from a payload or the app can never reach Object.prototype, and hostile
 * values (a getter or Proxy that throws) lose only the entries that throw, each logged.
 */
import { isStickyDoc } from './sticky';
import type { Logger, StickyAssignmentDocs } from './types';

/** A null-prototype copy of `source`; entries that cannot be read are left out, logged. */
export function safeCopy<T>(source?: Record<string, T>, log?: Logger): Record<string, T> {
  const copy: Record<string, T> = Object.create(null);
  if (!source) return copy;
  try {
    for (const key of Object.keys(source)) {
      try {
        copy[key] = source[key];
      } catch (error) {
        if (log) log('Ignored an entry that cannot be read', { key, error });
      }
    }
  } catch (error) {
    if (log) log('Ignored an object that cannot be read', { error });
  }
  return copy;
}
/** Read-only options left out share one empty object (setters replace them, never mutate). */
const NONE: Record<string, never> = Object.freeze(Object.create(null));
export const readOnlyCopy = <T>(source: Record<string, T> | undefined, log: Logger): Record<string, T> => (source ? safeCopy(source, log) : NONE);

/**
 * Sticky docs by `attr||value`, only well-formed ones. A plain object, not a null-prototype one:
 * V8 writes those several times slower, and every key contains `||`, so none names anything inherited.
 */
export function stickyDocsCopy(docs: StickyAssignmentDocs | undefined, log: Logger): StickyAssignmentDocs {
  const copy: StickyAssignmentDocs = {};
  const checked = safeCopy(docs, log);
  for (const key in checked) {
    try {
      if (key.indexOf('||') > 0 && isStickyDoc(checked[key])) copy[key] = checked[key];
    } catch (error) {
      log('Ignored a sticky doc that cannot be read', { key, error });
    }
  }
  return copy;
}

export const toMap = (forced: Record<string, unknown> | Map<string, unknown> | undefined, log: Logger) => {
  if (!forced) return undefined;
  try {
    return new Map(forced instanceof Map ? forced : Object.entries(safeCopy(forced, log)));
  } catch (error) {
    log('Ignored forced features that cannot be read', { error });
    return new Map<string, unknown>();
  }
};
