/**
 * The example's payload (GrowthBook's format): one experiment decided in a loader (the
 * headline), one read by components with hooks (the buy buttons). Control first in each.
 */
import type { FeatureDefinitions } from 'splitflap';

export const features: FeatureDefinitions = {
  'bold-headline': {
    defaultValue: false,
    rules: [{ key: 'headline', variations: [false, true], meta: [{ key: 'classic' }, { key: 'bold' }], hashVersion: 2 }],
  },
  'button-color': {
    defaultValue: 'green',
    rules: [{ key: 'button-color', variations: ['green', 'orange', 'purple'], meta: [{ key: 'green' }, { key: 'orange' }, { key: 'purple' }], hashVersion: 2 }],
  },
};
