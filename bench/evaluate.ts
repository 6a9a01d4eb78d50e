/**
 * `npm run bench`: Splitflap vs GrowthBook evaluating the same payload in one process.
 * Prints ns/op for both and the speed-up (GrowthBook time / Splitflap time); the target is ≥ 3×
 * on every row. Browser start-up is bench/browser.ts, memory bench/memory.ts.
 */
import { GrowthBook, GrowthBookClient } from '@growthbook/growthbook';
import { do_not_optimize, measure } from 'mitata';
import { attributes as requestAttributes, makePayload, readFlags, type FeatureDefinitions } from './payload';
import { loadSplitflap } from './splitflap';

const { createClient } = await loadSplitflap();

process.env.NODE_ENV = 'production'; // GrowthBook skips its debug logging, as in production builds

const attributes = { id: 'user-123', country: 'NL', plan: 'pro', age: 34 };
const features = {
  plain: { defaultValue: true },
  targeted: {
    defaultValue: false,
    rules: [{ condition: { country: { $in: ['NL', 'BE', 'DE'] }, plan: 'pro', age: { $gte: 18 } }, force: true }],
  },
  experiment: {
    defaultValue: 'control',
    rules: [
      {
        key: 'checkout-test',
        variations: ['control', 'one-page', 'express'],
        weights: [0.34, 0.33, 0.33],
        coverage: 0.9,
        namespace: ['checkout', 0, 1] as [string, number, number],
        hashVersion: 2,
        meta: [{ key: 'c' }, { key: 'o' }, { key: 'e' }],
      },
    ],
  },
};
const inline = { key: 'inline-test', variations: ['a', 'b', 'c'] as [string, string, string], weights: [0.5, 0.25, 0.25], coverage: 0.9 };

const splitflap = createClient({ clientId: 'user-123', attributes, features, cookie: false });
const growthbook = new GrowthBook({ attributes, features });

const rows: [string, () => unknown, () => unknown][] = [
  ['plain flag', () => splitflap.isOn('plain'), () => growthbook.isOn('plain')],
  ['targeted flag', () => splitflap.isOn('targeted'), () => growthbook.isOn('targeted')],
  ['experiment rule (3 variations, coverage, namespace)', () => splitflap.evalFeature('experiment'), () => growthbook.evalFeature('experiment')],
  ['inline run()', () => splitflap.run(inline), () => growthbook.run(inline)],
  [
    'new client + 5 evaluations (per request)',
    () => {
      const c = createClient({ clientId: 'user-123', attributes, features, cookie: false });
      return [c.isOn('plain'), c.isOn('targeted'), c.evalFeature('experiment'), c.getFeatureValue('experiment', ''), c.run(inline)];
    },
    () => {
      const g = new GrowthBook({ attributes, features });
      return [g.isOn('plain'), g.isOn('targeted'), g.evalFeature('experiment'), g.getFeatureValue('experiment', ''), g.run(inline)];
    },
  ],
];

/** Splitflap's per-request client, as a server creates it (no cookie, no sticky store). */
const splitflapRequest = (features: FeatureDefinitions) =>
  readFlags(createClient({ clientId: 'user-123', attributes: requestAttributes, features, cookie: false }));
const growthbookRequest = (features: FeatureDefinitions) => readFlags(new GrowthBook({ attributes: requestAttributes, features }));
/** GrowthBook's server SDK: one GrowthBookClient per payload, a scoped instance per request. */
const growthbookClient = (payload: { features: FeatureDefinitions }) => new GrowthBookClient().initSync({ payload, streaming: false });
const scopedRequest = (shared: GrowthBookClient) => readFlags(shared.createScopedInstance({ attributes: requestAttributes }));

/** Rows measuring one Splitflap case against several GrowthBook ways of doing the same. */
interface Group {
  name: string;
  /** Makes the input of one iteration, outside the timed part (a payload object never seen before). */
  fresh?: () => unknown;
  splitflap: (input: never) => unknown;
  growthbook: [variant: string, fn: (input: never) => unknown][];
}

