/**
 * `dist/splitflap.devtools.js`: the DevTools panel for the script tag, loaded by it from its own
 * base URL only when `data-devtools` allows it and it is asked for. It puts `attachDevtools` on
 * `window.SplitflapDevtools`.
 */
import { attachDevtools } from '../plugins/devtools';
import type { ScriptFiles } from './files';

const exported: ScriptFiles['splitflap.devtools.js'][1] = { attachDevtools };
if (typeof window != 'undefined') (window as unknown as Record<string, unknown>).SplitflapDevtools = exported;
