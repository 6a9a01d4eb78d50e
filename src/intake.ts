/**
 * Values from outside (options, setters, hydration snapshots) taken in safely: null-prototype
 * copies, so names from a payload or the app can never reach Object.prototype, and hostile
 * values (a getter or Proxy that throws) lose only the entries that throw, each logged.
 */
import { isStickyDoc } from './sticky';
import type { Attributes, Logger, StickyAssignmentDocs } from './types';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A copy of `source` into `copy` (default: a null-prototype object); entries that cannot be read
 * are left out, logged. A `__proto__` key is defined as an own property, never set as a prototype.
 */
export function safeCopy<T>(source?: Record<string, T>, log?: Logger, copy: Record<string, T> = Object.create(null)): Record<string, T> {
  if (!source) return copy;
  try {
    for (const key of Object.keys(source)) {
      try {
        if (key == '__proto__') Object.defineProperty(copy, key, { value: source[key], enumerable: true, writable: true, configurable: true });
        else copy[key] = source[key];
      } catch (error) {
        if (log) log('Ignored an entry that cannot be read', { key, error });
      }
    }
  } catch (error) {
    if (log) log('Ignored an object that cannot be read', { error });
  }
  return copy;
}
/**
 * The visitor's attributes, copied. A plain object, unlike {@link safeCopy}'s: every evaluation
 * reads attributes, and V8 keeps null-prototype objects in its slower dictionary mode. That is
 * safe because attributes are only read as own properties (conditions.ts `getPath`), and a
 * `__proto__` attribute becomes an own property, so the copy's prototype never changes.
 */
export function attributesCopy(source: Attributes | undefined, log: Logger): Attributes {
  try {
    // The common case in one native call: no getter that throws, no `__proto__` key.
    if (source && !hasOwn.call(source, '__proto__')) return Object.assign({}, source);
  } catch {
    // Read entry by entry below, keeping what can be read.
  }
  return safeCopy(source, log, {});
}

/**
 * Given attributes as the visitor's: copied, with the client id as `id` when they have none
 * (experiments hash on `id` by default, and attributes without one would silently put the visitor
 * in none; an `id` key the app wrote wins, whatever its value: `id: null` means no id). Undefined,
 * logged, when not an object: a string would become `{ 0: 'i', 1: 'd', … }`.
 */
export function visitorAttributes(given: unknown, clientId: string, log: Logger): Attributes | undefined {
  if (given && typeof given == 'object' && !Array.isArray(given)) {
    const attributes = attributesCopy(given as Attributes, log);
    if (!hasOwn.call(attributes, 'id')) attributes.id = clientId;
    return attributes;
  }
  log('Ignored attributes: not an object. Write setAttributes({ id: "…", country: "…" })', { attributes: given });
}

/**
 * Whether `value` is a record (an object, not an array): a 40,000-item array given as forced
 * values would otherwise be copied key by key on every set and every snapshot. Logged when not.
 */
function isRecordInput(value: unknown, log: Logger): boolean {
  try {
    if (typeof value == 'object' && !Array.isArray(value)) return true;
  } catch {
    // A revoked Proxy: not usable.
  }
  log('Ignored a value that is not an object', { value });
  return false;
}

/** Read-only options left out share one empty object (setters replace them, never mutate). */
const NONE: Record<string, never> = Object.freeze(Object.create(null));
export const readOnlyCopy = <T>(source: Record<string, T> | undefined, log: Logger): Record<string, T> =>
  source && isRecordInput(source, log) ? safeCopy(source, log) : NONE;

/**
 * Sticky docs by `attr||value`, only well-formed ones. A plain object, not a null-prototype one:
 * V8 writes those several times slower, and every key contains `||`, so none names anything inherited.
 */
export function stickyDocsCopy(docs: StickyAssignmentDocs | undefined, log: Logger): StickyAssignmentDocs {
  const copy: StickyAssignmentDocs = {};
  // None given (every new client): no null-prototype copy of nothing.
  if (!docs) return copy;
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
  if (!(forced instanceof Map) && !isRecordInput(forced, log)) return new Map<string, unknown>();
  try {
    return new Map(forced instanceof Map ? forced : Object.entries(safeCopy(forced, log)));
  } catch (error) {
    log('Ignored forced features that cannot be read', { error });
    return new Map<string, unknown>();
  }
};
