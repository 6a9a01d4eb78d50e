/**
 * `dist/splitflap.live.js`: the payload stream follower for the script tag, loaded by it from its
 * own base URL only for a payload with `data-features-stream`. It puts `followPayloadStream` on
 * `window.SplitflapLive`.
 */
import { followPayloadStream } from '../plugins/remote/live';

if (typeof window != 'undefined') (window as unknown as Record<string, unknown>).SplitflapLive = { followPayloadStream };
