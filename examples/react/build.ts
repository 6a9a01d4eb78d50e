/**
 * Builds the React example's browser bundle with esbuild: `<outdir>/app.js` (React included,
 * minified) and `<outdir>/index.html`, a client-only page (no SSR: it renders after `ready()`).
 * The server-rendered page comes from server.tsx and loads the same app.js.
 *
 *   npx tsx examples/react/build.ts        → examples/react/dist/
 *
 * `examples/demo.ts` calls `build({ outdir, basePath, sixpackUrl })`.
 */
import { build as esbuild } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { page, pageData } from './page';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface BuildOptions {
  /** Where app.js and index.html go; default examples/react/dist. */
  outdir?: string;
  /** The URL path the folder is served under (for the script's src); default `./`. */
  basePath?: string;
  /** The Sixpack server as the browser reaches it; default `/sixpack`. */
  sixpackUrl?: string;
  /** Default true. */
  minify?: boolean;
}

/** Bundle the app and write the client-only page. Resolves with the folder and files written. */
export async function build(options: BuildOptions = {}): Promise<{ outdir: string; js: string; html: string }> {
  const { outdir = path.join(here, 'dist'), basePath = './', sixpackUrl = '/sixpack', minify = true } = options;
  mkdirSync(outdir, { recursive: true });
  const js = path.join(outdir, 'app.js');
  await esbuild({
    entryPoints: [path.join(here, 'client.tsx')],
    outfile: js,
    bundle: true,
    format: 'esm',
    minify,
    sourcemap: true,
    target: 'es2020',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const html = path.join(outdir, 'index.html');
  writeFileSync(html, page({ data: pageData({ sixpackUrl }), basePath }));
  return { outdir, js, html };
}

export default build;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { js, html } = await build();
  console.log(`built ${path.relative(process.cwd(), js)} and ${path.relative(process.cwd(), html)}`);
}
