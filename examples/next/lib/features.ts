/**
 * The example's payload (GrowthBook's format): one experiment read by a server component, one
 * read by client components. Control first in each.
 */
import type { FeatureDefinitions } from 'splitflap';

export const features: FeatureDefinitions = {
  // Read in a server component (app/page.tsx): the headline.
  'bold-headline': {
    defaultValue: false,
    rules: [{ key: 'headline', variations: [false, true], meta: [{ key: 'classic' }, { key: 'bold' }], hashVersion: 2 }],
  },
  // Read in client components (app/buy-button.tsx), server-rendered and hydrated.
  'button-color': {
    defaultValue: 'green',
    rules: [{ key: 'button-color', variations: ['green', 'orange', 'purple'], meta: [{ key: 'green' }, { key: 'orange' }, { key: 'purple' }], hashVersion: 2 }],
  },
};

/**
 * A split-URL test (the payload's `experiments`, docs/split-url.md): half the visitors of
 * /landing are sent to /landing-b by the proxy, with a 307, before any HTML.
 */
export const experiments = [
  {
    key: 'landing-redesign',
    urlPatterns: [{ type: 'simple', include: true, pattern: '/landing' }],
    weights: [0.5, 0.5],
    variations: [{}, { urlRedirect: '/landing-b' }],
    persistQueryString: true,
  },
];

/** What every client of this app is created with, in Node and edge routes alike. */
export const options = {
  features,
  // End-to-end runs see real variants only where this is set (never in production): see docs/react.md, "End-to-end tests".
  e2eToken: process.env.SPLITFLAP_E2E_TOKEN || undefined,
};
