/**
 * The README and the guides hold together: every relative link and anchor resolves, every guide
 * is in the docs/ index, the README's entries table names every package entry and script tag
 * file, and the README stays a page a newcomer reads top-down, with the Node version package.json
 * declares.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';
import { describe, expect, it } from 'vitest';
import tsupConfig from '../../tsup.config';
import { entrySpecifiers, type PackageJson } from '../package/entries';
import { documentationFiles, headingAnchors, links, read } from './markdown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const files = documentationFiles(root);
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson & { engines?: { node?: string } };
const readme = read(root, 'README.md');

/** The README section under `## title`, up to the next `## `. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) return '';
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('documentation links', () => {
  it('resolves every relative link, and every anchor to a heading of its file', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const { line, target } of links(read(root, file))) {
        if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
        checked++;
        const [pathPart, anchor] = target.split('#') as [string, string | undefined];
        const resolved = pathPart ? path.resolve(root, path.dirname(file), decodeURIComponent(pathPart)) : path.join(root, file);
        if (!existsSync(resolved)) {
          broken.push(`${file}:${line} ${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith('.md') && !headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push(`${file}:${line} ${target}: no heading with that anchor`);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(broken).toEqual([]);
  });

  it('lists every guide in the docs/ index', () => {
    const index = read(root, 'docs/README.md');
    const guides = files.filter((file) => file.startsWith('docs/') && file !== 'docs/README.md');
    const listed = new Set(links(index).map(({ target }) => `docs/${target.split('#')[0]}`));
    expect(guides.filter((guide) => !listed.has(guide))).toEqual([]);
  });
});

describe('the README', () => {
  it('names every package entry and every script tag file in its entries table', () => {
    const table = section('Entries');
    const specifiers = entrySpecifiers(pkg);
    expect(specifiers.length).toBeGreaterThan(10);
    const scriptFiles = (tsupConfig as Options[])
      .filter((config) => Array.isArray(config.format) && config.format.includes('iife'))
      .flatMap((config) => Object.keys(config.entry as Record<string, string>).map((name) => `${name}${config.outExtension!({ format: 'iife' } as never).js}`));
    expect(scriptFiles).toContain('splitflap.global.js');
    const missing = [...specifiers.map((specifier) => `\`${specifier}\``), ...scriptFiles].filter((name) => !table.includes(name));
    expect(missing).toEqual([]);
  });

  it('stays short, with the quick starts before the reference', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
    const order = ['## Install', '### React', '### Script tag', '### Node and SSR', '## Entries', '## Guides', '## Development'].map((heading) =>
      readme.indexOf(`\n${heading}\n`),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('gives the two set-up commands, for the Node version package.json declares', () => {
    const development = section('Development');
    const commands = [...development.matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap((block) =>
      block[1]!
        .split('\n')
        .map((line) => line.replace(/\s+#.*$/, '').trim())
        .filter(Boolean),
    );
    expect(commands).toEqual(['npm install && npm run demo', 'npm test']);
    const readmeNode = /Node ≥ (\d+)/.exec(development)?.[1];
    expect(readmeNode).toBeDefined();
    expect(pkg.engines?.node).toBe(`>=${readmeNode}`);
  });
});
