/**
 * React bindings for Splitflap (`splitflap/react`). The provider and hooks arrive with the
 * React issue; this entry exists so the package's export map and build are complete.
 */
export { createClient } from '../src/index';
