/**
 * Regex safety. Targeting patterns (`$regex`, `$regexi`) come from a payload and run on the
 * visitor's thread in a backtracking engine, where some take exponential time ("ReDoS": `(a+)+$`
 * against 40 characters never returns). One left-to-right scan of a pattern's source, before its
 * first use, refuses it (it then never matches) or gives the longest input it may be tested on.
 *
 * Refused: a backreference (no polynomial bound exists); a quantifier that may repeat a group
 * holding a quantifier or an alternation (`(a+)+`, `(a|aa)*`, `(\w+\s?)+`, `(.*a){20}`, and
 * `(\d{1,3}\.){3}` too: exponential, or a polynomial of unbounded degree); a pattern that
 * backtracks in more than quadratic time, or whose limit (below) would be under MIN_INPUT_LENGTH.
 *
 * The bound. Backtracking into a quantifier that may stop at any of n + 1 places (n: the input's
 * length) runs what follows it from each of them: a factor n + 1, one degree of a polynomial
 * (`.*a.*b` has two). A quantifier adds no degree when
 * - it ends a top-level alternative: what follows cannot fail, so the first place it stops at matches;
 * - outside groups, it is followed by a literal its atom cannot match (`\d+\.`, `[^@]+@`): every
 *   place but the last fails on that character at once, so what follows runs once. The
 *   quantifier's own O(n) is then one degree only if no degree comes after it (`tail`);
 * - it repeats at most UNROLL_LIMIT times (`a?`, `\d{1,3}`): a constant factor, counted in bits
 *   (`choices`), as are an alternation of k branches (log2 k) and the copies a quantifier always
 *   makes (`(?:\b){16}`, `a{3,}`: a path takes each step in them that many times).
 * An alternative that does not start with `^` is tried from n + 1 places: one more degree. The
 * alternatives of a group count as one sequence, which only adds. A lookaround counts as a group
 * (it backtracks less: it stops at its first match). So one test takes at most about
 * length × Σ (over top-level alternatives) 2^choices × (n + 1)^degree steps, a degree being at
 * least 1 (a step that consumes a character is taken at most n times on a path). Degrees above 2
 * are refused; the input limit keeps the sum within {@link REGEX_STEP_BUDGET}.
 *
 * Where the scan reads coarsely, it refuses or counts more: `\1`-`\9` and `\k` anywhere (`\\1`,
 * `[\1]`); a `|`, `*`, `+`, `?` or `{` anywhere in a group (escaped, in a class, in `(?:`); a `|` of
 * a nested group in every group around it; no literal stops a quantifier in a pattern with an
 * escape of several characters (`\x41`, `\u0041`, `\cJ`, `\012`), read as one character and
 * what follows. test/unit/regex.test.ts and test/unit/fuzz.test.ts time accepted random patterns
 * on hostile inputs at their limit. Only the default and `i` flags are analysed.
 */

/** The longest input any pattern is tested on; longer ones never match. */
export const MAX_INPUT_LENGTH = 4096;
/**
 * A pattern whose limit would be lower is refused: it is of little use, and the many ways it
 * may match make it slow even to compile (V8 takes 0.25 s on `a?` 18 times then `a` 18 times, with `i`).
 */
export const MIN_INPUT_LENGTH = 64;
/**
 * Upper bound on the modelled steps of one `test`. The model over-counts: on hostile inputs at
 * the limit, accepted random patterns take at most about 0.1 s, on a first (interpreted) run.
 */
export const REGEX_STEP_BUDGET = 3e7;
/** A quantifier repeating at most this many times is a constant factor (copies, places to stop at). */
const UNROLL_LIMIT = 16;

/** A compiled pattern and the longest input it may be tested on, or why it is refused. */
export type SafeRegex =
  | { regex: RegExp; maxInputLength: number; refused?: undefined }
  | { regex: null; refused: string };

/**
 * One token of source: an escape; a class; a group opening (`(`, `(?:`, `(?=`, `(?<=`,
 * `(?<name>`…); a quantifier (its min, `,` and max captured; lazy or not); any other character.
 * A valid pattern is a sequence of these.
 */
