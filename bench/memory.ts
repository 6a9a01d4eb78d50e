/**
 * `npm run bench`, memory part (run with `node --expose-gc`): 200,000 per-request clients in one
 * process, each created, read five times and dropped, with the heap measured after a forced GC
 * before, along the way and after. A flat heap means nothing a request leaves behind is kept:
 * no per-visitor state in module caches, no listeners left registered.
 */
import { GrowthBook, GrowthBookClient } from '@growthbook/growthbook';
import { attributes, makePayload, readFlags, type Reader } from './payload';
import { loadSplitflap } from './splitflap';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('bench/memory.ts needs node --expose-gc');
process.env.NODE_ENV = 'production'; // GrowthBook skips its debug logging, as in production builds

const { createClient } = await loadSplitflap();
const REQUESTS = 200_000;
const CHECKPOINTS = 4;
const { features } = makePayload(100);
const shared = new GrowthBookClient().initSync({ payload: { features }, streaming: false });

/** The last request's reads, kept observable so they are not optimised away. */
let lastReads: unknown[] = [];
const read = (reader: Reader) => void (lastReads = readFlags(reader));
/** Each request is a different visitor, so per-visitor state anywhere would pile up. */
const visitor = (index: number) => ({ ...attributes, id: `user-${index}` });

const cases: [string, (index: number) => void][] = [
  ['splitflap createClient', (i) => read(createClient({ clientId: `user-${i}`, attributes: visitor(i), features, cookie: false }))],
  ['growthbook new GrowthBook', (i) => read(new GrowthBook({ attributes: visitor(i), features }))],
  ['growthbook createScopedInstance', (i) => read(shared.createScopedInstance({ attributes: visitor(i) }))],
];

const heapMB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

console.log(`\nmemory: ${REQUESTS.toLocaleString('en')} per-request clients (create, 5 reads, drop), shared 100-feature payload, heap after forced GC`);
const marks = Array.from({ length: CHECKPOINTS - 1 }, (_, k) => `${((k + 1) * REQUESTS) / CHECKPOINTS / 1000}k`).join(' / ');
const line = (cells: string[]) => console.log(cells[0]!.padEnd(34) + cells.slice(1).map((cell, k) => cell.padStart([11, 28, 11, 11, 7, 8][k]!)).join(''));
line(['case', 'before', `at ${marks}`, 'after', 'growth', '', 'time']);
for (const [name, request] of cases) {
  for (let i = 0; i < 1000; i++) request(-i); // warm up: code compiled and module caches filled
  const before = heapMB();
  const along: number[] = [];
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    request(i);
    if ((i + 1) % (REQUESTS / CHECKPOINTS) === 0 && i + 1 < REQUESTS) along.push(heapMB());
  }
  const after = heapMB();
  const seconds = (performance.now() - started) / 1000;
  const growth = after - before;
  // Flat: under 1 MB over 200,000 requests is at most 5 bytes a request, i.e. nothing kept per request.
  const verdict = Math.abs(growth) < 1 ? 'flat' : 'GROWS';
  line([
    name,
    `${before.toFixed(2)} MB`,
    along.map((mb) => mb.toFixed(2)).join(' / '),
    `${after.toFixed(2)} MB`,
    `${growth >= 0 ? '+' : ''}${growth.toFixed(2)} MB`,
    verdict,
    `${seconds.toFixed(1)} s`,
  ]);
}
if (lastReads.length !== 5) throw new Error('the requests read nothing');
