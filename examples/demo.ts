/**
 * `npm run demo`: starts the example Sixpack server on 127.0.0.1 and walks through both ways of
 * deciding a variant: local evaluation of a GrowthBook-format payload (the Node/SSR pattern) and
 * Sixpack mode against the server. The server keeps running (Ctrl-C stops it) so you can look at
 * its data; `--once` exits after the walkthrough.
 */
import { createClient } from '../src/index';
import { createSixpackServer } from './sixpack-server/server';
import { runLocalExample } from './node/ssr';

const port = Number(process.env.PORT ?? 5000);
const sixpack = createSixpackServer();
let listening: { url: string };
try {
  listening = await sixpack.listen(port, '127.0.0.1');
} catch {
  listening = await sixpack.listen(0, '127.0.0.1'); // port taken: any free one
}
const baseUrl = listening.url;

console.log('1. Local evaluation (examples/node/payload.json), one client per request as on a server:');
runLocalExample();

console.log(`\n2. Sixpack mode against the example server at ${baseUrl}:`);
const alternatives = ['grey', 'red', 'blue'];
const counts: Record<string, number> = {};
for (let i = 0; i < 30; i++) {
  const client = createClient({ clientId: `visitor-${i}`, cookie: false, sixpack: { baseUrl } });
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

if (process.argv.includes('--once')) {
  await sixpack.close();
} else {
  console.log(`\nThe Sixpack server keeps running at ${baseUrl} (try ${baseUrl}/experiments/button-color). Ctrl-C stops it.`);
  const stop = () => sixpack.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
