/**
 * The package as npm would publish it: `npm run build` once, `npm pack`, then the tarball installed
 * into a temporary project (offline: its dependencies are linked from this repo's node_modules)
 * and every entry of package.json `exports` used the ways an app would: Node `import` and
 * `require` (one copy of each module per format, no browser global touched), TypeScript with
 * `node10`, `node16` and `bundler` resolution, esbuild for the browser, the script tag; plus
 * publint and @arethetypeswrong/cli on the tarball.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { build } from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import type { Options } from 'tsup';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../../tsup.config';
import { PACK_TIMEOUT, packedTarball, root, sh } from '../helpers/packed';
import { bundledSources, entrySpecifiers, exportSubpaths, loadedFiles, referencedFiles, type PackageJson } from './entries';

const run = promisify(execFile);
/**
 * Time limit of the steps that install or run a compiler: seconds alone, but the whole suite
 * shares two cores.
 */
const SLOW = 120_000;
/** Published besides dist/. */
const TOP_LEVEL_FILES = ['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md'];

interface ImportReport {
  touched: { name: string; stack: string[] }[];
  touchedByDependencies: { name: string; stack: string[] }[];
  errors: { format: string; specifier: string; error: string }[];
  exports: Record<'cjs' | 'esm', Record<string, string[]>>;
  files: Record<'cjs' | 'esm', Record<string, string>>;
  mismatches: { format: string; name: string; entries: string[] }[];
}

let work: string;
let tarball: string;
let packedFiles: string[];
/** The temporary project the tarball is installed in, and the package as installed there. */
let project: string;
let installed: string;
let pkg: PackageJson;
let specifiers: string[];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'splitflap-pack-'));
  // Built and packed once for every test file that installs the package (test/helpers/packed.ts).
  ({ tarball, files: packedFiles } = await packedTarball());

  // Dependencies, peers and their @types as links to this repo's copies: no registry needed.
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
  const links: Record<string, string> = {};
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    const types = `@types/${name.replace(/^@/, '').replace('/', '__')}`;
    for (const linked of [name, types]) {
      if (existsSync(path.join(root, 'node_modules', linked))) links[linked] = `file:${path.join(root, 'node_modules', linked)}`;
    }
    if (!links[name]) throw new Error(`${name} (a dependency or peer) is not in node_modules: run npm install`);
  }
  project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'splitflap-pack-test', private: true, dependencies: { [manifest.name]: `file:${tarball}`, ...links } }),
  );
  await sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], project);
  installed = path.join(project, 'node_modules', manifest.name);
  pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as PackageJson;
  specifiers = entrySpecifiers(pkg);
}, PACK_TIMEOUT + SLOW);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds dist, LICENSE, README and CHANGELOG, every file package.json points at, and nothing else', () => {
    for (const file of TOP_LEVEL_FILES) expect(packedFiles).toContain(file);
    for (const file of referencedFiles(pkg)) expect(packedFiles, `package.json points at ${file}`).toContain(path.posix.normalize(file));
    const outside = packedFiles.filter((file) => !file.startsWith('dist/') && !TOP_LEVEL_FILES.includes(file));
    expect(outside).toEqual([]);
  });

  it('passes publint (strict, suggestions included)', async () => {
    const bytes = readFileSync(tarball);
    const { messages, pkg: linted } = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((message) => `${message.type}: ${formatMessage(message, linted) ?? message.code}`)).toEqual([]);
  });

  it('passes @arethetypeswrong/cli for every entry', async () => {
    const cli = path.join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    // --no-definitely-typed: no @types lookup on the registry. attw exits 1 when it finds problems.
    const { stdout, stderr } = await run(process.execPath, [cli, tarball, '--format', 'json', '--no-definitely-typed'], { maxBuffer: 64 * 1024 * 1024 }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );
    expect(stdout, `attw printed no report: ${stderr}`).toMatch(/^\s*\{/);
    const { analysis } = JSON.parse(stdout) as { analysis: { entrypoints: Record<string, unknown>; problems: unknown[] } };
    expect(Object.keys(analysis.entrypoints).filter((subpath) => subpath !== './package.json')).toEqual(exportSubpaths(pkg));
    expect(analysis.problems).toEqual([]);
  }, SLOW);
});

