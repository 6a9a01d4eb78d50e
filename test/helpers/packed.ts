/**
 * The package's tarball, built and packed once for every test file that installs it
 * (test/package/pack.test.ts, test/cli/cli.test.ts). Two files building at once would race: the
 * build empties dist/ before it writes, so one file could pack the other's half-written build.
 *
 * The tarball is kept in .cache/packed/<digest of what goes into it>/: the first caller takes a
 * lock (a directory: `mkdir` is atomic across processes), builds, packs and writes `packed.json`;
 * the others wait for that file. A later run with the same sources reuses it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Building and packing take a minute alone; the suite shares two cores. */
export const PACK_TIMEOUT = 300_000;

/** What goes into the package: the sources, the build's configuration and the files npm adds. */
const INPUTS = ['src', 'react', 'package.json', 'tsup.config.ts', 'entries.json', 'tsconfig.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];

function filesUnder(entry: string): string[] {
  const full = path.join(root, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full).sort().flatMap((name) => filesUnder(path.join(entry, name)));
}

/** A digest of every input's path and contents. */
function inputsDigest(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(filesUnder)) hash.update(file + '\0').update(readFileSync(path.join(root, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

export async function sh(command: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: PACK_TIMEOUT })).stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
  }
}

/** What {@link packedTarball} gives. */
export interface Packed {
  /** The tarball's absolute path. */
  tarball: string;
  /** The files in it, as `npm pack --json` lists them. */
  files: string[];
}

async function build(dir: string): Promise<Packed> {
  await sh('npm', ['run', 'build'], root);
  // The build just ran; --ignore-scripts skips prepack's second one.
  const [packed] = JSON.parse(await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root)) as { filename: string; files: { path: string }[] }[];
  const result: Packed = { tarball: path.join(dir, packed!.filename), files: packed!.files.map((file) => file.path) };
  writeFileSync(path.join(dir, 'packed.json'), JSON.stringify(result));
  return result;
}

/** The tarball of the package as the sources are now: built once, whoever asks first. */
export async function packedTarball(): Promise<Packed> {
  const dir = path.join(root, '.cache', 'packed', inputsDigest());
  const done = path.join(dir, 'packed.json');
  const lock = path.join(dir, 'lock');
  mkdirSync(dir, { recursive: true });
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as Packed;
  try {
    mkdirSync(lock);
  } catch {
    // Another test file is building: wait for it, polling, with a generous deadline.
    const deadline = Date.now() + PACK_TIMEOUT;
    while (!existsSync(done)) {
      if (!existsSync(lock)) return packedTarball(); // it failed and let go: try ourselves
      if (Date.now() > deadline) throw new Error(`waited ${PACK_TIMEOUT / 1000} s for another test file to pack the package (${lock}); remove it if no test is running`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return JSON.parse(readFileSync(done, 'utf8')) as Packed;
  }
  try {
    return await build(dir);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
