/**
 * The Node / SSR pattern: one shared payload, one client per request, the visitor's id from
 * the Cookie header (or a new one, sent back with Set-Cookie so the browser keeps it).
 * Used by `npm run demo` (examples/demo.ts).
 */
import { readFileSync } from 'node:fs';
import { clientIdFromCookieHeader, clientIdSetCookieHeader, createClient, generateClientId, type FeatureDefinitions } from '../../src/index';

const payload = JSON.parse(readFileSync(new URL('./payload.json', import.meta.url), 'utf8')) as { features: FeatureDefinitions };

/** What a request handler does: evaluate for one visitor and say which cookie to set. */
export function handleRequest(cookieHeader: string | undefined, attributes: Record<string, unknown>) {
  const known = clientIdFromCookieHeader(cookieHeader);
  const clientId = known ?? generateClientId();
  const exposures: string[] = [];
  const client = createClient({
    clientId,
    attributes: { id: clientId, ...attributes },
    features: payload.features,
    onExposure: (experiment, result) => exposures.push(`${experiment.key}=${result.key}`),
  });
  return {
    setCookie: known ? undefined : clientIdSetCookieHeader(clientId),
    flags: {
      'new-checkout': client.isOn('new-checkout'),
      'button-color': client.getFeatureValue('button-color', 'grey'),
      'max-items': client.getFeatureValue('max-items', 10),
      'holiday-banner': client.getFeatureValue('holiday-banner', ''),
    },
    sources: Object.fromEntries(Object.keys(payload.features).map((key) => [key, client.evalFeature(key).source])),
    exposures,
  };
}

/** Print what four visitors get. */
export function runLocalExample(): void {
  const visitors: [string | undefined, Record<string, unknown>][] = [
    ['sixpack_client_id=alice', { country: 'NL', plan: 'free' }],
    ['sixpack_client_id=bob', { country: 'US', plan: 'beta' }],
    ['sixpack_client_id=carol', { country: 'BE', plan: 'free' }],
    [undefined, { country: 'DE', plan: 'free' }],
  ];

  for (const [cookie, attributes] of visitors) {
    const { setCookie, flags, sources, exposures } = handleRequest(cookie, attributes);
    console.log(`\nvisitor ${cookie ?? '(new)'} ${JSON.stringify(attributes)}`);
    for (const [key, value] of Object.entries(flags)) console.log(`  ${key.padEnd(15)} ${JSON.stringify(value).padEnd(26)} (${sources[key]})`);
    if (exposures.length) console.log(`  exposures: ${exposures.join(', ')}`);
    if (setCookie) console.log(`  Set-Cookie: ${setCookie}`);
  }
}