describe('every entry, installed from the tarball', () => {
  let report: ImportReport;
  beforeAll(async () => {
    copyFileSync(path.join(root, 'test/package/import-entries.mjs'), path.join(project, 'import-entries.mjs'));
    report = JSON.parse(await sh(process.execPath, ['import-entries.mjs', JSON.stringify(specifiers)], project)) as ImportReport;
  }, SLOW);

  it('loads in Node with import and with require', () => {
    expect(report.errors).toEqual([]);
    for (const format of ['esm', 'cjs'] as const) {
      expect(Object.keys(report.exports[format])).toEqual(specifiers);
      for (const specifier of specifiers) expect(report.exports[format][specifier], `${format} ${specifier} exports nothing`).not.toEqual([]);
    }
    // Each format from its own build: .js for import, .cjs for require.
    for (const specifier of specifiers) {
      expect(report.files.esm[specifier]).toMatch(/\.m?js$/);
      expect(report.files.cjs[specifier]).toMatch(/\.cjs$/);
    }
  });

  it('touches no browser global when imported in Node', () => {
    expect(report.touched).toEqual([]);
  });

  it('shares one copy of each module per format: same-named exports are the same value', () => {
    expect(report.mismatches).toEqual([]);
  });

  it('bundles each source module into one built file per format (entries import shared chunks)', () => {
    for (const format of ['esm', 'cjs'] as const) {
      const files = loadedFiles(Object.values(report.files[format]));
      const twice = [...bundledSources(files)].filter(([, bundles]) => bundles.length > 1);
      expect(twice.map(([source, bundles]) => `${format}: ${path.relative(installed, source)} in ${bundles.map((file) => path.relative(installed, file)).join(' and ')}`)).toEqual([]);
    }
  });

  it('type-checks under moduleResolution node10, node16 (require and import) and bundler', () => {
    const importAll = specifiers.map((specifier, i) => `import * as entry${i} from '${specifier}';`).join('\n');
    const use = `\nexport const entries = [${specifiers.map((_, i) => `entry${i}`).join(', ')}];\n`;
    // The project has no "type": .ts is CommonJS (require conditions under node16), .mts is ESM.
    writeFileSync(path.join(project, 'entries.ts'), importAll + use);
    writeFileSync(path.join(project, 'entries.mts'), importAll + use);
    const common: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      // Our declarations are checked; TypeScript's own lib files need not be.
      skipLibCheck: false,
      skipDefaultLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      jsx: ts.JsxEmit.ReactJSX,
    };
    const ownFile = (file: string): boolean => {
      const relative = path.relative(project, file);
      return !relative.startsWith('..') && (!relative.startsWith('node_modules') || relative.startsWith(path.join('node_modules', pkg.name) + path.sep));
    };
    const setups: [string, ts.CompilerOptions, string[]][] = [
      ['node10', { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }, ['entries.ts']],
      ['node16', { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }, ['entries.ts', 'entries.mts']],
      ['bundler', { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }, ['entries.ts']],
    ];
    for (const [name, options, roots] of setups) {
      const program = ts.createProgram({ rootNames: roots.map((file) => path.join(project, file)), options: { ...common, ...options } });
      // Ours and the entries files; a peer's own declarations (Next's need esModuleInterop and
      // lib.esnext) are its business.
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .filter((diagnostic) => !diagnostic.file || ownFile(diagnostic.file.fileName))
        .map((diagnostic) => ts.formatDiagnostic(diagnostic, { getCanonicalFileName: (file) => file, getCurrentDirectory: () => project, getNewLine: () => '\n' }));
      expect(diagnostics, `moduleResolution ${name}`).toEqual([]);
      // Resolved to the package's own declarations, not to nothing or to JavaScript.
      for (const specifier of specifiers) {
        const resolved = ts.resolveModuleName(specifier, path.join(project, roots[0]!), { ...common, ...options }, ts.sys).resolvedModule;
        expect(resolved?.resolvedFileName, `${name}: ${specifier}`).toMatch(/\.d\.c?ts$/);
      }
    }
  }, SLOW);

  it('bundles for the browser with esbuild, from the ES module build', async () => {
    const result = await build({
      stdin: { contents: specifiers.map((specifier, i) => `export * as entry${i} from '${specifier}';`).join('\n'), resolveDir: project, loader: 'js' },
      absWorkingDir: project,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      // Peers are the app's to bundle.
      external: Object.keys(pkg.peerDependencies ?? {}),
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const ours = Object.keys(result.metafile.inputs).filter((input) => input.startsWith(`node_modules/${pkg.name}/`));
    for (const specifier of specifiers) expect(ours).toContain(path.relative(project, report.files.esm[specifier]!));
    expect(ours.filter((input) => input.endsWith('.cjs'))).toEqual([]);
  });

  it("keeps each entry's directives ('use client') in both formats", () => {
    /** The directive prologue, read by TypeScript's parser. */
    const directives = (file: string): string[] => {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
      const found: string[] = [];
      for (const statement of source.statements) {
        if (!ts.isExpressionStatement(statement) || !ts.isStringLiteral(statement.expression)) break;
        if (statement.expression.text !== 'use strict') found.push(statement.expression.text);
      }
      return found;
    };
    // The ESM and CommonJS builds of tsup.config.ts (type: module, so .js and .cjs).
    const extensions: Partial<Record<string, string>> = { esm: '.js', cjs: '.cjs' };
    for (const config of tsupConfig as Options[]) {
      for (const format of [config.format ?? 'cjs'].flat()) {
        const ext = extensions[format];
        if (!ext) continue;
        for (const [name, source] of Object.entries(config.entry as Record<string, string>)) {
          const built = path.join(installed, config.outDir ?? 'dist', name + ext);
          expect(directives(built), built).toEqual(directives(path.join(root, source)));
        }
      }
    }
  });

  it('script tag: the unpkg file defines the global Splitflap in a page without a build step', () => {
    const file = pkg.unpkg ?? pkg.jsdelivr;
    expect(file, 'package.json names the script-tag file (unpkg)').toBeDefined();
    const page: Record<string, unknown> = {};
    vm.runInNewContext(readFileSync(path.join(installed, file!), 'utf8'), page);
    const global = page.Splitflap as Record<string, unknown> | undefined;
    expect(typeof global?.createClient).toBe('function');
    expect(typeof global?.start).toBe('function');
  });
});
