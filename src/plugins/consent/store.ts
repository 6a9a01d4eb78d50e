/**
 * The sticky store of a client that waits for consent: docs live in memory until the visitor
 * grants it, then go to the real store, where what an earlier visit stored wins over what this
 * page assigned before the grant. Nothing touches the real store (not even a read, which would
 * create the IndexedDB database) while consent is not granted.
 */
import { memoryStickyBucketStore, mergeStickyDocs, stickyAttributeKey } from '../../sticky';
import type { Logger, StickyAssignmentDocs, StickyBucketStore } from '../../types';

export interface ConsentStickyStore extends StickyBucketStore {
  /** Copy the docs kept in memory into the real store (call once consent is granted). */
  persist(): Promise<void>;
}

/** `persistent` behind the gate `granted`. */
export function consentStickyStore(persistent: StickyBucketStore, granted: () => boolean, log: Logger): ConsentStickyStore {
  const memory = memoryStickyBucketStore();
  /** The last copy into the real store: reads and writes there wait for it. */
  let persisting: Promise<void> = Promise.resolve();
  const use = <T>(operation: (store: StickyBucketStore) => Promise<T>): Promise<T> =>
    granted() ? persisting.then(() => operation(persistent)) : operation(memory);

  return {
    getAssignments: (attributeName, attributeValue) => use((store) => store.getAssignments(attributeName, attributeValue)),
    getAllAssignments: (attributes) =>
      use(async (store) => {
        if (store.getAllAssignments) return store.getAllAssignments(attributes);
        const docs: StickyAssignmentDocs = {};
        for (const name of Object.keys(attributes)) {
          const doc = await store.getAssignments(name, attributes[name]!);
          if (doc) docs[stickyAttributeKey(name, attributes[name])] = doc;
        }
        return docs;
      }),
    async saveAssignments(doc) {
      // Memory keeps everything, so a withdrawal later still leaves the page its assignments.
      await memory.saveAssignments(doc);
      if (granted()) await use((store) => store.saveAssignments(doc));
    },
    // Reading the device's storage needs consent as much as writing it.
    peekAssignments: persistent.peekAssignments && ((attributes) => (granted() ? persistent.peekAssignments!(attributes) : {})),
    persist: () =>
      (persisting = persisting
        .then(async () => {
          for (const doc of memory.docs.values()) {
            const stored = await persistent.getAssignments(doc.attributeName, doc.attributeValue);
            await persistent.saveAssignments(stored ? mergeStickyDocs(doc, stored) : doc);
          }
        })
        .catch((error: unknown) => log('Saving sticky buckets after consent failed', { error }))),
  };
}
