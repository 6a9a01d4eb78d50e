/**
 * `splitflap/edx`: Open edX `ExperimentWaffleFlag` bucketing (`lms/djangoapps/experiments/stable_bucketing.py`):
 * the stable hash, and "forced bucket" flags where the lowest enabled bucket wins.
 * Bucket 0 is control; "enabled" means bucket ≠ 0.
 */
import { evalCondition, isObject } from '../conditions';
import { inSchedule } from '../evaluate';
import { md5Hex } from '../internal/digest';
import type { Plugin } from '../plugin';
import type { Attributes, BucketingOptions, ConditionInterface, Experiment, ExperimentResult, SavedGroups } from '../types';

/**
 * edX's stable bucket of `username` in `groupName`: the MD5 hex of `groupName + username`, each
 * of its 32 digits turned into one bit (1 if the digit is 8–f, i.e. its top bit), the bits read
 * as a binary number (first digit most significant), mod `numBuckets`.
 *
 * The caller builds `groupName` as edX does (the flag name, plus `"." + courseKey` when
 * bucketing is course-aware) and handles anonymous users (edX gives them bucket 0 unhashed).
 * `numBuckets` that is not a positive integer gives 0 (control) rather than NaN.
 */
export function edxBucket(groupName: string, username: string, numBuckets = 2): number {
  if (!(numBuckets >= 1) || !Number.isInteger(numBuckets)) return 0;
  const hex = md5Hex(groupName + username);
  // 32 bits fit a double exactly, so a plain Horner loop needs no BigInt.
  let n = 0;
  for (let i = 0; i < hex.length; i++) n = n * 2 + (parseInt(hex[i], 16) >= 8 ? 1 : 0);
  return n % numBuckets;
}

/** One forced-bucket rule: everyone matching `condition` is put in `bucket`. */
export interface ForcedBucket {
  bucket: number;
  condition: ConditionInterface;
}

/**
 * The bucket forced on a visitor, or null when no rule matches. edX checks the flags
 * `"<flag>.0" … "<flag>.{n−1}"` in index order and the first enabled one wins, so when several
 * rules match, the lowest bucket wins, whatever order the rules are listed in.
 */
export function forcedBucket(
  forced: ReadonlyArray<ForcedBucket>,
  attributes: Attributes,
  savedGroups?: SavedGroups,
): number | null {
  let best: number | null = null;
  for (const rule of forced) {
    if (!rule || typeof rule.bucket !== 'number' || !Number.isInteger(rule.bucket) || rule.bucket < 0) continue;
    if (best !== null && rule.bucket >= best) continue;
    if (evalCondition(attributes, rule.condition, savedGroups)) best = rule.bucket;
  }
  return best;
}

/** An edX-style experiment: numbered buckets, optionally forced per condition. */
export interface EdxExperiment extends Pick<BucketingOptions, 'enabled' | 'startTs' | 'stopTs' | 'hashAttribute' | 'owner' | 'version'> {
  /** Pin visitors matching a condition to a bucket; when several match, the lowest bucket wins. */
  forcedBuckets?: ForcedBucket[];
}

/** What {@link edx} adds to the client. */
export interface EdxMethods {
  /**
   * The visitor's numbered bucket in `experimentKey`, hashed exactly as Open edX does (MD5 of the
   * group name and the visitor's `hashAttribute`, default `id`), so teams moving from edX keep
   * every user's bucket. 0 is control, and also what a visitor outside the experiment gets.
   * `scope` (e.g. a course id) hashes independently per scope (`"<key>.<scope>"`, edX's
   * course-aware group name). Forced buckets win. The exposure fires once per visitor,
   * experiment and scope per browser session, bucket 0 included.
   */
  getBucket(experimentKey: string, options?: { numBuckets?: number; scope?: string }): number;
}

/**
 * Whether `key` is new to this client (`seen`) and to this browser session (sessionStorage, only
 * when `storing`: not without the visitor's consent).
 */
function firstInSession(key: string, seen: Set<string>, storing: boolean): boolean {
  const fresh = !seen.has(key);
  seen.add(key);
  if (!storing) return fresh;
  const storageKey = 'splitflap:exposed:' + key;
  try {
    if (sessionStorage.getItem(storageKey)) return false;
    sessionStorage.setItem(storageKey, '1');
  } catch {
    // No storage: this client's memory decides.
  }
  return fresh;
}

/** Open edX buckets for the experiments in `experiments` (and, with defaults, any other key). */
export function edx(experiments: Record<string, EdxExperiment> = {}): Plugin<EdxMethods> {
  // A definitions object that is not one (null, a string from a bad config) means "defaults for every key".
  const definitions: Record<string, unknown> = isObject(experiments) ? experiments : {};
  return (host) => {
    const exposedInSession = new Set<string>();
    return {
      getBucket(experimentKey, options) {
        const { numBuckets = 2, scope = undefined } = isObject(options) ? options : {};
        const given = typeof experimentKey === 'string' && Object.prototype.hasOwnProperty.call(definitions, experimentKey) ? definitions[experimentKey] : undefined;
        const definition: EdxExperiment = isObject(given) ? given : {};
        if (typeof experimentKey !== 'string' || !Number.isInteger(numBuckets) || !(numBuckets >= 1) || (scope != null && typeof scope !== 'string')) {
          host.log('getBucket: bad experiment key, numBuckets or scope; control', { experimentKey, numBuckets, scope });
          return 0;
        }
        const key = scope ? experimentKey + '.' + scope : experimentKey;
        if (!host.settings.experimentsEnabled || definition.enabled === false || !inSchedule(definition as Experiment)) return 0;
        const attributes = host.read().attributes;
        const hashAttribute = typeof definition.hashAttribute === 'string' ? definition.hashAttribute : 'id';
        const value = attributes[hashAttribute];
        const hashValue = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
        const forced = Array.isArray(definition.forcedBuckets) ? forcedBucket(definition.forcedBuckets, attributes) : null;
        // edX gives anonymous users control, unhashed; forced buckets beyond numBuckets are ignored.
        const bucket = forced !== null && forced < numBuckets ? forced : hashValue ? edxBucket(key, hashValue, numBuckets) : -1;
        if (bucket < 0) return 0;
        if (firstInSession(key + '|' + hashValue, exposedInSession, host.read().consent == 'granted')) {
          const experiment: Experiment = { key, variations: Array.from({ length: numBuckets }, (_, i) => i) };
          const result: ExperimentResult = {
            key: String(bucket), value: bucket, variationId: bucket, inExperiment: true, hashUsed: forced === null,
            hashAttribute, hashValue, featureId: null, stickyBucketUsed: false,
          };
          host.expose(experiment, result);
        }
        return bucket;
      },
    };
  };
}
