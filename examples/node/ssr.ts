/**
 * Server-side rendering on Node's own `http` server with `splitflap/server`, as the README's
 * "Node and SSR" shows: one payload for every request (payload.json, GrowthBook's format), and per
 * request the visitor (their `sixpack_client_id` cookie, or a new id sent back with Set-Cookie,
 * `Secure` only when the page is HTTPS), a client for them, and the page rendered from its answers.
 *
 *   npx tsx examples/node/ssr.ts           serves on 127.0.0.1, prints what a few visitors get, exits
 *   npx tsx examples/node/ssr.ts --serve   the same, then keeps serving (PORT, default 3000)
 *
 * `npm run demo` (examples/demo.ts) prints the same walkthrough as its first part.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { FeatureDefinitions } from 'splitflap';
import { clientForVisitor, getVisitor } from 'splitflap/server';

// One payload object for every request: each feature compiles once per process.
const { features } = JSON.parse(readFileSync(new URL('./payload.json', import.meta.url), 'utf8')) as { features: FeatureDefinitions };

/** What the page decided for its visitor; the page carries it as JSON, as a page carries data for hydration. */
export interface PageFlags {
  visitor: string;
  bot: boolean;
  newCheckout: boolean;
  buttonColor: string;
  maxItems: number;
  holidayBanner: string;
  /** The visitor's exposures on the server (a real app sends them to its analytics). */
  exposures: string[];
}

/** One request: the visitor behind it, a client for them, the page. */
export function handle(req: IncomingMessage, res: ServerResponse): void {
  // The id cookie (or a new id), the user agent and the bot decision; whether the request came
  // over HTTPS (its socket, or X-Forwarded-Proto from a proxy in front) for the cookie's Secure.
  const visitor = getVisitor(req);
  // Targeting attributes, here from headers a CDN or your session layer would set.
  const country = String(req.headers['x-country'] ?? '');
  const plan = String(req.headers['x-plan'] ?? 'free');
  const exposures: string[] = [];
  const client = clientForVisitor(visitor, {
    features,
    attributes: { id: visitor.clientId, country, plan },
    onExposure: (experiment, result) => exposures.push(`${experiment.key}=${result.key}`),
  });
  const flags: PageFlags = {
    visitor: visitor.clientId,
    bot: visitor.isBot,
    newCheckout: client.isOn('new-checkout'),
    buttonColor: String(client.getFeatureValue('button-color', 'grey')),
    maxItems: Number(client.getFeatureValue('max-items', 10)),
    holidayBanner: String(client.getFeatureValue('holiday-banner', '')),
    exposures,
  };
  // A new visitor keeps their id: the browser sends the cookie back on the next request.
  if (visitor.setCookie) res.appendHeader('Set-Cookie', visitor.setCookie);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(page(flags));
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function page(flags: PageFlags): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Splitflap: server-side rendering on Node</title>
${flags.holidayBanner ? `<p class="banner">${escape(flags.holidayBanner)}</p>` : ''}
<h1>Your basket (up to ${flags.maxItems} items)</h1>
<a class="button ${escape(flags.buttonColor)}" href="${flags.newCheckout ? '/checkout/express' : '/checkout'}">Checkout</a>
<p>Rendered on the server for visitor <code>${escape(flags.visitor)}</code>${flags.bot ? ' (a bot: the control)' : ''}.
Reload: the same visitor, the same variants (the <code>sixpack_client_id</code> cookie).</p>
<script type="application/json" id="flags">${JSON.stringify(flags).replace(/</g, '\\u003c')}</script>
</html>
`;
}

/** The page's decisions, read back from its HTML. */
export const flagsIn = (html: string): PageFlags => JSON.parse(/<script type="application\/json" id="flags">(.*?)<\/script>/s.exec(html)![1]!) as PageFlags;

/** Serves {@link handle} on 127.0.0.1 (`port` 0: a free one). */
export async function serve(port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** Loads the page as a browser would, sending back the cookie it was given. Resolves with what it saw. */
async function load(url: string, jar: { cookie?: string }, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers: { 'user-agent': CHROME, ...headers, ...(jar.cookie ? { cookie: jar.cookie } : {}) } });
  const setCookie = response.headers.get('set-cookie') ?? undefined;
  if (setCookie) jar.cookie = setCookie.split(';')[0];
  return { setCookie, flags: flagsIn(await response.text()) };
}

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

const describe = ({ newCheckout, buttonColor, maxItems, holidayBanner, exposures }: PageFlags) =>
  `checkout ${newCheckout ? 'express' : 'classic'}, button ${buttonColor}, up to ${maxItems} items` +
  `${holidayBanner ? `, banner "${holidayBanner}"` : ''}; exposures: ${exposures.join(', ') || 'none'}`;

/** Prints what a few visitors get from the page at `url`, over real HTTP. */
export async function walkthrough(url: string): Promise<void> {
  console.log(`  The page at ${url} (plain HTTP), one client per request:`);
  const jar: { cookie?: string } = {};
  for (let i = 1; i <= 3; i++) {
    const { setCookie, flags } = await load(url, jar);
    const cookie = setCookie ? `Set-Cookie: ${setCookie}` : 'no Set-Cookie (the browser sent the cookie back)';
    console.log(`  new visitor, load ${i}: visitor ${flags.visitor}; ${cookie}`);
    console.log(`    ${describe(flags)}`);
  }
  const visitors: [string, Record<string, string>][] = [
    ['alice, NL, free plan', { 'x-country': 'NL', 'x-plan': 'free' }],
    ['bob, US, beta plan', { 'x-country': 'US', 'x-plan': 'beta' }],
    ['carol, BE, free plan', { 'x-country': 'BE', 'x-plan': 'free' }],
  ];
  for (const [who, headers] of visitors) {
    const { flags } = await load(url, { cookie: `sixpack_client_id=${who.split(',')[0]}` }, headers);
    console.log(`  ${who}: ${describe(flags)}`);
  }
  const proxied = await load(url, {}, { 'x-forwarded-proto': 'https' });
  console.log(`  a new visitor behind an HTTPS proxy (X-Forwarded-Proto: https): Set-Cookie: ${proxied.setCookie}`);
  const bot = await load(url, { cookie: 'sixpack_client_id=alice' }, { 'user-agent': GOOGLEBOT });
  console.log(`  Googlebot with alice's cookie (experiments give crawlers the control): ${describe(bot.flags)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const keep = process.argv.includes('--serve');
  const { url, server } = await serve(keep ? Number(process.env.PORT ?? 3000) : 0);
  console.log('Server-side rendering on Node with splitflap/server (examples/node/ssr.ts, payload examples/node/payload.json).');
  await walkthrough(url);
  if (keep) console.log(`Serving ${url} · open it in a browser and reload · Ctrl-C stops`);
  else server.close();
}
