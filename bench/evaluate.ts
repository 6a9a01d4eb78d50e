/**
 * `npm run bench`: Splitflap vs GrowthBook evaluating the same payload in one process.
 * Prints ns/op for both and the speed-up; the target is ≥ 3× on every row.
 */
import { GrowthBook } from '@growthbook/growthbook';
import { build } from 'esbuild';
import { do_not_optimize, measure } from 'mitata';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Splitflap from '../src/index';

// Measure the code we ship: bundle src/ the way tsup does (tsx's own transform wraps every
// closure in a naming helper, which would slow the per-request row several times over).
const out = path.resolve('.cache/bench/splitflap.mjs');
mkdirSync(path.dirname(out), { recursive: true });
await build({ entryPoints: ['src/index.ts'], bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'error' });
const { createClient } = (await import(pathToFileURL(out).href)) as typeof Splitflap;

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

async function nsPerOp(fn: () => unknown): Promise<number> {
  const stats = await measure(() => do_not_optimize(fn()), { min_cpu_time: 400e6 });
  return stats.avg;
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}; target: Splitflap ≥ 3× faster\n`);
console.log('case'.padEnd(52) + 'splitflap'.padStart(12) + 'growthbook'.padStart(12) + 'speed-up'.padStart(10));
let worst = Infinity;
for (const [name, ours, theirs] of rows) {
  const a = await nsPerOp(ours);
  const b = await nsPerOp(theirs);
  worst = Math.min(worst, b / a);
  const fmt = (ns: number) => (ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(2)} µs`);
  console.log(name.padEnd(52) + fmt(a).padStart(12) + fmt(b).padStart(12) + `${(b / a).toFixed(1)}×`.padStart(10));
}
console.log(`\nslowest speed-up: ${worst.toFixed(1)}× ${worst >= 3 ? '(meets the 3× target)' : '(BELOW the 3× target)'}`);
