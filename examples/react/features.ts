/**
 * The example's payload (GrowthBook's format) and its Sixpack experiment. Shared by the server
 * (SSR) and the browser bundle, so the hydration snapshot can leave the payload out.
 */
import type { FeatureDefinitions } from 'splitflap';

export const features: FeatureDefinitions = {
  // A flag: on for visitors in NL, and for half of everyone else (a percentage rollout).
  'new-headline': {
    defaultValue: false,
    rules: [
      { condition: { country: 'NL' }, force: true },
      { force: true, coverage: 0.5, hashAttribute: 'id' },
    ],
  },
  // A local A/B/C test: hashed on the visitor id, sticky once assigned.
  'button-color': {
    defaultValue: 'grey',
    rules: [
      {
        key: 'button-color',
        variations: ['grey', 'green', 'purple'],
        meta: [{ key: 'grey' }, { key: 'green' }, { key: 'purple' }],
        hashVersion: 2,
      },
    ],
  },
};

/** Sixpack mode: the server decides (control first). */
export const SIGNUP = { experiment: 'signup-copy', alternatives: ['join-now', 'start-free'] };
