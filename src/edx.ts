/**
 * Open edX `ExperimentWaffleFlag` bucketing (`lms/djangoapps/experiments/stable_bucketing.py`):
 * the stable hash, and "forced bucket" flags where the lowest enabled bucket wins.
 * Bucket 0 is control; "enabled" means bucket ≠ 0.
 */
import { evalCondition } from './conditions';
import { md5Hex } from './digest';
import type { Attributes, ConditionInterface, SavedGroups } from './types';

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
