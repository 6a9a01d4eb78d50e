/**
 * `npm run demo -- --once` on this checkout: the console walkthrough runs, the script tag builds,
 * and the plain and results pages (and the React page, once examples/react/build.ts exists)
 * answer; then it exits 0. Free ports, so it never clashes with a running demo.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('npm run demo -- --once builds, serves every page and exits', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/demo.ts', '--once'],
      { cwd: root, env: { ...process.env, SIXPACK_PORT: '0', SITE_PORT: '0' }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error.code as number) ?? 1) : 0, stdout, stderr }),
    );
  });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('1. Local evaluation');
  expect(stdout).toMatch(/30 visitors: /);
  expect(stdout).toMatch(/plain HTML page \(one script tag\)\s+http:\/\/127\.0\.0\.1:\d+\/plain\//);
  expect(stdout).toMatch(/results\s+http:\/\/127\.0\.0\.1:\d+\/results\//);
  expect(stdout).not.toContain('FAILED');
  expect(stdout.match(/^ {2}ok /gm)?.length).toBeGreaterThanOrEqual(2);
}, 40_000);
