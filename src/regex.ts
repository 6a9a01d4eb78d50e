/**
 * Regex safety. Targeting patterns (`$regex`, `$regexi`) come from a payload and run on the
 * visitor's thread in a backtracking engine, where some patterns take exponential time ("ReDoS":
 * `(a+)+$` against 40 characters never returns). Before a pattern is first used, a small
 * conservative analysis of its source decides:
 *
 * 1. **Refused** (never matches): a repetition of more than 16 (`*`, `+`, `{2,}`, `{0,50}`) of a
 *    subpattern that contains a quantifier or a backreference (`(a+)+`, `(a*)*`, `(.*a){20}`,
 *    `(\w+\s?)+`), or an alternation other than plain literals with distinct first characters
 *    (`(a|a)*`, `(a|ab)+`; `(jpg|png)+` is fine). These shapes backtrack exponentially or with a
 *    polynomial of unbounded degree. Repetitions of up to 16 (`(\d{1,3}\.){3}`) are costed as
 *    written out instead, like the rest of the pattern.
 * 2. **Bounded**: every other pattern gets an upper bound on its backtracking steps as a
 *    function of the input length n: a quantifier that may give back characters to a following
 *    part that can fail multiplies that part's cost by its number of choices (up to n + 1), and
 *    the unanchored search multiplies by the n + 1 start positions (by about n / length when
 *    the pattern starts with a literal, and retries cost one test when a given-back character
 *    cannot start what follows, as in `\d+\.`). Inputs longer than the
 *    largest n whose bound stays within {@link REGEX_STEP_BUDGET} never match. For everyday
 *    patterns the limit is high: `^(US|CA)$`, `foo`, `.*foo.*` (a `.*` at either end changes
 *    no test, so it is dropped) and `Chrome/\d+` allow 100,000 characters or more;
 *    `Mozilla/5\.0 \(.*\) AppleWebKit` about 900; `\d+\.\d+`, `[a-z.]+\.com` and an e-mail
 *    pattern several hundred. A pattern over budget at one character is refused.
 *
 * The bound is built to over-estimate (a pattern may be refused or bounded though an engine
 * would run it quickly), never the other way round; test/unit/fuzz.test.ts checks it on random
 * patterns and hostile inputs. Only the default and `i` flags are analysed.
 */
import { parse, type Node } from './regex-parse';

/**
 * Upper bound on the modelled steps of one `test`: a few milliseconds of V8 backtracking at
 * worst (a modelled step measured 2-4 ns, and several times that on a pattern's first run,
 * before V8 compiles it to machine code).
 */
export const REGEX_STEP_BUDGET = 1e6;

/** A compiled pattern and the longest input it may be tested on, or why it is refused. */
export type SafeRegex =
  | { regex: RegExp; maxInputLength: number; refused?: undefined }
  | { regex: null; maxInputLength: 0; refused: string };


/**
 * What trying a part (and all that follows it) costs: the steps of an attempt that fails and
 * of one that succeeds (at most one attempt succeeds), whether it can fail at all, and the
 * literal characters it must start with, when it must.
 */
interface Cost {
  fail: number;
  ok: number;
  canFail: boolean;
  first?: string[];
}

const END: Cost = { fail: 0, ok: 0, canFail: false };
/** Repeats up to this count are costed as written out, whatever they contain. */
const UNROLL_LIMIT = 16;


/** Alternatives that are plain literals with pairwise distinct first characters: at most one can proceed. */
function distinctLiterals(alternatives: Node[][], ignoreCase: boolean): boolean {
  if (alternatives.length < 2) return false;
  const firsts = new Set<string>();
  for (const alternative of alternatives) {
    if (alternative.length === 0) return false;
    for (const node of alternative) if (node.kind !== 'char' || node.literal === undefined) return false;
    const first = (alternative[0] as { literal: string }).literal;
    for (const form of ignoreCase ? [first.toLowerCase(), first.toUpperCase()] : [first]) {
      if (firsts.has(form)) return false;
      firsts.add(form);
    }
  }
  return true;
}

