/**
 * The YAML that Sixpack's `config.yml` is written in: a flat mapping of scalars (strings, quoted or
 * plain, numbers, booleans, null) and lists of scalars (`[a, b]` or `- a` lines), with comments.
 * Anything richer (nested mappings, anchors, block scalars) is refused with its line number rather
 * than guessed at. No YAML library is a dependency of this package; Sixpack's file needs no more.
 */

/** A value of Sixpack's config. */
export type YamlValue = string | number | boolean | null | YamlScalar[];
type YamlScalar = string | number | boolean | null;

/** A config file that is not the flat YAML Sixpack uses; `line` is 1-based. */
export class YamlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`config line ${line}: ${message}`);
    this.name = 'YamlError';
  }
}

/** Everything before a `#` that starts a comment (at the start, or after a space, outside quotes). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** PyYAML's reading of a scalar (YAML 1.1: `yes`/`no`/`on`/`off` are booleans). */
function scalar(raw: string, line: number): YamlScalar {
  const s = raw.trim();
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new YamlError('unterminated quoted string', line);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      throw new YamlError('unreadable double-quoted string', line);
    }
  }
  if (/^[|>&*!%@`{]/.test(s)) throw new YamlError(`unsupported YAML: ${s.slice(0, 20)}`, line);
  if (s === '' || s === '~' || /^null$/i.test(s)) return null;
  if (/^(true|yes|on)$/i.test(s)) return true;
  if (/^(false|no|off)$/i.test(s)) return false;
  if (/^[-+]?\d+$/.test(s)) return Number(s);
  if (/^[-+]?(\d+\.\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return Number(s);
  return s;
}

/** `[a, 'b', 3]`: a flow list of scalars (commas inside quotes are kept). */
function flowList(raw: string, line: number): YamlScalar[] {
  const inner = raw.trim().slice(1, -1).trim();
  if (inner === '') return [];
  const items = inner.match(/\s*'(?:[^']|'')*'\s*|\s*"(?:[^"\\]|\\.)*"\s*|[^,]+/g) ?? [];
  return items.map((item) => item.trim()).filter((item) => item !== '').map((item) => scalar(item, line));
}

/** Parses Sixpack's flat config YAML; see the module comment for what it accepts. */
export function parseSixpackYaml(text: string): Map<string, YamlValue> {
  const result = new Map<string, YamlValue>();
  let listKey: string | null = null;
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const content = stripComment(rawLine).trimEnd();
    if (content.trim() === '' || content === '---') return;
    const item = /^\s*-\s+(.*)$/.exec(content) ?? /^\s*-$/.exec(content);
    if (item) {
      const list = listKey === null ? undefined : result.get(listKey);
      if (!Array.isArray(list)) throw new YamlError('a list item outside a list', line);
      list.push(scalar(item[1] ?? '', line));
      return;
    }
    if (/^\s/.test(content)) throw new YamlError('nested mappings are not supported', line);
    const pair = /^([A-Za-z_][\w-]*)\s*:(?:\s+(.*))?$/.exec(content);
    if (!pair) throw new YamlError(`expected "key: value", got ${JSON.stringify(content.slice(0, 40))}`, line);
    const [, key, value = ''] = pair as unknown as [string, string, string?];
    if (value.trim() === '') {
      result.set(key, []);
      listKey = key; // `key:` then `- item` lines; with none, it stays empty (read as null below)
      return;
    }
    listKey = null;
    result.set(key, value.trim().startsWith('[') && value.trim().endsWith(']') ? flowList(value, line) : scalar(value, line));
  });
  return result;
}
