/** The built command's entry (dist/splitflap-server.js, see build.mjs): the command line, run. */
import { main } from './cli';

await main(process.argv.slice(2));
