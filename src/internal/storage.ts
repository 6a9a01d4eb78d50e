/**
 * The one IndexedDB-with-fallback helper, shared by sticky buckets, the payload cache and the
 * Sixpack queue. Storage is optional for every one of them: a backend that fails is replaced by
 * the next for good, with one log line, and memory comes last so nothing is lost for the page.
 */
import { promisifyRequest as promised, type UseStore } from 'idb-keyval';
import type { Logger } from '../types';

/**
 * An idb-keyval store for `storeName` in database `dbName`, opened on first use. Unlike
 * idb-keyval's own `createStore`, a database that exists without the store (another version of
 * this code, or a foreign app using the name) gets the store added in a version upgrade, instead
 * of failing every transaction.
 */
export function idbStore(dbName: string, storeName: string): UseStore {
  let db: Promise<IDBDatabase> | undefined;
  const open = (version?: number): Promise<IDBDatabase> => {
    const request = indexedDB.open(dbName, version);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(storeName)) request.result.createObjectStore(storeName);
    };
    return promised(request).then((opened) => {
      if (opened.objectStoreNames.contains(storeName)) return opened;
      opened.close();
      return open(opened.version + 1);
    });
  };
  return (mode, callback) => {
    db ||= open().then(
      (opened) => {
        opened.onclose = () => (db = undefined);
        // Another tab adding a store needs this connection closed, or its upgrade waits for ever.
        opened.onversionchange = () => {
          opened.close();
          db = undefined;
        };
        return opened;
      },
      (error: unknown) => {
        db = undefined;
        throw error;
      },
    );
    return db.then((opened) => callback(opened.transaction(storeName, mode).objectStore(storeName)));
  };
}

/**
 * Runs storage operations, one at a time, on the first of `backends` that works. A failure moves
 * to the next backend for good (`onSwitch` may copy what the session knows into it), and one line
 * says which backend is used and why. Only the last backend's failures reach the caller.
 */
export function storageChain<Backend>(
  what: string,
  backends: [name: string, create: () => Backend][],
  log: Logger,
  onSwitch?: (backend: Backend) => Promise<void>,
): <T>(operation: (backend: Backend) => Promise<T>) => Promise<T> {
  let index = 0;
  let backend: Backend | undefined;
  let why = '';
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(operation: (backend: Backend) => Promise<T>): Promise<T> => {
    const attempt = async (): Promise<T> => {
      try {
        if (!backend) {
          backend = backends[index][1]();
          if (why && onSwitch) await onSwitch(backend);
        }
        const result = await operation(backend);
        if (why) log(`${what}: ${why}; using ${backends[index][0]}`);
        why = '';
        return result;
      } catch (error) {
        if (index >= backends.length - 1) throw error;
        why += (why && ', ') + backends[index++][0] + ' failed (' + error + ')';
        backend = undefined;
        return attempt();
      }
    };
    const result = queue.then(attempt, attempt);
    queue = result.catch(() => undefined);
    return result;
  };
}
