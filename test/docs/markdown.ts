/**
 * What the documentation tests read from Markdown: fenced code blocks (with the `partial` marker
 * that may precede one), links and the anchors GitHub gives headings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A fenced code block. `line` is the 1-based line of the opening fence. */
export interface CodeBlock {
  file: string;
  line: number;
  lang: string;
  code: string;
  /** The reason given by `<!-- partial: reason -->` on the line just before the fence. */
  partial?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;
const PARTIAL = /^\s*<!--\s*partial:\s*(.*?)\s*-->\s*$/;

/** The repository's documentation: README.md and every docs/*.md, as paths relative to `root`. */
export function documentationFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/**
 * Every fenced block of `text`, indentation of the fence removed from its lines (blocks inside
 * list items), and every `partial` marker that is not just before a fence (a stray marker is
 * a mistake: it would skip nothing).
 */
export function codeBlocks(file: string, text: string): { blocks: CodeBlock[]; strayMarkers: number[] } {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  const markerLines = new Set<number>();
  const usedMarkers = new Set<number>();
  lines.forEach((line, index) => {
    if (PARTIAL.test(line)) markerLines.add(index + 1);
  });
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]!);
    if (!open) continue;
    const [, indent, fence, lang] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      const close = lines[end]!;
      if (close.trim().startsWith(fence[0]!.repeat(fence.length)) && close.trim().replace(/[`~]/g, '') === '') break;
      body.push(close.startsWith(indent) ? close.slice(indent.length) : close.trimStart());
    }
    const before = lines[index - 1];
    const marker = before === undefined ? null : PARTIAL.exec(before);
    if (marker) usedMarkers.add(index);
    blocks.push({ file, line: index + 1, lang: lang.toLowerCase(), code: body.join('\n'), ...(marker ? { partial: marker[1] || '(no reason given)' } : {}) });
    index = end;
  }
  return { blocks, strayMarkers: [...markerLines].filter((line) => !usedMarkers.has(line)) };
}

/** Inline links and images `[text](target)` outside code, with their lines. */
export function links(text: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  let inFence = false;
  text.split('\n').forEach((line, index) => {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) return;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ line: index + 1, target: match[1]! });
  });
  return found;
}

/** The anchors GitHub generates for the headings of `text` (duplicates get `-1`, `-2`, …). */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

export const read = (root: string, file: string): string => readFileSync(path.join(root, file), 'utf8');
