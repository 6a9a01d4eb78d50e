/**
 * `npm run demo`: everything in one command, on 127.0.0.1.
 *
 * 1. Starts the example Sixpack server and walks through both ways of deciding a variant in the
 *    console: local evaluation of a GrowthBook-format payload (the Node/SSR pattern) and Sixpack
 *    mode against the server.
 * 2. Builds what the pages need (the script-tag bundle with esbuild, in-process; the React
 *    example through `examples/react/build.ts` when it exists) and serves them (examples/site.ts):
 *    the plain HTML page (one script tag, declarative markup), the React example and the results
 *    page (per-alternative conversion rates and intervals, G-test), with the Sixpack server
 *    proxied under the same origin.
 *
 * Ctrl-C stops everything. `--once` builds, prints, checks that each page answers, and exits.
 * Ports: SIXPACK_PORT (or PORT, default 5000) and SITE_PORT (default 8000); a free one when taken.
 */
import { existsSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient } from 'splitflap';
import { sixpack as sixpackPlugin } from 'splitflap/sixpack';
import { serve as serveSsr, walkthrough } from './node/ssr';
import { buildScript, startSite, type ReactSite } from './site';
import { createServer } from '../server/src/index';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const once = process.argv.includes('--once');

const sixpack = createServer();
let listening: { url: string };
try {
  listening = await sixpack.listen(Number(process.env.SIXPACK_PORT ?? process.env.PORT ?? 5000), '127.0.0.1');
} catch {
  listening = await sixpack.listen(0, '127.0.0.1'); // port taken: any free one
}
const baseUrl = listening.url;
// The admin API has a listener of its own, never the public one (a free port on 127.0.0.1).
const adminUrl = (await sixpack.admin.listen(0, '127.0.0.1')).url;

console.log('1. Local evaluation on a server (examples/node/ssr.ts, payload examples/node/payload.json):');
const ssr = await serveSsr();
await walkthrough(ssr.url);
ssr.server.close();

console.log(`\n2. Sixpack mode against the example server at ${baseUrl}:`);
const alternatives = ['grey', 'red', 'blue'];
const counts: Record<string, number> = {};
for (let i = 0; i < 30; i++) {
  const client = createClient({ clientId: `visitor-${i}`, cookie: false, plugins: [sixpackPlugin({ baseUrl })] });
  const { alternative, source } = await client.participate('button-color', alternatives);
  counts[alternative] = (counts[alternative] ?? 0) + 1;
  if (source !== 'server') console.log(`  visitor-${i}: ${alternative} (${source})`);
  // Every third visitor clicks; red visitors click a little more.
  if (i % 3 === 0 || (alternative === 'red' && i % 2 === 0)) await client.convert('button-color');
  client.destroy();
}
console.log(`  30 visitors: ${Object.entries(counts).map(([a, n]) => `${a} ${n}`).join(', ')}`);
const stats = (await (await fetch(`${baseUrl}/experiments/button-color`)).json()) as {
  alternatives: { name: string; participant_count: number; completed_count: number; conversion_rate: number }[];
};
for (const a of stats.alternatives) {
  console.log(`  ${a.name.padEnd(5)} ${a.participant_count} participants, ${a.completed_count} conversions (${a.conversion_rate}%)`);
}

console.log('\n3. Pages in the browser:');
await simulateVisitors(600);
await simulateBandit(600);
const script = await buildScript();
console.log(`  built the script tag: splitflap.global.js, ${(script.js.length / 1024).toFixed(1)} KB minified`);
const react = await buildReact();
const site = await startSite({ sixpackUrl: baseUrl, script, react }, Number(process.env.SITE_PORT ?? 8000));
const pages: [string, string][] = [
  ['plain HTML page (one script tag)', `${site.url}/plain/`],
  ...(react ? [['React example', `${site.url}/react/`] as [string, string]] : []),
  ['results', `${site.url}/results/`],
];
for (const [name, url] of pages) console.log(`  ${name.padEnd(34)} ${url}`);
console.log(`  ${'Sixpack server'.padEnd(34)} ${baseUrl} (e.g. ${baseUrl}/experiments/button-color)`);

