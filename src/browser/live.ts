/**
 * `dist/splitflap.live.js`: the payload stream follower for the script tag, loaded by it from its
 * own base URL only for a payload with `data-features-stream`. It puts `followPayloadStream` on
 * `window.SplitflapLive`.
 */
import { followPayloadStream } from '../plugins/remote/live';
import type { ScriptFiles } from './files';

const exported: ScriptFiles['splitflap.live.js'][1] = { followPayloadStream };
if (typeof window != 'undefined') (window as unknown as Record<string, unknown>).SplitflapLive = exported;
