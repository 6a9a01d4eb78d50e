/**
 * The parser behind regex.ts: pattern source (already valid) to a tree of subpatterns.
 */

/** A parsed subpattern. A `char` matches one character: `source` is its text, `literal` the character if plain. */
export type Node = (
  | { kind: 'char'; source: string; literal?: string }
  | { kind: 'assertion'; start?: boolean }
  | { kind: 'backreference' }
  | { kind: 'group'; alternatives: Node[][]; lookaround: boolean }
  | { kind: 'repeat'; node: Node; min: number; max: number }
) & { from?: number; to?: number }; // where a term is in the source (terms of a sequence only)

const QUANTIFIER = /^\{(\d+)(,(\d*))?\}/;
const WORD = /[A-Za-z0-9_]/;

/** A recursive-descent parser of (already valid) pattern source, in Annex B (non-unicode) syntax. */
export function parse(source: string): Node[][] {
  let at = 0;
  function alternatives(): Node[][] {
    const result: Node[][] = [[]];
    while (at < source.length && source[at] !== ')') {
      if (source[at] === '|') {
        at++;
        result.push([]);
      } else {
        const from = at;
        const node = quantified(term());
        node.from = from;
        node.to = at;
        result[result.length - 1].push(node);
      }
    }
    return result;
  }
  function term(): Node {
    const start = at;
    const c = source[at++];
    if (c === '(') {
      let lookaround = false;
      if (source[at] === '?') {
        const kind = source[at + 1];
        const behind = kind === '<' && (source[at + 2] === '=' || source[at + 2] === '!');
        lookaround = kind === '=' || kind === '!' || behind;
        if (kind === '<' && !behind) at = source.indexOf('>', at) + 1; // (?<name>
        else at += behind ? 3 : 2; // (?: (?= (?! (?<= (?<!
      }
      const group: Node = { kind: 'group', alternatives: alternatives(), lookaround };
      at++; // ')'
      return group;
    }
    if (c === '[') {
      if (source[at] === '^') at++;
      while (at < source.length && source[at] !== ']') at += source[at] === '\\' ? 2 : 1;
      at++;
      return { kind: 'char', source: source.slice(start, at) };
    }
    if (c === '\\') return escape(start);
    if (c === '^') return { kind: 'assertion', start: true };
    if (c === '$') return { kind: 'assertion' };
    if (c === '.') return { kind: 'char', source: c };
    return { kind: 'char', source: c, literal: c };
  }
  function escape(start: number): Node {
    const c = source[at++];
    if (c === 'b' || c === 'B') return { kind: 'assertion' };
    if (/[1-9]/.test(c)) {
      while (/[0-9]/.test(source[at] || '')) at++;
      return { kind: 'backreference' };
    }
    if (c === 'k' && source[at] === '<') {
      at = source.indexOf('>', at) + 1;
      return { kind: 'backreference' };
    }
    if (c === 'x' && /^[0-9a-fA-F]{2}/.test(source.slice(at, at + 2))) at += 2;
    else if (c === 'u' && /^[0-9a-fA-F]{4}/.test(source.slice(at, at + 4))) at += 4;
    else if (c === 'c' && /[A-Za-z]/.test(source[at] || '')) at++;
    const text = source.slice(start, at);
    // `\.`, `\/`: the character itself. After a backslash, letters and digits are classes or codes.
    return WORD.test(c || 'a') ? { kind: 'char', source: text } : { kind: 'char', source: text, literal: c };
  }
  function quantified(node: Node): Node {
    let min: number;
    let max: number;
    const c = source[at];
    if (c === '*' || c === '+' || c === '?') {
      at++;
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Infinity;
    } else {
      const braces = c === '{' ? QUANTIFIER.exec(source.slice(at)) : null;
      if (!braces) return node;
      at += braces[0].length;
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3]);
    }
    if (source[at] === '?') at++; // lazy: the same work in another order
    return { kind: 'repeat', node, min, max };
  }
  return alternatives();
}
