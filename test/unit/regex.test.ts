/**
 * The regex guard (src/regex.ts): which payload patterns it refuses, how long an input the rest
 * may be tested on, and, on random patterns, that what it accepts stays fast on hostile inputs at
 * that length. test/unit/fuzz.test.ts runs the fuzzer's own random patterns the same way, and
 * test/unit/hardening.test.ts what evaluation does with a refusal or an over-long input.
 */
import { describe, expect, it } from 'vitest';
import { compileSafeRegex, MAX_INPUT_LENGTH } from '../../src/regex';
import { mulberry32 } from '../helpers/random';

/** Why `pattern` is refused under each flag ('' when accepted). */
const verdicts = (pattern: string) => [false, true].map((ignoreCase) => compileSafeRegex(pattern, ignoreCase).refused ?? '');
const limit = (pattern: string, ignoreCase = false) => {
  const safe = compileSafeRegex(pattern, ignoreCase);
  return safe.regex ? safe.maxInputLength : 0;
};

describe('regex guard: refused patterns', () => {
  it('refuses patterns that backtrack exponentially or in high polynomial time, under either flag', () => {
    const catastrophic = [
      // A repeated group holding a quantifier or an alternation.
      '(a+)+$', '(a|a)*b', '(a|aa)+$', '(x+x+)+y', '(.*a){20}', '(\\w+\\s?)+$', '^(a?){25}a{25}$', '(\\d+)*$',
      '([a-z]+)*$', '(a*)*b', '^(([a-z])+.)+[A-Z]([a-z])+$', '(?=a*)+a', '(?:a|b?)+c', '^(\\w+\\.?)*@',
      // Quantifiers in a row that share characters: n^3 and more.
      '\\d+\\d+\\d+x', '\\d+\\d+x', '.*a.*b', '.*?a.*?b.*?c', '^.*a.*b.*c', 'a*a*a*b', '\\w+\\s*\\w+x', '[a-z]+[a-z0-9]+\\d+!',
      // Lookaheads count as they stand: three ambiguous quantifiers.
      '(?=.*a)(?=.*b).*c',
      // Only one top-level alternative is slow: the test runs them all.
      'ok|.*a.*b',
      // Bounded repeats and alternations in a row: 2^30 ways.
      'a?'.repeat(30) + 'a'.repeat(30), '(a|a)'.repeat(30) + 'b', 'a{0,16}'.repeat(10) + 'b', '(?:a|ab)'.repeat(25) + 'c',
      // Backreferences, in any form.
      '(a)\\1', '(a+)+\\1', '(?<word>\\w+) \\k<word>',
    ];
    for (const pattern of catastrophic) expect({ pattern, verdicts: verdicts(pattern).map(Boolean) }).toEqual({ pattern, verdicts: [true, true] });
  });

  it('says why', () => {
    expect(verdicts('(a+)+$')).toEqual(['nested quantifier', 'nested quantifier']);
    expect(verdicts('\\d+\\d+x')).toEqual(['more than quadratic', 'more than quadratic']);
    expect(verdicts('(a|a)'.repeat(30) + 'b')).toEqual(['too many choices', 'too many choices']);
    expect(verdicts('(a)\\1')).toEqual(['backreference', 'backreference']);
    expect(verdicts('([')).toEqual(['invalid pattern', 'invalid pattern']);
  });

  it('a literal stops a quantifier only if it cannot match it, case folding included', () => {
    // Case-sensitive, each quantifier stops where its run ends (the rest runs once per start).
    expect(verdicts('a+Ab+Bc+C')).toEqual(['', 'more than quadratic']);
    expect(verdicts('[a-z]+-[a-z]+-\\d+x')).toEqual(['', '']);
    expect(verdicts('[a-z-]+-[a-z-]+-\\d+x')[0]).toBe('more than quadratic');
    // An optional literal stops nothing.
    expect(verdicts('\\d+\\.?\\d+\\.?\\d+x')[0]).toBe('more than quadratic');
    // `\x61` is one character: its `+` is not read as applying to `1`, which `a` cannot match.
    expect(verdicts('\\x61+a\\x61+a\\x61+a')[0]).toBe('more than quadratic');
  });

  it('a pattern too large for the engine is refused, not thrown when first tested', () => {
    expect(verdicts('a'.repeat(60_000))).toEqual(['invalid pattern', 'invalid pattern']);
    expect(() => new RegExp('a'.repeat(60_000) + 'b').test('')).toThrow(/too large/);
  });
});

