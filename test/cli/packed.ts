/**
 * The package as a user gets it: `npm run build`, `npm pack`, the tarball installed into a
 * temporary project (offline: dependencies linked from this repo's node_modules, as
 * test/package/pack.test.ts does), and its `splitflap` bin run as a process.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { packedTarball, PACK_TIMEOUT, root, sh } from '../helpers/packed';

export { root } from '../helpers/packed';
const run = promisify(execFile);
/** Building, packing and installing take a minute alone; the suite shares two cores. */
export const SLOW = PACK_TIMEOUT;

/** Installs the package's tarball (test/helpers/packed.ts) into a new temporary project; returns the project's directory. */
export async function installPacked(): Promise<string> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'splitflap-cli-'));
  const { tarball } = await packedTarball();
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
  const links: Record<string, string> = {};
  for (const name of Object.keys(manifest.dependencies)) {
    if (!existsSync(path.join(root, 'node_modules', name))) throw new Error(`${name} is not in node_modules: run npm install`);
    links[name] = `file:${path.join(root, 'node_modules', name)}`;
  }
  const project = path.join(work, 'project');
  mkdirSync(project);
  const dependencies = { [manifest.name]: `file:${tarball}`, ...links };
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'splitflap-cli-test', private: true, type: 'module', dependencies }));
  await sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], project);
  return project;
}

/** What a run of the bin gave. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node_modules/.bin/splitflap ...args` in `project`. */
export async function splitflap(project: string, ...args: string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(path.join(project, 'node_modules/.bin/splitflap'), args, { cwd: project, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout = '', stderr = '' } = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof code !== 'number') throw error;
    return { code, stdout, stderr };
  }
}
