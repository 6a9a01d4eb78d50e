/**
 * Splitflap for this app, created once: the proxy (proxy.ts), and one client per request for
 * server components and route handlers. Server-only: it imports next/headers.
 */
import { createSplitflap, declareFlags } from 'splitflap/next';
import { experiments, features, options } from './features';

export const splitflap = createSplitflap({
  ...options,
  // The proxy runs the split-URL test: a 307 to the variation's page, the exposure logged below.
  experiments,
  // Server components that read a flag expose the visitor here (send it to your analytics).
  onExposure: (experiment, result) => console.log(`[splitflap] server exposure ${result.hashValue} ${experiment.key}=${result.key}`),
});

/**
 * The flags the static /offer page depends on (proxy.ts evaluates them; app/offer/[code] reads
 * them from the code). Their values come from the payload: 2 × 3 prebuilt pages. The codes are
 * signed with SPLITFLAP_SECRET, which must be the same at build and at run time.
 */
export const offerFlags = declareFlags(features, ['bold-headline', 'button-color']);
