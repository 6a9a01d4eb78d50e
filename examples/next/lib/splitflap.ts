/**
 * Splitflap for this app, created once: the proxy (proxy.ts), and one client per request for
 * server components and route handlers. Server-only: it imports next/headers.
 */
import { createSplitflap } from 'splitflap/next';
import { options } from './features';

export const splitflap = createSplitflap({
  ...options,
  // Server components that read a flag expose the visitor here (send it to your analytics).
  onExposure: (experiment, result) => console.log(`[splitflap] server exposure ${result.hashValue} ${experiment.key}=${result.key}`),
});
