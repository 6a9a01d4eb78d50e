/**
 * `npm run bench`, browser part: headless Chromium, from just before the script tag to the first
 * evaluated flag, Splitflap's script tag vs GrowthBook's auto script (1.8.0,
 * dist/bundles/auto.min.js), the same inline 100-feature payload, a fresh browser context per
 * load (nothing cached), both served by a server on 127.0.0.1 started here.
 *
 * The clock starts in an inline <script> before the SDK's configuration and tag, and stops in the
 * SDK's own queue callback once `f0` evaluates to its payload value:
 * - Splitflap: `data-features` on the tag, a `window.splitflapQueue` callback calling `isOn('f0')`.
 * - GrowthBook: `window.growthbook_config.payload` (no API host, no streaming), a
 *   `window.growthbook_queue` callback; GrowthBook applies an init payload asynchronously, so
 *   the callback evaluates once `gb.ready` (on the `growthbookdata` event its renderer fires).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildScript } from '../examples/site';
import { makePayload } from './payload';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LOADS = 20;
/** Headless Chromium's own user agent says "HeadlessChrome", which Splitflap's bot filter excludes. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

if (!existsSync(CHROMIUM)) {
  const message = `[bench/browser] no Chromium at ${CHROMIUM}: browser start-up not measured`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(message);
  process.exit(0);
}

// Not in the package's `exports`: read it from node_modules, next to the package's package.json.
const growthbookDir = path.dirname(createRequire(import.meta.url).resolve('@growthbook/growthbook/package.json'));
const growthbookAuto = readFileSync(path.join(growthbookDir, 'dist/bundles/auto.min.js'), 'utf8');
const { js: splitflapTag } = await buildScript();
const payload = makePayload(100);
const json = JSON.stringify(payload);

/** Sets the mark, then defines `record`, which the SDK's callback calls with f0's value. */
const START = `<script>performance.mark('tag');window.record=function(on){var t0=performance.getEntriesByName('tag')[0].startTime,sdk=performance.getEntriesByType('resource').filter(function(e){return /\\.js$/.test(e.name)})[0];window.benchResult={ms:performance.now()-t0,arrived:sdk?Math.max(0,sdk.responseEnd-t0):NaN,on:on}}</script>`;
const attribute = (text: string) => text.replace(/&/g, '&amp;').replace(/'/g, '&#39;');
const inScript = (text: string) => text.replace(/</g, '\\u003c');
const page = (body: string) => `<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body>${body}</body></html>`;

const pages: Record<string, string> = {
  '/splitflap.html': page(
    START +
      `<script>window.splitflapQueue=[function(client){record(client.isOn('f0'))}]</script>` +
      `<script src="/splitflap.global.js" data-features='${attribute(JSON.stringify(payload.features))}'></script>`,
  ),
  '/growthbook.html': page(
    START +
      `<script>window.growthbook_config={payload:${inScript(json)},noStreaming:true,backgroundSync:false};` +
      `window.growthbook_queue=[function(gb){var done=false;function check(){if(!done&&gb.ready){done=true;record(gb.isOn('f0'))}}` +
      `document.addEventListener('growthbookdata',check);check()}]</script>` +
      `<script src="/growthbook.auto.min.js"></script>`,
  ),
  // The floor: a fresh context loading an empty script, for how much of either figure is the browser's.
  '/baseline.html': page(START + `<script src="/empty.js"></script><script>record(true)</script>`),
};
const scripts: Record<string, string> = { '/splitflap.global.js': splitflapTag, '/growthbook.auto.min.js': growthbookAuto, '/empty.js': '' };

const server = createServer((req, res) => {
  const pathname = new URL(req.url ?? '/', 'http://x').pathname;
  if (pages[pathname] !== undefined) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages[pathname]);
  else if (scripts[pathname] !== undefined) res.writeHead(200, { 'content-type': 'application/javascript' }).end(scripts[pathname]);
  else res.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

interface Load {
  /** From the mark to the first evaluated flag. */
  ms: number;
  /** From the mark to the SDK script's last byte (Resource Timing): the network's share of `ms`. */
  arrived: number;
  on: boolean;
}

/** One load in a fresh context. */
async function load(browser: Browser, sdk: keyof typeof loads): Promise<Load> {
  const context = await browser.newContext({ userAgent: USER_AGENT });
  try {
    const tab = await context.newPage();
    await tab.goto(`${origin}/${sdk}.html`);
    const handle = await tab.waitForFunction(() => (window as unknown as { benchResult?: unknown }).benchResult, undefined, { timeout: 10_000 });
    const result = (await handle.jsonValue()) as Load;
    if (result.on !== true) throw new Error(`${sdk}: f0 evaluated to ${result.on}, not the payload's true`);
    return result;
  } finally {
    await context.close();
  }
}

const loads = { splitflap: [] as Load[], growthbook: [] as Load[], baseline: [] as Load[] };
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  // One warm-up load each (Chromium's first page pays its own start-up), then alternate so both
  // SDKs see the same machine load.
  await load(browser, 'splitflap');
  await load(browser, 'growthbook');
  for (let index = 0; index < LOADS; index++) {
    loads.splitflap.push(await load(browser, 'splitflap'));
    loads.growthbook.push(await load(browser, 'growthbook'));
    loads.baseline.push(await load(browser, 'baseline'));
  }
  const sorted = (list: Load[], of: (load: Load) => number) => list.map(of).sort((a, b) => a - b);
  const kb = (text: string) => `${(text.length / 1024).toFixed(1)} KB`;
  console.log(
    `\nheadless Chromium ${browser.version()}: script tag to first evaluated flag, inline 100-feature payload, ${LOADS} fresh contexts each` +
      ` (scripts: splitflap ${kb(splitflapTag)}, growthbook auto ${kb(growthbookAuto)}, minified, uncompressed)`,
  );
  const line = (name: string, a: string, b: string, c: string) => console.log(name.padEnd(60) + a.padStart(12) + b.padStart(12) + c.padStart(10));
  line('case', 'splitflap', 'growthbook', 'speed-up');
  const measures: [string, (load: Load) => number][] = [
    ['mark to first evaluated flag', (l) => l.ms],
    ['  of which after the script\'s last byte arrived', (l) => l.ms - l.arrived],
  ];
  for (const [name, of] of measures) {
    for (const [stat, q] of [['median', 0.5], ['p90', 0.9]] as const) {
      const a = quantile(sorted(loads.splitflap, of), q);
      const b = quantile(sorted(loads.growthbook, of), q);
      line(`${name}, ${stat}`, `${a.toFixed(1)} ms`, `${b.toFixed(1)} ms`, `${(b / a).toFixed(1)}×`);
    }
  }
  const floor = measures.map(([name, of]) => {
    const list = sorted(loads.baseline, of);
    return `${name.trim()}: median ${quantile(list, 0.5).toFixed(1)} ms, p90 ${quantile(list, 0.9).toFixed(1)} ms`;
  });
  console.log(`floor, an empty script tag in a fresh context: ${floor.join('; ')}`);
} finally {
  await browser.close();
  server.closeAllConnections();
  server.close();
}
