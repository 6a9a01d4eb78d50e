/**
 * `dist/splitflap.sixpack.js`: Sixpack mode for the script tag. A page with `data-sixpack-url`
 * puts this file's tag before `splitflap.global.js`, so both download at once and the client
 * starts without waiting; without it, the main file loads it (and says so). It puts `sixpack` on
 * `window.SplitflapSixpack`: a page without Sixpack mode never parses it.
 */
import { sixpack } from '../plugins/sixpack';
import type { ScriptFiles } from './files';

const exported: ScriptFiles['splitflap.sixpack.js'][1] = { sixpack };
if (typeof window != 'undefined') (window as unknown as Record<string, unknown>).SplitflapSixpack = exported;