const payload100 = makePayload(100);
const shared100 = growthbookClient(payload100);
const groups: Group[] = [100, 2000].map((count) => {
  // Each iteration gets a payload object parsed just for it, outside the timed part, so neither
  // SDK can reuse anything it built for an earlier object (JSON.parse itself is the same for both).
  const text = JSON.stringify(makePayload(count));
  return {
    name: `first request on a new payload object, ${count} features (client + 5 reads; JSON.parse outside the timing)`,
    fresh: () => JSON.parse(text) as { features: FeatureDefinitions },
    splitflap: (payload: { features: FeatureDefinitions }) => splitflapRequest(payload.features),
    growthbook: [
      ['new GrowthBook', (payload: { features: FeatureDefinitions }) => growthbookRequest(payload.features)],
      ['GrowthBookClient.initSync + createScopedInstance', (payload: { features: FeatureDefinitions }) => scopedRequest(growthbookClient(payload))],
    ],
  };
});
// First: the fresh-payload groups above parse gigabytes of payloads (one per iteration), and the
// heap they leave taxes whatever runs after them, allocation-heavy per-request rows most.
groups.unshift({
  name: 'per request, shared 100-feature payload (client + 5 reads)',
  splitflap: () => splitflapRequest(payload100.features),
  growthbook: [
    ['new GrowthBook', () => growthbookRequest(payload100.features)],
    ['createScopedInstance on a shared GrowthBookClient', () => scopedRequest(shared100)],
  ],
});
// Every Splitflap path must read what GrowthBook reads, or the figures compare different work.
const expected = JSON.stringify(growthbookRequest(payload100.features));
for (const actual of [splitflapRequest(payload100.features), scopedRequest(shared100)]) {
  if (JSON.stringify(actual) !== expected) throw new Error(`SDKs disagree on the 5 reads: ${JSON.stringify(actual)} vs ${expected}`);
}

async function nsPerOp(fn: () => unknown): Promise<number> {
  const stats = await measure(() => do_not_optimize(fn()), { min_cpu_time: 400e6 });
  return stats.avg;
}

/** ns per call of `fn(input)`, with a new `fresh()` input made before each call, untimed (mitata's computed parameters). */
async function nsPerOpFresh(fresh: () => unknown, fn: (input: never) => unknown): Promise<number> {
  const stats = await measure(
    function* () {
      yield { [0]: fresh, bench: (input: never) => do_not_optimize(fn(input)) };
    },
    { min_cpu_time: 400e6 },
  );
  return stats.avg;
}

const fmt = (ns: number) => (ns < 1000 ? `${ns.toFixed(0)} ns` : ns < 1e6 ? `${(ns / 1000).toFixed(2)} µs` : `${(ns / 1e6).toFixed(2)} ms`);
const line = (name: string, ours: string, theirs: string, ratio: string) =>
  console.log(name.padEnd(60) + ours.padStart(12) + theirs.padStart(12) + ratio.padStart(10));

console.log(`node ${process.version}, ${process.platform}/${process.arch}; target: Splitflap ≥ 3× faster\n`);
line('case', 'splitflap', 'growthbook', 'speed-up');
let worst = Infinity;
for (const [name, ours, theirs] of rows) {
  const a = await nsPerOp(ours);
  const b = await nsPerOp(theirs);
  worst = Math.min(worst, b / a);
  line(name, fmt(a), fmt(b), `${(b / a).toFixed(1)}×`);
}
for (const group of groups) {
  console.log(`\n${group.name}`);
  const time = (fn: (input: never) => unknown) => (group.fresh ? nsPerOpFresh(group.fresh, fn) : nsPerOp(fn as () => unknown));
  const a = await time(group.splitflap);
  for (const [variant, theirs] of group.growthbook) {
    const b = await time(theirs);
    const reference = variant.startsWith('(');
    if (!reference) worst = Math.min(worst, b / a);
    line(`  vs ${variant}`, fmt(a), fmt(b), reference ? '' : `${(b / a).toFixed(1)}×`);
  }
}
console.log(`\nslowest speed-up: ${worst.toFixed(1)}× ${worst >= 3 ? '(meets the 3× target)' : '(BELOW the 3× target)'}`);