const TOKEN = /\\[^]|\[(?:\\[^]|[^\\\]])*\]|\((?:\?<?[^:=!>]*.)?|((?:[*+?]|\{(\d+)(,(\d*))?\})\??)|[^]/y;
/** A literal character (plain, or an escaped symbol) that no quantifier makes optional. */
const FOLLOWER = /(?:\\(\W)|([^\\^$.|?*+()[\]{}]))(?![*+?{])/y;

/** The longest input `source` may be tested on, or why it is refused. */
function inputLimit(source: string, flags: string): number | string {
  if (/\\[1-9k]/.test(source)) return 'backreference';
  // Escapes of several characters (`\x41`, `\u0041`, `\cJ`, `\012`) are read as one character
  // and what follows, so the atom before a quantifier is only known without them.
  const atomsKnown = !/\\[xuc0]/.test(source);
  const groups: number[] = []; // where each open group's content starts
  // The current top-level alternative's counts (see the header).
  let degrees = 0;
  let tail = false;
  let choices = 0;
  let atom = ''; // the last atom: one character's pattern, or '' for a group (or none)
  let holdsQuantifier = false; // the last group holds a quantifier or an alternation
  let anchored = source[0] === '^';
  let factors = 0; // 2^choices, summed over the alternatives
  let highestDegree = 1;
  // A `|` at the end closes the last alternative as the others.
  const text = source + '|';
  TOKEN.lastIndex = 0;
  // Ends where no token is left, which sets lastIndex back to 0.
  for (let match; (match = TOKEN.exec(text)); ) {
    const [token, quantifier, min, comma, max] = match;
    const at = (FOLLOWER.lastIndex = TOKEN.lastIndex);
    const last = atom;
    atom = '';
    if (token[0] === '(') groups.push(at);
    else if (token === ')') {
      const content = text.slice(groups.pop(), at - 1);
      choices += Math.log2(content.split('|').length);
      holdsQuantifier = /[|*+?{]/.test(content);
    } else if (token === '|' && !groups.length) {
      degrees += +tail + +!anchored;
      if (degrees > 2) return 'more than quadratic';
      factors += 2 ** choices;
      if (degrees > highestDegree) highestDegree = degrees;
      degrees = choices = 0;
      tail = false;
      anchored = text[at] === '^';
    } else if (quantifier) {
      const low = min ? +min : +(token[0] === '+');
      const high = token[0] === '?' ? 1 : max ? +max : comma || !min ? Infinity : low;
      if (!last && holdsQuantifier && high > 1) return 'nested quantifier';
      // Its copies, which a path takes the steps of as many times (past UNROLL_LIMIT, the required ones).
      choices += Math.log2((high > UNROLL_LIMIT ? low : high) || 1);
      // An exact count chooses nothing; at the end of an alternative the first place it stops matches.
      if (low === high || (!groups.length && text[at] === '|')) continue;
      // Only outside groups: a lookbehind matches backwards (what follows a quantifier there
      // precedes it), and a modifier (`(?i:`) changes the flags.
      const follower = atomsKnown && !groups.length && FOLLOWER.exec(text);
      if (follower && last && !new RegExp(last, flags).test(follower[1] || follower[2])) tail = true;
      else if (high <= UNROLL_LIMIT) choices += Math.log2(high - low + 1);
      else {
        degrees++;
        tail = false;
      }
    } else if (token !== '|') atom = token;
  }
  // Truncated: below MIN_INPUT_LENGTH (or NaN, from counts too large for floating point) refuses.
  const limit = Math.min(MAX_INPUT_LENGTH, (REGEX_STEP_BUDGET / factors / source.length) ** (1 / highestDegree) - 1) | 0;
  return limit >= MIN_INPUT_LENGTH ? limit : 'too many choices';
}

/**
 * Compile `pattern` (flags `''`, or `'i'` with `ignoreCase`) and decide how it may be used:
 * refused (invalid, or able to backtrack catastrophically), else the longest input it may be
 * tested on. Deterministic: the same pattern always gets the same answer.
 */
export function compileSafeRegex(pattern: string, ignoreCase: boolean): SafeRegex {
  const flags = ignoreCase ? 'i' : '';
  let refused = 'invalid pattern';
  try {
    const regex = new RegExp(pattern, flags);
    const verdict = inputLimit(pattern, flags);
    if (typeof verdict === 'string') refused = verdict;
    else {
      // V8 compiles on first use, where a pattern too large throws. (Not a refused one:
      // compiling some takes seconds, `a?a?…aa…` with 30 of each.)
      regex.test('');
      return { regex, maxInputLength: verdict };
    }
  } catch {
    // Invalid.
  }
  return { regex: null, refused };
}
