/**
 * `npm run bench:calls` companion for the stream parser (issue 21): CPU time to parse one 5 MiB
 * single-line `data:` event fed in 16 KiB chunks (the target is under 100 ms), and to refuse a
 * 5 MiB line at the default 4 MiB limit. Run: `npx tsx bench/sse.ts`.
 */
import { createEventParser } from '../src/plugins/remote/sse';

const CHUNK = 16 * 1024;
const text = 'event: features\ndata: ' + 'x'.repeat(5 * 1024 * 1024) + '\n\n';
const chunks = Array.from({ length: Math.ceil(text.length / CHUNK) }, (_, i) => text.slice(i * CHUNK, (i + 1) * CHUNK));

function cpu(label: string, maxChars: number): void {
  let best = Infinity;
  let outcome = '';
  for (let run = 0; run < 5; run++) {
    const start = process.cpuUsage();
    let size = 0;
    const feed = createEventParser({ onEvent: (e) => (size = e.data.length) }, '', maxChars);
    try {
      chunks.forEach(feed);
      outcome = `event of ${size} characters`;
    } catch (error) {
      outcome = String(error);
    }
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  console.log(`${label}: ${best.toFixed(1)} ms CPU (best of 5): ${outcome}`);
}
cpu('5 MiB line, 8 MiB limit', 8 * 1024 * 1024);
cpu('5 MiB line, default 4 MiB limit', 4 * 1024 * 1024);