if (once) {
  // A smoke check: every page answers.
  let failed = false;
  for (const [name, url] of pages) {
    const res = await fetch(url).catch((error: Error) => ({ ok: false, status: error.message }));
    if (!res.ok) failed = true;
    console.log(`  ${res.ok ? 'ok ' : 'FAILED'} ${name} (${res.status})`);
  }
  await Promise.all([site.close(), sixpack.close()]);
  process.exit(failed ? 1 : 0);
} else {
  console.log('\nOpen the plain page, click the button, go to checkout, then watch the results page. Ctrl-C stops everything.');
  const stop = () => Promise.all([site.close(), sixpack.close()]).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * Traffic for the plain page's Sixpack experiment, so the results page has enough conversions for
 * a G-test: `visitors` simulated clients, orange converting better than green (seeded, so every
 * run gives the same counts).
 */
async function simulateVisitors(visitors: number): Promise<void> {
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rates: Record<string, [click: number, checkout: number]> = { green: [0.1, 0.05], orange: [0.16, 0.08] };
  const get = (query: string) => fetch(`${baseUrl}/${query}`).then((res) => res.json() as Promise<{ alternative?: { name: string } }>);
  const draws = Array.from({ length: visitors }, () => [random(), random()]);
  for (let i = 0; i < visitors; i += 50) {
    await Promise.all(
      draws.slice(i, i + 50).map(async ([click, checkout], j) => {
        const id = `simulated-${i + j}`;
        const body = await get(`participate?experiment=buy-button&alternatives=green&alternatives=orange&client_id=${id}`);
        const [clickRate, checkoutRate] = rates[body.alternative!.name]!;
        if (click! < clickRate) await get(`convert?experiment=buy-button&client_id=${id}`);
        if (checkout! < checkoutRate) await get(`convert?experiment=buy-button&client_id=${id}&kpi=checkout`);
      }),
    );
  }
  console.log(`  simulated ${visitors} visitors of the plain page's buy-button experiment (orange converts better)`);
}

/**
 * A bandit experiment on the example server (#7), for the results page's weights and winner:
 * `headline` runs Thompson sampling server-side with winner detection; `visitors` simulated
 * clients in batches, so the policy adapts between them (bold converts best; seeded).
 */
async function simulateBandit(visitors: number): Promise<void> {
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rates: Record<string, number> = { calm: 0.05, bold: 0.12, loud: 0.07 };
  const query = 'experiment=headline&alternatives=calm&alternatives=bold&alternatives=loud';
  const get = (q: string) => fetch(`${baseUrl}/${q}`).then((res) => res.json() as Promise<{ alternative?: { name: string } }>);
  await get(`participate?${query}&client_id=bandit-seed&prefetch=true`); // creates the experiment
  await fetch(`${adminUrl}/_admin/experiments/headline`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ bandit: { policy: 'thompson', winner: { minParticipants: 300 } } }),
  });
  for (let i = 0; i < visitors; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, visitors - i) }, async (_, j) => {
        const id = `bandit-${i + j}`;
        const draw = random();
        const body = await get(`participate?${query}&client_id=${id}`);
        if (draw < rates[body.alternative!.name]!) await get(`convert?experiment=headline&client_id=${id}`);
      }),
    );
  }
  const view = (await (await fetch(`${baseUrl}/experiments/headline`)).json()) as {
    alternatives: { name: string; participant_count: number }[];
    bandit?: { winner: string | null };
  };
  const shares = view.alternatives.map((a) => `${a.name} ${a.participant_count}`).join(', ');
  console.log(`  simulated ${visitors} visitors of the Thompson bandit "headline": ${shares}; winner ${view.bandit?.winner ?? 'not yet'}`);
}

/**
 * The React example, through its own build function: `build({ outdir, basePath, sixpackUrl })`
 * from examples/react/build.ts (named `build` or default export). It may return the folder it
 * wrote (a string, or `{ outdir }`/`{ dir }`), else `outdir` is served. An SSR handler
 * `(req, res)` exported by examples/react/server.tsx (`handler`, `handleRequest`, `handle` or
 * default) answers requests under /react/ that are not built files.
 */
async function buildReact(): Promise<ReactSite | null> {
  const buildFile = path.join(here, 'react/build.ts');
  if (!existsSync(buildFile)) {
    console.log('  (no examples/react/build.ts yet: the React page is skipped)');
    return null;
  }
  try {
    const mod = (await import(pathToFileURL(buildFile).href)) as Record<string, unknown>;
    const buildFn = (mod.build ?? mod.default) as ((options: object) => unknown) | undefined;
    if (typeof buildFn !== 'function') throw new Error('examples/react/build.ts exports no build function');
    const outdir = path.join(root, '.cache/demo/react');
    const result = (await buildFn({ outdir, basePath: '/react/', sixpackUrl: '/sixpack' })) as { outdir?: string; dir?: string } | string | void;
    const dir = typeof result === 'string' ? result : (result?.outdir ?? result?.dir ?? outdir);
    let handle: ReactSite['handle'];
    const serverFile = path.join(here, 'react/server.tsx');
    if (existsSync(serverFile)) {
      const server = (await import(pathToFileURL(serverFile).href)) as Record<string, unknown>;
      const candidate = server.handler ?? server.handleRequest ?? server.handle ?? server.default;
      if (typeof candidate === 'function') handle = candidate as (req: http.IncomingMessage, res: http.ServerResponse) => unknown;
    }
    console.log(`  built the React example${handle ? ' (server-rendered by examples/react/server.tsx)' : ''}`);
    return { dir: existsSync(dir) ? dir : undefined, handle };
  } catch (error) {
    console.log(`  the React example did not build, so it is skipped: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}
