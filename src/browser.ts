/**
 * The script-tag build (`dist/splitflap.global.js`): the core API as the global `Splitflap`.
 */
export * from './index';
