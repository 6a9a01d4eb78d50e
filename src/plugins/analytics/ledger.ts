/**
 * The exposure ledger: which exposures were delivered lately, kept across reloads, so a visitor
 * who reloads a page ten times is one exposure, not ten. Entries live in IndexedDB (database
 * `splitflap-exposures`, store `delivered`: key → epoch ms of delivery), falling back to
 * localStorage, then memory (see internal/storage.ts). Checking and recording is one IndexedDB
 * transaction, so two tabs opened at once still deliver once.
 */
import type { UseStore } from 'idb-keyval';
import { idbStore, storageChain } from '../../internal/storage';
import type { Logger } from '../../types';
import { indexedDb, pageWindow } from '../../internal/env';

/** What a ledger backend does; it may throw or reject on anything (the chain moves on). */
interface Backend {
  /** Records `key` at `time` unless it was recorded within `windowMs` before; true when recorded now. */
  claim(key: string, time: number, windowMs: number): Promise<boolean>;
}

/** Whether `recorded` (anything read from storage) is a delivery within the window before `time`. */
const recent = (recorded: unknown, time: number, windowMs: number): boolean =>
  typeof recorded === 'number' && recorded <= time && time - recorded < windowMs;

const requestDone = (request: IDBRequest): Promise<void> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });

function indexedDbBackend(store: UseStore): Backend {
  let pruned = false;
  return {
    claim: (key, time, windowMs) =>
      store('readwrite', (entries) => {
        // Once per page: drop what is past the window (the store holds only a few keys per visitor).
        if (!pruned) {
          pruned = true;
          const cursor = entries.openCursor();
          cursor.onsuccess = () => {
            const at = cursor.result;
            if (!at) return;
            if (!recent(at.value, time, windowMs) && at.key !== key) at.delete();
            at.continue();
          };
        }
        const read = entries.get(key);
        return new Promise<boolean>((resolve, reject) => {
          let fresh = false;
          read.onsuccess = () => {
            fresh = !recent(read.result, time, windowMs);
            if (fresh) entries.put(time, key);
          };
          // Recorded only once the transaction is durable.
          entries.transaction.oncomplete = () => resolve(fresh);
          entries.transaction.onerror = entries.transaction.onabort = () => reject(entries.transaction.error || read.error);
        });
      }),
  };
}

const LOCAL_KEY = 'splitflap:exposures';

function localStorageBackend(): Backend {
  return {
    async claim(key, time, windowMs) {
      let entries: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(localStorage.getItem(LOCAL_KEY) || '{}');
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) entries = parsed as Record<string, unknown>;
      } catch {
        // corrupt: start over (setItem below throws if storage itself is unusable)
      }
      const kept: Record<string, number> = Object.create(null);
      for (const known of Object.keys(entries)) if (recent(entries[known], time, windowMs)) kept[known] = entries[known] as number;
      if (recent(kept[key], time, windowMs)) return false;
      kept[key] = time;
      localStorage.setItem(LOCAL_KEY, JSON.stringify(kept));
      return true;
    },
  };
}

function memoryBackend(): Backend {
  const entries = new Map<string, number>();
  return {
    async claim(key, time, windowMs) {
      if (recent(entries.get(key), time, windowMs)) return false;
      entries.set(key, time);
      return true;
    },
  };
}

/** Decides, per exposure key, whether it is new within `windowMs`. */
export interface ExposureLedger {
  /** Resolves true when `key` was not delivered within the window (and records it now), else false. Never rejects. */
  claim(key: string): Promise<boolean>;
}

/** A ledger over IndexedDB → localStorage → memory in browsers, memory elsewhere. */
export function exposureLedger(windowMs: number, log: Logger, now: () => number = Date.now): ExposureLedger {
  const backends: [string, () => Backend][] = [['memory', memoryBackend]];
  // Storage that is there but unusable (blocked, full, sandboxed) fails over in the chain, logged.
  if (pageWindow()) backends.unshift(['localStorage', localStorageBackend]);
  if (indexedDb()) backends.unshift(['IndexedDB', () => indexedDbBackend(idbStore('splitflap-exposures', 'delivered'))]);
  const run = storageChain('exposure dedupe', backends, log);
  return { claim: (key) => run((backend) => backend.claim(key, now(), windowMs)) };
}