describe('regex guard: everyday patterns', () => {
  it('accepts them, on inputs of at least 500 characters, answering as the plain RegExp does', () => {
    const everyday: [string, string][] = [
      ['^US$', 'US'],
      ['^(US|CA)$', 'CA'],
      ['^(?:US|CA|GB|FR|DE|IT|ES|NL|BE|AT|CH|SE|NO|DK|FI|PL|PT|IE)$', 'PT'],
      ['@example\\.com$', 'ann@example.com'],
      ['^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$', '10.0.0.1'],
      ['^/blog/', '/blog/2024/hello'],
      ['chrome|firefox', 'Mozilla/5.0 Firefox/120.0'],
      ['^[a-z0-9_-]{3,16}$', 'ann_42'],
      ['iphone|ipad', 'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)'],
      ['^v?\\d+\\.\\d+', 'v2.10.3'],
      ['Chrome/\\d+', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36'],
      ['iPhone.*Mobile|Android.*Mobile', 'Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36'],
      ['^https?://(www\\.)?example\\.com/', 'https://www.example.com/pricing?utm=1'],
      ['^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$', 'first.last+tag@mail.example.co.uk'],
      ['^\\d+\\.\\d+\\.\\d+$', '1.22.333'],
      ['\\.(jpg|png)$', 'photo.png'],
      ['.*foo.*', 'xxfooyy'],
      ['\\s*,\\s*', 'a , b'],
      ['(Mobile|Tablet)', 'Tablet'],
      ['\\bbeta\\b', 'open beta program'],
      ['(?<=v)\\d', 'v2'],
      ['-12-25$', '2024-12-25'],
      ['', 'anything'],
    ];
    for (const [pattern, input] of everyday) {
      for (const ignoreCase of [false, true]) {
        const safe = compileSafeRegex(pattern, ignoreCase);
        const answer = safe.regex ? { limit: safe.maxInputLength >= 500, test: safe.regex.test(input) } : safe.refused;
        expect({ pattern, ignoreCase, answer }).toEqual({ pattern, ignoreCase, answer: { limit: true, test: new RegExp(pattern, ignoreCase ? 'i' : '').test(input) } });
      }
    }
  });

  it(`patterns linear in the input get the longest limit, ${MAX_INPUT_LENGTH} characters; quadratic ones less`, () => {
    for (const pattern of ['^US$', 'Chrome/\\d+', '^[^@]+@[^@]+$', '^\\d+\\.\\d+\\.\\d+$']) expect({ pattern, limit: limit(pattern) }).toEqual({ pattern, limit: MAX_INPUT_LENGTH });
    // Unanchored, and `.` can take the `f`: each of n starts may scan to the end.
    expect(limit('.*foo')).toBeLessThan(MAX_INPUT_LENGTH);
    expect(limit('.*foo')).toBeGreaterThan(1000);
    // Parts that consume nothing, repeated, cost steps too.
    expect(limit('(?:\\b){100000}')).toBeLessThan(100);
  });
});

describe('regex guard: accepted random patterns stay fast on hostile inputs at their limit', () => {
  /** A hang, as the fuzzer's guard: far above real timings (at most about 0.1 s) and far below an unguarded blow-up (seconds to forever). */
  const HANG_MS = 1000;

  /** Random patterns richer in overlaps than the fuzzer's: classes and literals that share characters, literals after quantifiers, lookarounds. */
  function pattern(random: () => number, depth = 0): string {
    const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const atom = (): string => {
      const r = random();
      if (r < 0.5) return pick(['a', '.', '\\d', '[ab]', '[^b]', '\\w', '\\s', '[a1 ]', '1', ' ', '\\.', '-', 'a', 'b']);
      if (r < 0.62 && depth < 2) return '(' + pick(['', '?:', '?=', '?!']) + pattern(random, depth + 1) + ')';
      if (r < 0.68) return pick(['^', '$', '\\b', '\\B']);
      if (r < 0.72) return '(?<=' + pick(['a', 'b', '\\d', 'a+', '.*']) + ')';
      return pick(['a', 'b', 'x']);
    };
    const quantifiers = ['', '', '*', '+', '?', '{2}', '{1,3}', '{0,16}', '{2,}', '*?', '+?', '{0,20}', '{16}', '{3,16}'];
    const sequence = () => {
      let s = random() < 0.2 ? '^' : '';
      for (let i = 1 + Math.floor(random() * 7); i > 0; i--) s += atom() + pick(quantifiers);
      return s;
    };
    return Array.from({ length: random() < 0.6 ? 1 : 2 + Math.floor(random() * 3) }, sequence).join('|');
  }

  it('800 accepted patterns, each on 70 hostile inputs at its limit, answer within the hang guard (seed 5)', () => {
    const random = mulberry32(5);
    let accepted = 0;
    const slow: string[] = [];
    for (let i = 0; i < 10_000 && accepted < 800; i++) {
      const source = pattern(random);
      const safe = compileSafeRegex(source, random() < 0.3);
      if (!safe.regex) continue;
      accepted++;
      const n = safe.maxInputLength;
      expect(n).toBeLessThanOrEqual(MAX_INPUT_LENGTH);
      for (const fill of ['a', 'ab', 'aab', 'b', '1', 'aaaaaaaaab', 'a ', '1.', 'a1', ' ', 'ba', 'a-', 'abx', 'x']) {
        for (const tail of ['', '!', '\n', 'x', 'b']) {
          const text = fill.repeat(Math.ceil(n / fill.length)).slice(0, Math.max(0, n - tail.length)) + tail;
          // The fastest of up to three runs, each on a fresh copy (the first run of a pattern is
          // interpreted): a busy machine is no failure, a real blow-up stays slow.
          let ms = Infinity;
          for (let run = 0; run < 3 && ms > HANG_MS; run++) {
            const regex = new RegExp(safe.regex.source, safe.regex.flags);
            const start = performance.now();
            regex.test(text);
            ms = Math.min(ms, performance.now() - start);
          }
          if (ms > HANG_MS) slow.push(`${source} on ${n} × ${JSON.stringify(fill + tail)}: ${ms.toFixed(0)} ms`);
        }
      }
    }
    expect(accepted).toBe(800);
    expect(slow).toEqual([]);
  });
});
