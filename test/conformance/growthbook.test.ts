/**
 * GrowthBook's cross-SDK conformance vectors, every section but evalCondition (conditions.test.ts).
 * A case's `context` is GrowthBook's constructor options; it is passed to createClient as is,
 * with these mappings that give it GrowthBook's meaning:
 * - attributes without an `id` have none (Splitflap would otherwise default `attributes.id` to the
 *   client id), so the harness writes `id: undefined` under the case's attributes;
 * - no sticky-bucket service means sticky bucketing off;
 * - URL overrides (`?key=N`) are allowed, as GrowthBook always honours them (Splitflap does by
 *   default only in browsers);
 * - `urlRedirect`: the context's `experiments` go to the `redirects()` plugin (splitflap/redirect),
 *   and a case's expected list is the redirects decided: at most one, GrowthBook's first.
 */
import { expect } from 'vitest';
import {
  chooseVariation,
  createClient,
  getBucketRanges,
  getEqualWeights,
  getQueryStringOverride,
  hash,
  inNamespace,
  memoryStickyBucketStore,
  type ClientOptions,
  type Experiment,
  type StickyAssignmentsDocument,
  type StickyBucketStore,
  type VariationRange,
} from '../../src/index';
import { decrypt } from '../../src/plugins/decrypt';
import { redirects } from '../../src/plugins/redirect';
import { describeCases } from './cases';

type Context = ClientOptions & Record<string, unknown>;

function clientFor(context: Context, stickyBucketStore: StickyBucketStore | false = false) {
  return createClient({
    ...context,
    // An `id` key, even undefined, keeps Splitflap from giving the visitor the client id.
    attributes: { id: undefined, ...context.attributes },
    allowUrlOverrides: true,
    cookie: false,
    stickyBucketStore,
    log: () => undefined,
  });
}

/** Floor to 8 decimals, as the conformance README compares ranges and weights. */
const floor8 = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(floor8) : typeof value === 'number' ? Math.floor(value * 1e8) / 1e8 : value;

describeCases<[string, string, number, number | null]>('hash', (seed, value, version, expected) => {
  expect(hash(seed, value, version)).toBe(expected);
});

describeCases<[string, [number, number, number[] | null], VariationRange[]]>(
  'getBucketRange',
  (_name, [n, coverage, weights], expected) => {
    expect(floor8(getBucketRanges(n, coverage, weights ?? undefined))).toEqual(floor8(expected));
  },
);

describeCases<[string, number, VariationRange[], number]>('chooseVariation', (_name, n, ranges, expected) => {
  expect(chooseVariation(n, ranges)).toBe(expected);
});

describeCases<[string, string, string, number, number | null]>(
  'getQueryStringOverride',
  (_name, key, url, numVariations, expected) => {
    expect(getQueryStringOverride(key, url, numVariations)).toBe(expected);
  },
);

describeCases<[string, string, [string, number, number], boolean]>('inNamespace', (_name, id, namespace, expected) => {
  expect(inNamespace(id, namespace)).toBe(expected);
});

describeCases<[number, number[]]>('getEqualWeights', (n, expected) => {
  expect(floor8(getEqualWeights(n))).toEqual(floor8(expected));
});

describeCases<[string, string, string, string | null]>('decrypt', async (_name, encrypted, key, expected) => {
  const decrypted = await decrypt(encrypted, key).catch(() => null);
  expect(decrypted).toBe(expected);
});

describeCases<[string, Context, string, Record<string, unknown>]>('feature', (_name, context, key, expected) => {
  expect(clientFor(context).evalFeature(key)).toEqual(expected);
});

describeCases<[string, Context, Experiment, unknown, boolean, boolean]>(
  'run',
  (_name, context, experiment, value, inExperiment, hashUsed) => {
    const result = clientFor(context).run(experiment);
    expect({ value: result.value, inExperiment: result.inExperiment, hashUsed: result.hashUsed }).toEqual({
      value,
      inExperiment,
      hashUsed,
    });
  },
);

describeCases<[string, Context, StickyAssignmentsDocument[], string, Record<string, unknown> | null, Record<string, unknown>]>(
  'stickyBucket',
  async (_name, context, stored, key, expectedResult, expectedDocs) => {
    const client = clientFor(context, memoryStickyBucketStore(stored));
    await client.ready();
    expect(client.evalFeature(key).experimentResult ?? null).toEqual(expectedResult);
    expect(client.getStickyBucketAssignmentDocs()).toEqual(expectedDocs);
  },
);

// Optional in the conformance README; evaluated exactly like `feature`.
describeCases<[string, Context, string, Record<string, unknown>]>('contextualBandit', (_name, context, key, expected) => {
  expect(clientFor(context).evalFeature(key)).toEqual(expected);
});

describeCases<[string, Context, { inExperiment: boolean; urlRedirect: string; urlWithParams: string }[]]>(
  'urlRedirect',
  (_name, context, expected) => {
    const { experiments, ...rest } = context as Context & { experiments?: unknown[] };
    const exposed: string[] = [];
    const client = createClient({
      ...rest,
      attributes: { id: undefined, ...rest.attributes },
      cookie: false,
      stickyBucketStore: false,
      log: () => undefined,
      onExposure: (experiment) => void exposed.push(experiment.key),
      plugins: [redirects({ experiments })],
    });
    const redirect = client.getRedirect();
    const decided = redirect ? [{ inExperiment: redirect.result.inExperiment, urlRedirect: redirect.urlRedirect, urlWithParams: redirect.urlWithParams }] : [];
    expect(decided).toEqual(expected);
    // The exposure goes out before the visitor leaves: the redirect's experiment was reported.
    if (redirect) expect(exposed).toContain(redirect.experiment.key);
  },
);
