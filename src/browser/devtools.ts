/**
 * `dist/splitflap.devtools.js`: the DevTools panel for the script tag, loaded by it from its own
 * base URL only when `data-devtools` allows it and it is asked for. It puts `devtools` on
 * `window.SplitflapDevtools`.
 */
import { devtools } from '../plugins/devtools';

if (typeof window != 'undefined') (window as unknown as Record<string, unknown>).SplitflapDevtools = { devtools };
