import type { Logger } from './types';

/** Where recovered problems go when the app gives no `log`: one `console.warn` line each. */
export const defaultLog: Logger = (message, context) => console.warn('[splitflap] ' + message, context || '');
