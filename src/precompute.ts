/**
 * Precomputed flags, for pages built statically (or cached at the edge): a proxy or middleware
 * evaluates the flags a page depends on for the visitor, encodes their values in a short signed
 * code, and rewrites the request to a route segment carrying it; the page, built once per code,
 * reads the values back from the code instead of from the request. (Vercel's flags SDK calls it
 * precomputation.) Plain functions on Web Crypto, so they run in Node and edge runtimes.
 *
 * A code is `<values>.<signature>`: one base-64url byte per flag (the index of its value among the
 * flag's `options`), then 96 bits of HMAC-SHA-256 over the values and the declaration (keys and
 * options), keyed by a secret from the environment. Without the secret nobody can make a code
 * that reads as a value of their choosing; a code made for another declaration does not verify.
 */
import type { Client } from './api';
import type { HydrationSnapshot } from './hydration';
import type { FeatureDefinitions } from './types';

/** A flag a static page depends on, and every value it may take (one prebuilt page each). */
export interface PrecomputedFlag<T = unknown> {
  key: string;
  /** The values, the fallback first: a value not among them is encoded as the first. */
  options: readonly T[];
}

/** Combinations {@link generatePermutations} refuses to enumerate beyond (each is a page to build). */
export const MAX_PERMUTATIONS = 1024;
const SIGNATURE_BYTES = 12;

const encoder = new TextEncoder();
const toBase64Url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[\w-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * The flags `keys` of a payload, each with the values its definition can give: the default
 * value, then forced values and variations, in order, without repeats (compared as JSON).
 */
export function declareFlags(features: FeatureDefinitions, keys: readonly string[]): PrecomputedFlag[] {
  return keys.map((key) => {
    const definition = Object.prototype.hasOwnProperty.call(features, key) ? features[key] : undefined;
    const values: unknown[] = [definition && definition.defaultValue !== undefined ? definition.defaultValue : null];
    for (const rule of (definition && definition.rules) || []) {
      if ('force' in rule) values.push(rule.force);
      values.push(...(rule.variations || []));
    }
    const seen = new Set<string>();
    return { key, options: values.filter((value) => !seen.has(JSON.stringify(value)) && !!seen.add(JSON.stringify(value))) };
  });
}

async function sign(secret: string, flags: readonly PrecomputedFlag[], values: string): Promise<string> {
  if (!secret) throw new Error('splitflap: precomputed flags need a secret (SPLITFLAP_SECRET)');
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const declaration = JSON.stringify(flags.map((flag) => [flag.key, flag.options]));
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(values + '\n' + declaration));
  return toBase64Url(new Uint8Array(mac).slice(0, SIGNATURE_BYTES));
}

/** The signed code for `indices` (one per flag). */
async function codeFor(indices: readonly number[], flags: readonly PrecomputedFlag[], secret: string): Promise<string> {
  const values = toBase64Url(Uint8Array.from(indices));
  return values + '.' + (await sign(secret, flags, values));
}

/**
 * Evaluate `flags` with `client` (the visitor's: exposures and sticky buckets as usual) and
 * encode their values in a signed code. A value outside a flag's options is encoded as its first.
 */
export async function precompute(flags: readonly PrecomputedFlag[], client: Pick<Client, 'getFeatureValue'>, secret: string): Promise<string> {
  const indices = flags.map((flag) => {
    const value = JSON.stringify(client.getFeatureValue(flag.key, flag.options[0] as never));
    return Math.max(0, flag.options.findIndex((option) => JSON.stringify(option) === value));
  });
  return codeFor(indices, flags, secret);
}

/** Compare without an early exit, so timing does not tell how much of a forged signature was right. */
function sameText(a: string, b: string): boolean {
  let differ = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) differ |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return differ === 0;
}

/** The values a code carries, by flag key, or `null` when it is malformed or its signature does not verify. */
export async function readPrecomputed(code: string, flags: readonly PrecomputedFlag[], secret: string): Promise<Record<string, unknown> | null> {
  if (typeof code !== 'string' || code.length > 512) return null;
  const [values = '', signature = '', extra] = code.split('.');
  const indices = fromBase64Url(values);
  if (extra !== undefined || !indices || indices.length !== flags.length) return null;
  if (!sameText(signature, await sign(secret, flags, values))) return null;
  const result: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (indices[i]! >= flag.options.length) return null;
    result[flag.key] = flag.options[indices[i]!];
  }
  return result;
}

/** Every code `flags` can produce (for `generateStaticParams`): the product of their options, at most {@link MAX_PERMUTATIONS}. */
export async function generatePermutations(flags: readonly PrecomputedFlag[], secret: string): Promise<string[]> {
  const total = flags.reduce((product, flag) => product * Math.max(1, flag.options.length), 1);
  if (total > MAX_PERMUTATIONS) throw new Error(`splitflap: ${total} combinations of precomputed flags; at most ${MAX_PERMUTATIONS} are built`);
  let combinations: number[][] = [[]];
  for (const flag of flags) combinations = combinations.flatMap((head) => flag.options.map((_, index) => [...head, index]));
  return Promise.all(combinations.map((indices) => codeFor(indices, flags, secret)));
}

/**
 * A hydration snapshot for a static page: the code's values as forced features and nothing of
 * the visitor (no id, no attributes), so `<SplitflapProvider options={{ hydrate }}>`, the hooks
 * and `<Flag>` render the same on the server, in the HTML and after hydration.
 */
export function precomputedSnapshot(values: Record<string, unknown>): HydrationSnapshot {
  return { clientId: 'precomputed', attributes: {}, forcedFeatures: { ...values }, ready: true };
}