/** Why repeating `node` many times could backtrack catastrophically, if it could. */
function nestedProblem(node: Node, ignoreCase: boolean): string | undefined {
  if (node.kind === 'repeat') return 'a quantifier inside a repeated group';
  if (node.kind === 'backreference') return 'a backreference inside a repeated group';
  if (node.kind !== 'group') return undefined;
  if (node.alternatives.length > 1 && !distinctLiterals(node.alternatives, ignoreCase)) {
    return 'an ambiguous alternation inside a repeated group';
  }
  for (const alternative of node.alternatives) {
    for (const inner of alternative) {
      const problem = nestedProblem(inner, ignoreCase);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * The first refusal reason in `alternatives`, if any. `unrolled` is the product of the counts of
 * the written-out repeats around them, capped to keep the analysis itself cheap.
 */
function refusal(alternatives: Node[][], ignoreCase: boolean, unrolled = 1): string | undefined {
  for (const alternative of alternatives) {
    for (const node of alternative) {
      let problem: string | undefined;
      if (node.kind === 'repeat') {
        const count = node.max > 1 && node.max <= UNROLL_LIMIT ? unrolled * node.max : unrolled;
        if (node.max > UNROLL_LIMIT) problem = nestedProblem(node.node, ignoreCase);
        else if (count > UNROLL_LIMIT * UNROLL_LIMIT) problem = 'too deeply nested bounded quantifiers';
        if (!problem) problem = refusal([[node.node]], ignoreCase, count);
      } else if (node.kind === 'group') {
        problem = refusal(node.alternatives, ignoreCase, unrolled);
      }
      if (problem) return problem;
    }
  }
  return undefined;
}

/** The cost model: `nodeCost(node, next)` is the cost of `node` followed by a part costing `next`. */
class CostModel {
  /** Whether a one-character part can match a character (cached: the analysis asks repeatedly). */
  private readonly matchesChar = new Map<string, boolean>();

  constructor(
    private readonly n: number,
    private readonly ignoreCase: boolean,
  ) {}

  private cost(fail: number, ok: number, canFail: boolean, first?: string[]): Cost {
    // A part that cannot fail has no failing attempts to repeat.
    return { fail: canFail ? fail : 0, ok, canFail, first };
  }

  /** Whether `source` (one character's pattern) can match none of `chars`. */
  private disjoint(source: string, chars: string[]): boolean {
    for (const c of chars) {
      const key = source + '\u0000' + c;
      let hit = this.matchesChar.get(key);
      if (hit === undefined) {
        try {
          hit = new RegExp('^(?:' + source + ')$', this.ignoreCase ? 'i' : '').test(c);
        } catch {
          hit = true;
        }
        this.matchesChar.set(key, hit);
      }
      if (hit) return false;
    }
    return true;
  }

  sequence(nodes: Node[], next: Cost): Cost {
    let cost = next;
    for (let i = nodes.length - 1; i >= 0; i--) cost = this.node(nodes[i], cost);
    return cost;
  }

  alternatives(alternatives: Node[][], next: Cost): Cost {
    let sumFail = 0;
    let maxFail = 0;
    let maxOk = 0;
    let canFail = true;
    for (const alternative of alternatives) {
      const cost = this.sequence(alternative, next);
      sumFail += cost.fail;
      maxFail = Math.max(maxFail, cost.fail);
      maxOk = Math.max(maxOk, cost.ok);
      canFail = canFail && cost.canFail;
    }
    if (distinctLiterals(alternatives, this.ignoreCase)) {
      // One first-character test each; at most one alternative gets further.
      const k = alternatives.length;
      const firsts = alternatives.map((alternative) => (alternative[0] as { literal: string }).literal);
      return this.cost(k + maxFail, k + maxOk, true, firsts);
    }
    if (alternatives.length === 1) return this.sequence(alternatives[0], next);
    return this.cost(sumFail, sumFail + maxOk, canFail);
  }

  node(node: Node, next: Cost): Cost {
    switch (node.kind) {
      case 'char':
        return this.cost(1 + next.fail, 1 + next.ok, true, node.literal === undefined ? undefined : [node.literal]);
      case 'assertion':
        return this.cost(1 + next.fail, 1 + next.ok, true);
      case 'backreference':
        return this.cost(this.n + next.fail, this.n + next.ok, true);
      case 'group': {
        if (!node.lookaround) return this.alternatives(node.alternatives, next);
        // Lookarounds are atomic: they run to an answer once per arrival, never backtracked into.
        const inner = this.alternatives(node.alternatives, END);
        const own = Math.max(inner.fail, inner.ok);
        return this.cost(own + next.fail, own + next.ok, true);
      }
      case 'repeat':
        return this.repeat(node, next);
    }
  }

  private repeat(node: Extract<Node, { kind: 'repeat' }>, next: Cost): Cost {
    const { min, max } = node;
    if (max <= UNROLL_LIMIT) {
      // Written out: min copies, then optional ones, each tried before going without. Past
      // `min` an iteration must consume a character, so there are at most n optional ones.
      let cost = next;
      for (let i = Math.min(max - min, this.n); i > 0; i--) {
        const taken = this.node(node.node, cost);
        cost = this.cost(taken.fail + next.fail, taken.fail + Math.max(taken.ok, next.ok), taken.canFail && next.canFail);
      }
      for (let i = min; i > 0; i--) cost = this.node(node.node, cost);
      return cost;
    }
    // Longer repeats hold no quantifier or ambiguity (else refused): each iteration is
    // deterministic, and backtracking gives iterations back one at a time.
    const once = this.node(node.node, END);
    const perIteration = Math.max(once.fail, once.ok, 1);
    const iterations = Math.min(max, Math.max(min, this.n) + 1);
    const choices = Math.max(1, iterations - min + 1);
    // A given-back character can never start what follows when the two are disjoint
    // (`[^@]+@`, `\d+\.`): each retry then fails on its first test.
    const cheapRetries = node.node.kind === 'char' && next.first !== undefined && this.disjoint(node.node.source, next.first);
    const work = iterations * perIteration + (cheapRetries ? choices + next.fail : choices * next.fail);
    // Followed by what cannot fail, an attempt fails only within the first `min` iterations.
    const fail = next.canFail ? work : Math.min(min, iterations) * perIteration;
    return this.cost(fail, work + next.ok, min > 0 || next.canFail, min > 0 ? once.first : undefined);
  }

  /** Upper bound on the steps of one `test` on an input of length n. */
  total(top: Node[][]): number {
    const n = this.n;
    const anchored = top.every((alternative) => {
      const first = alternative[0];
      return first !== undefined && first.kind === 'assertion' && first.start === true;
    });
    // Every start position may fail and one may succeed; with `^` all but the first fail at once.
    if (anchored) {
      const cost = this.alternatives(top, END);
      return n + cost.fail + cost.ok;
    }
    // A literal prefix (`Mozilla/5.0 (`) of period p occurs at most n / p + 1 times: elsewhere
    // an attempt fails within the prefix.
    const sequence = top.length === 1 ? top[0] : [];
    let k = 0;
    while (k < sequence.length && literalOf(sequence[k]) !== undefined) k++;
    if (k < 2) {
      const cost = this.alternatives(top, END);
      return (n + 1) * cost.fail + cost.ok;
    }
    const prefix = sequence.slice(0, k).map((node) => literalOf(node)!);
    const rest = this.sequence(sequence.slice(k), END);
    const occurrences = Math.floor(n / period(prefix, this.ignoreCase)) + 1;
    return (n + 1) * k + occurrences * (k + rest.fail) + k + rest.ok;
  }
}

const literalOf = (node: Node): string | undefined => (node.kind === 'char' ? node.literal : undefined);

/**
 * The smallest shift under which the literal run `chars` may agree with itself. With case
 * folding, characters count as equal when either case agrees (a superset of what the engine
 * equates, so the period found is never larger than the true one).
 */
function period(chars: string[], ignoreCase: boolean): number {
  const same = (a: string, b: string) =>
    a === b || (ignoreCase && (a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase()));
  shifts: for (let shift = 1; shift < chars.length; shift++) {
    for (let i = 0; i + shift < chars.length; i++) if (!same(chars[i], chars[i + shift])) continue shifts;
    return shift;
  }
  return chars.length;
}

const isDotStar = (node: Node | undefined): boolean =>
  !!node && node.kind === 'repeat' && node.min === 0 && node.max === Infinity && node.node.kind === 'char' && node.node.source === '.';

/**
 * The pattern without `.*` at its start or end: for a test of whether it matches anywhere
 * they change nothing (`.*foo.*` matches exactly where `foo` does), but a leading one makes
 * the search quadratic. Not across a top-level `|`, where they belong to one alternative.
 */
function trimDotStars(top: Node[][], pattern: string): { top: Node[][]; source: string } {
  if (top.length !== 1) return { top, source: pattern };
  const sequence = top[0].slice();
  let from = 0;
  let to = pattern.length;
  while (isDotStar(sequence[0])) from = sequence.shift()!.to!;
  while (isDotStar(sequence[sequence.length - 1])) to = sequence.pop()!.from!;
  return { top: [sequence], source: pattern.slice(from, to) };
}

/**
 * Compile `pattern` (flags `''`, or `'i'` with `ignoreCase`) and decide how it may be used:
 * refused (invalid, or able to backtrack catastrophically), else the longest input it may be
 * tested on. Deterministic: the same pattern always gets the same answer.
 */
export function compileSafeRegex(pattern: string, ignoreCase: boolean): SafeRegex {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, ignoreCase ? 'i' : '');
  } catch {
    return { regex: null, maxInputLength: 0, refused: 'invalid pattern' };
  }
  let top: Node[][];
  let problem: string | undefined;
  try {
    top = parse(pattern);
    problem = refusal(top, ignoreCase);
  } catch {
    // Nesting deep enough to exhaust the stack.
    return { regex: null, maxInputLength: 0, refused: 'too deeply nested' };
  }
  if (problem) return { regex: null, maxInputLength: 0, refused: problem };
  const trimmed = trimDotStars(top, pattern);
  if (trimmed.source !== pattern) {
    top = trimmed.top;
    regex = new RegExp(trimmed.source, regex.flags);
  }
  const withinBudget = (n: number) => new CostModel(n, ignoreCase).total(top) <= REGEX_STEP_BUDGET;
  if (!withinBudget(1)) return { regex: null, maxInputLength: 0, refused: 'too many alternatives or optional parts' };
  // The cost grows with n: find the largest n within budget by doubling, then bisecting.
  let low = 1;
  let high = 2;
  while (high <= REGEX_STEP_BUDGET && withinBudget(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (withinBudget(mid)) low = mid;
    else high = mid;
  }
  return { regex, maxInputLength: low };
}
