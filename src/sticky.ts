/**
 * Sticky buckets: once a visitor is assigned a variation it is stored per identity
 * (`attributeName||attributeValue` → `{ "<experimentKey>__<bucketVersion>": variationKey }`),
 * in GrowthBook's document shape, so the visitor keeps it across weight and targeting changes.
 */
import type { StickyAssignmentDocs, StickyAssignmentsDocument, StickyBucketStore } from './types';

/** An attribute value as sticky docs store it: non-strings JSON-encoded, as GrowthBook does. */
export function stickyValue(attributeValue: unknown): string {
  return typeof attributeValue === 'string' ? attributeValue : JSON.stringify(attributeValue);
}

/** `"<attributeName>||<attributeValue>"`, the key of an identity's sticky doc. */
export function stickyAttributeKey(attributeName: string, attributeValue: unknown): string {
  return attributeName + '||' + stickyValue(attributeValue);
}

/** `"<experimentKey>__<bucketVersion>"`; bumping the bucket version re-randomises visitors. */
export function stickyExperimentKey(experimentKey: string, bucketVersion?: number): string {
  return experimentKey + '__' + (bucketVersion || 0);
}

/**
 * Whether `assignments` hold a variation of `experimentKey` at a bucket version below
 * `minBucketVersion`, i.e. under a key `stickyExperimentKey(experimentKey, v)` for an integer
 * `0 <= v < minBucketVersion` (what GrowthBook checks one version at a time). One pass over the
 * keys: a version loop would let a payload's `minBucketVersion: 1e12` freeze evaluation.
 */
export function hasOlderBucket(assignments: Record<string, string>, experimentKey: string, minBucketVersion: number): boolean {
  const prefix = experimentKey + '__';
  for (const key of Object.keys(assignments)) {
    if (!assignments[key] || key.length <= prefix.length || !key.startsWith(prefix)) continue;
    const suffix = key.slice(prefix.length);
    const version = Number(suffix);
    // Only canonical integers ("7", not "07" or "7.0") are keys a bucket version produces.
    if (Number.isInteger(version) && version >= 0 && String(version) === suffix && version < minBucketVersion) return true;
  }
  return false;
}

/** Whether `value` has the sticky document shape (anything read from storage is untrusted). */
export function isStickyDoc(value: unknown): value is StickyAssignmentsDocument {
  if (!value || typeof value !== 'object') return false;
  const doc = value as StickyAssignmentsDocument;
  if (typeof doc.attributeName !== 'string' || typeof doc.attributeValue !== 'string') return false;
  if (!doc.assignments || typeof doc.assignments !== 'object' || Array.isArray(doc.assignments)) return false;
  for (const k in doc.assignments) if (typeof doc.assignments[k] !== 'string') return false;
  return true;
}

/** Merge `next` into `prev` (same identity): other experiments' assignments are kept, never overwritten. */
export function mergeStickyDocs(prev: StickyAssignmentsDocument | undefined, next: StickyAssignmentsDocument): StickyAssignmentsDocument {
  if (!prev) return next;
  return { ...next, assignments: { ...prev.assignments, ...next.assignments } };
}

/**
 * An in-memory store: the default on the server (one per client, i.e. per request) and a
 * test twin for the browser stores. Optionally seeded with docs.
 */
export function memoryStickyBucketStore(initial?: StickyAssignmentsDocument[] | StickyAssignmentDocs): StickyBucketStore & {
  docs: Map<string, StickyAssignmentsDocument>;
} {
  const docs = new Map<string, StickyAssignmentsDocument>();
  for (const doc of Array.isArray(initial) ? initial : Object.values(initial || {})) {
    if (isStickyDoc(doc)) docs.set(stickyAttributeKey(doc.attributeName, doc.attributeValue), doc);
  }
  return {
    docs,
    async getAssignments(attributeName, attributeValue) {
      return docs.get(stickyAttributeKey(attributeName, attributeValue)) || null;
    },
    async saveAssignments(doc) {
      const key = stickyAttributeKey(doc.attributeName, doc.attributeValue);
      docs.set(key, mergeStickyDocs(docs.get(key), doc));
    },
  };
}
