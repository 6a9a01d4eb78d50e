/**
 * Regression tests for the client-side defects of issue 14 that live below the browser: hostile
 * inputs to `getBucket` (edx) and `variant`/`expose` (baseplate), a foreign `splitflap-queue`
 * database, a cached payload from the future, and the bounded, cheap Sixpack queue.
 * Browser-level items are in test/browser/hardening.test.ts, HTTP-level ones in
 * test/integration/hardening-client.test.ts.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type Attributes, type ClientOptions, type StickyAssignmentDocs } from '../../src/index';
import { baseplate, type NamedExperiment } from '../../src/plugins/baseplate';
import { edx, type EdxExperiment } from '../../src/plugins/edx';

/** Values a payload, a config file or an app's own code may hand over where something else was meant. */
const HOSTILE = { toString: 1 } as unknown as string;

/** A client with both plugins for visitor `u`, its log and its exposures. */
function client(options: { edx?: unknown; baseplate?: unknown; attributes?: Attributes; stickyBucketAssignmentDocs?: unknown } = {}) {
  const log = vi.fn();
  const onExposure = vi.fn();
  const created = createClient({
    clientId: 'u',
    cookie: false,
    stickyBucketStore: undefined,
    attributes: options.attributes ?? { id: 'u' },
    stickyBucketAssignmentDocs: options.stickyBucketAssignmentDocs as StickyAssignmentDocs,
    log,
    onExposure,
    plugins: [edx(options.edx as Record<string, EdxExperiment>), baseplate(options.baseplate as Record<string, NamedExperiment>)],
  } as ClientOptions);
  return { client: created as typeof created & ReturnType<typeof withMethods>, log, onExposure };
}
/** Only for the type of `client()`: the methods both plugins add. */
const withMethods = () => createClient({ plugins: [edx(), baseplate({})] });

describe('getBucket (edx) and variant / expose (baseplate) never throw on bad input', () => {
  const AB = { variations: ['a', 'b'] };

  it('a sticky doc that is a number ({"id||u": 5}) is ignored', () => {
    const { client: c } = client({ edx: { e: {} }, baseplate: { e: AB }, stickyBucketAssignmentDocs: { 'id||u': 5 } });
    const plain = client({ edx: { e: {} }, baseplate: { e: AB } }).client;
    expect(c.getBucket('e')).toBe(plain.getBucket('e'));
    expect(c.variant('e')).toBe(plain.variant('e'));
    expect(['a', 'b']).toContain(c.variant('e'));
  });

  it('an attribute id {"toString":1}: control (edx: unhashed, as for an anonymous user) and not in the experiment (baseplate)', () => {
    const { client: c, onExposure } = client({ edx: { e: {} }, baseplate: { e: AB }, attributes: { id: HOSTILE } });
    for (const numBuckets of [2, 3, 10]) expect(c.getBucket('e', { numBuckets })).toBe(0);
    expect(c.variant('e')).toBeNull();
    expect(() => c.expose('e', 'a')).not.toThrow();
    expect(onExposure).toHaveBeenCalledTimes(1); // the explicit exposure only
  });

  it('an attribute id that JSON cannot write (BigInt): expose still reports, without a hash value', () => {
    const { client: c, onExposure, log } = client({ baseplate: { e: AB }, attributes: { id: 10n as unknown as string } });
    expect(() => c.variant('e')).not.toThrow();
    onExposure.mockClear();
    c.expose('e', 'b');
    expect(onExposure).toHaveBeenCalledTimes(1);
    expect(onExposure.mock.calls[0]![1]).toMatchObject({ key: 'b', hashValue: '' });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('cannot be written as text'), expect.anything());
  });

  it.each([
    ['null', null],
    ['a string', 'ab'],
    ['a number', 5],
    ['an object', { a: 1 }],
  ])('variations %s: variant() is null with a log line, getBucket() is unaffected', (_name, variations) => {
    const { client: c, log } = client({ edx: { e: { variations } }, baseplate: { e: { variations } } });
    expect(c.variant('e')).toBeNull();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('variant() failed'), expect.objectContaining({ experiment: 'e' }));
    expect([0, 1]).toContain(c.getBucket('e'));
  });

  it.each([
    ['an object', { bucket: 1, condition: {} }],
    ['a string', 'x'],
    ['a number', 1],
    ['null', null],
  ])('forcedBuckets %s is ignored: the hashed bucket', (_name, forcedBuckets) => {
    const plain = client({ edx: { e: {} } }).client.getBucket('e', { numBuckets: 7 });
    const { client: c } = client({ edx: { e: { forcedBuckets } }, baseplate: { e: { ...AB, forcedBuckets } } });
    expect(c.getBucket('e', { numBuckets: 7 })).toBe(plain);
    expect(['a', 'b']).toContain(c.variant('e'));
  });

  it('forced-bucket rules with hostile conditions are skipped', () => {
    const forcedBuckets = [
      { bucket: 1, condition: HOSTILE },
      { bucket: 2, condition: null },
      { bucket: 3, condition: { id: { $regex: '(' } } },
      { bucket: 4, condition: { id: 'u' } },
    ];
    expect(client({ edx: { e: { forcedBuckets } } }).client.getBucket('e', { numBuckets: 5 })).toBe(4);
  });

  it('getBucket(key, null) and other non-object options use the defaults', () => {
    const { client: c } = client({ edx: { e: {} } });
    const expected = c.getBucket('e');
    for (const options of [null, 'x', 5, [], true]) expect(c.getBucket('e', options as never)).toBe(expected);
  });

  it('a hostile key, scope or numBuckets: control and a log line (the scope threw: "Cannot convert object to primitive value")', () => {
    const { client: c, log, onExposure } = client({ edx: { e: {} } });
    expect(c.getBucket(HOSTILE)).toBe(0);
    expect(c.getBucket('e', { scope: HOSTILE })).toBe(0);
    expect(c.getBucket('e', { numBuckets: HOSTILE as unknown as number })).toBe(0);
    expect(log).toHaveBeenCalledTimes(3);
    expect(onExposure).not.toHaveBeenCalled();
  });

  it.each([
    ['null', null],
    ['a string', 'config'],
    ['an array', []],
  ])('definitions that are %s: defaults for getBucket, null for variant (edx(null) threw on every call)', (_name, definitions) => {
    const { client: c } = client({ edx: definitions, baseplate: definitions });
    expect([0, 1]).toContain(c.getBucket('e'));
    expect(c.getBucket('e')).toBe(client({ edx: {} }).client.getBucket('e'));
    expect(c.variant('e')).toBeNull();
    expect(() => c.expose('e', 'a')).not.toThrow();
  });

  it('expose() with a name or variant that is not a string is ignored with a log line', () => {
    const { client: c, log, onExposure } = client({ baseplate: { e: AB } });
    c.expose(HOSTILE, 'a');
    c.expose('e', HOSTILE);
    expect(onExposure).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(2);
  });
});
