/**
 * `dist/splitflap.bandits.js`: the bandits plugin for the script tag, loaded by it from its own
 * base URL only on pages with a bandit experiment. It puts `bandits` on `window.SplitflapBandits`.
 */
import { bandits } from '../plugins/bandits';
import type { ScriptFiles } from './files';

const exported: ScriptFiles['splitflap.bandits.js'][1] = { bandits };
if (typeof window != 'undefined') (window as unknown as Record<string, unknown>).SplitflapBandits = exported;
