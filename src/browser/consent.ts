/**
 * `dist/splitflap.consent.js`: consent management for the script tag (`data-consent`). Like the
 * Sixpack file, its tag goes before `splitflap.global.js`; the main file loads it when missing.
 * It puts `withConsent` on `window.SplitflapConsent`.
 */
import { withConsent } from '../plugins/consent';
import type { ScriptFiles } from './files';

const exported: ScriptFiles['splitflap.consent.js'][1] = { withConsent };
if (typeof window != 'undefined') (window as unknown as Record<string, unknown>).SplitflapConsent = exported;
