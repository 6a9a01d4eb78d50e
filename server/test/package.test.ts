/**
 * The package as published (`npm pack` runs `prepack`, i.e. build.mjs): dist/ holds the command
 * and the library, each a single ES module that imports only Node's own modules and ioredis (no
 * tsx, no path into this repository), and package.json points its bin and exports at them. The
 * built command, started as `npx splitflap-server` starts it, answers the public API, serves the
 * dashboard on the admin listener and exits cleanly on SIGTERM.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSixpack } from '../../test/helpers/sixpack-server';

const server = (file: string) => fileURLToPath(new URL(`../${file}`, import.meta.url));
const manifest = JSON.parse(readFileSync(server('package.json'), 'utf8')) as {
  bin: Record<string, string>;
  exports: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
};

/** The module specifiers a built file imports (static and dynamic). */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const found = new Set<string>();
  // esbuild writes each import or re-export statement at the start of a line.
  for (const match of code.matchAll(/^(?:import|export)\b[^;'"]*?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    found.add((match[1] || match[2]) as string);
  }
  return [...found];
}

describe('splitflap-server as published', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [server('build.mjs')], { stdio: 'pipe' });
  }, 120_000);

  it('bin and exports point at built files that need only Node and ioredis', () => {
    const files = [...Object.values(manifest.bin), ...Object.values(manifest.exports)].map((relative) => server(relative));
    expect(files.map((file) => file.replace(/.*\/server\//, ''))).toEqual(['dist/splitflap-server.js', 'dist/index.js']);
    for (const file of files) {
      expect(existsSync(file)).toBe(true);
      const outside = importsOf(file).filter((specifier) => !specifier.startsWith('node:') && specifier !== 'ioredis');
      expect(outside, file).toEqual([]);
      expect(readFileSync(file, 'utf8')).not.toMatch(/\btsx\b|\.\.\/\.\.\/src\//);
    }
    expect(Object.keys(manifest.dependencies)).toEqual(['ioredis']);
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'dashboard']));
  });

  it('the built command serves the public API and the dashboard, and stops on SIGTERM', async () => {
    const running = await spawnSixpack(['--admin-port', '0'], {}, { bin: server(manifest.bin['splitflap-server']!) });
    try {
      const params = new URLSearchParams({ experiment: 'built', client_id: 'visitor-1' });
      params.append('alternatives', 'red');
      params.append('alternatives', 'blue');
      const participate = await fetch(`${running.url}/participate?${params}`);
      expect(participate.status).toBe(200);
      expect(['red', 'blue']).toContain(((await participate.json()) as { alternative: { name: string } }).alternative.name);
      expect((await fetch(`${running.url}/_admin/experiments`)).status).toBe(404);
      const dashboard = await fetch(`${running.adminUrl}/`);
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toContain('<!doctype html>');
    } finally {
      expect(await running.close()).toBe(0);
    }
  }, 90_000);
});
