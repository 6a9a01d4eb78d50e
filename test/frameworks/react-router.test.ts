/**
 * examples/react-router, a React Router 7 framework-mode app (root middleware making the
 * request's client, loaders, hooks, a deferred value streamed through <Await>, a resource route),
 * type-checked (react-router typegen, tsc) and built with `react-router build` (Vite), served by
 * `react-router-serve` on 127.0.0.1; the checks are in apps.ts.
 */
import { features } from '../../examples/react-router/app/features';
import { bin, defineAppTests } from './apps';

defineAppTests(
  {
    name: 'examples/react-router',
    dir: 'examples/react-router',
    output: 'build',
    ignore: ['build', '.react-router'],
    build: [[bin('react-router'), 'typegen'], [bin('tsc'), '-p', '.'], [bin('react-router'), 'build']],
    start: () => [bin('react-router-serve'), './build/server/index.js'],
    features,
  },
  ['/api/flags'],
);
