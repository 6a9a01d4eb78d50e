export { createClient } from './src/index';
