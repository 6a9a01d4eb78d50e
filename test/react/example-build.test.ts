/**
 * examples/react/build.ts: esbuild bundles app.js (React included) and writes the client-only
 * index.html. (Node environment: esbuild does not run under jsdom.)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../examples/react/build';

describe('examples/react build', () => {
  it('bundles app.js and writes index.html', async () => {
    const outdir = path.resolve('.cache/test-react-example');
    const result = await build({ outdir, basePath: '/react/', sixpackUrl: '/sixpack' });
    expect(result.outdir).toBe(outdir);
    const js = readFileSync(path.join(outdir, 'app.js'), 'utf8');
    expect(js).toContain('splitflap-data');
    expect(existsSync(path.join(outdir, 'app.js.map'))).toBe(true);
    const html = readFileSync(path.join(outdir, 'index.html'), 'utf8');
    expect(html).toContain('<script type="module" src="/react/app.js">');
    expect(html).toContain('<script type="application/json" id="splitflap-data">{"sixpackUrl":"/sixpack"}</script>');
  }, 60_000);
});
