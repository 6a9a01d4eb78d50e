/**
 * examples/next, a Next.js 16 App Router app (server component, client components, proxy.ts,
 * a streamed Suspense boundary, an edge route and a Node route handler), built with `next build`
 * (Turbopack) and served by `next start` on 127.0.0.1; the checks are in apps.ts.
 */
import { features } from '../../examples/next/lib/features';
import { bin, defineAppTests } from './apps';

const next = bin('next');

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
