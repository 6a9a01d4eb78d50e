/**
 * examples/next, a Next.js 16 App Router app with Cache Components on, as `create-next-app`
 * makes it (server component, client components, proxy.ts, the layout's and a page's Suspense
 * boundaries, route handlers on splitflap/server and on splitflap/next), built with `next build`
 * (Turbopack) and served by `next start` on 127.0.0.1; the checks are in apps.ts.
 */
import { expect, it } from 'vitest';
import { features } from '../../examples/next/lib/features';
import { bin, defineAppTests } from './apps';

const next = bin('next');

it("examples/next is built with Cache Components and Partial Prefetching, as create-next-app's apps are", async () => {
  // A JavaScript module, as Next loads it (the root type check does not read JavaScript).
  const configFile: string = '../../examples/next/next.config.mjs';
  const { default: config } = (await import(configFile)) as { default: Record<string, unknown> };
  // Under them a render outside <Suspense> that reads the request stops `next build`, and Next
  // renders prefetches beside each page view (a second exposure unless splitflap/next waits for
  // the request): the checks below mean something only with both on.
  expect(config).toMatchObject({ cacheComponents: true, partialPrefetching: true });
});

defineAppTests(
  {
    name: 'examples/next',
    dir: 'examples/next',
    output: '.next',
    ignore: ['.next', 'next-env.d.ts'],
    build: [[next, 'build']], // its own type check included
    start: (port) => [next, 'start', '-H', '127.0.0.1', '-p', String(port)],
    features,
  },
  ['/api/flags', '/api/visitor'],
);
