// @vitest-environment jsdom
/**
 * React hooks follow a live payload: a component using useFeatureIsOn re-renders when the demo's
 * live payload (examples/live-payload.ts, served over real HTTP on 127.0.0.1) flips the flag and
 * its stream tells the client. (Not the whole demo site: esbuild, which it loads, refuses jsdom.)
 */
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createLivePayload } from '../../examples/live-payload';
import { SplitflapProvider, useFeatureIsOn } from '../../react/index';
import { createClient } from '../../src/index';
import { memoryPayloadCache, remote } from '../../src/plugins/remote';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  cleanup();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function serveLivePayload() {
  const live = createLivePayload('plain', { features: { 'free-shipping': { defaultValue: false } } });
  const server = http.createServer((req, res) => void (live.handle(req, res) || res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => (live.close(), server.closeAllConnections(), server.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function Shipping() {
  return <p>free shipping {useFeatureIsOn('free-shipping') ? 'on' : 'off'}</p>;
}

it('useFeatureIsOn re-renders when the streamed payload flips the flag', async () => {
  const site = await serveLivePayload();
  const client = createClient({
    clientId: 'visitor',
    cookie: false,
    stickyBucketStore: false,
    plugins: [remote({ url: site.url + '/api/features/plain', stream: true, cache: memoryPayloadCache() })],
  });
  cleanups.push(() => client.destroy());
  await client.ready();
  const before = client.isOn('free-shipping');
  render(
    <SplitflapProvider client={client}>
      <Shipping />
    </SplitflapProvider>,
  );
  expect(screen.getByText(`free shipping ${before ? 'on' : 'off'}`)).toBeTruthy();

  const flip = await fetch(site.url + '/api/features/plain/flip', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ feature: 'free-shipping', value: !before }),
  });
  expect(flip.status).toBe(200);
  await waitFor(() => expect(screen.getByText(`free shipping ${before ? 'off' : 'on'}`)).toBeTruthy(), { timeout: 5000 });
});
