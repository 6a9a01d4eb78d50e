import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5Hex, sha1Hex } from '../../src/internal/digest';

const node = (algo: 'sha1' | 'md5', s: string) => createHash(algo).update(s, 'utf8').digest('hex');

// Lengths around the padding edges: 55 bytes is the most that fits one block with its length,
// 56–63 spill the length into a second block, 64 fills a block exactly.
const inputs: Array<[string, string]> = [
  ['empty', ''],
  ['ascii', 'The quick brown fox jumps over the lazy dog'],
  ['unicode (2-, 3- and 4-byte UTF-8)', 'héllo wörld — 日本語 🎉'],
  ['a NUL byte', 'a\u0000b'],
  ...[55, 56, 63, 64, 65, 119, 120, 128].map((n): [string, string] => [`${n} bytes`, 'x'.repeat(n)]),
  ['long multi-block', 'Splitflap '.repeat(500)],
  ['long unicode across block edges', 'ü🎉'.repeat(97)],
];

describe('sha1Hex / md5Hex', () => {
  it.each(inputs)('match node:crypto for %s', (_label, s) => {
    expect(sha1Hex(s)).toBe(node('sha1', s));
    expect(md5Hex(s)).toBe(node('md5', s));
  });

  it('match the published test vectors', () => {
    expect(sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(sha1Hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('match node:crypto on many random strings', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rand() * 200);
      let s = '';
      for (let j = 0; j < len; j++) s += String.fromCodePoint(Math.floor(rand() * (rand() < 0.8 ? 128 : 0xd7ff)));
      expect(sha1Hex(s)).toBe(node('sha1', s));
      expect(md5Hex(s)).toBe(node('md5', s));
    }
  });
});

describe('Sixpack checks (shared by the example server and the client)', () => {
  const sixpackIndex = (experiment: string, clientId: string) =>
    parseInt(sha1Hex(`${experiment}.${clientId}`).slice(0, 7), 16);

  it('button-color.alice → 28bba8f = 42711695 → "blue" of [red, blue] (sixpack-protocol.md)', () => {
    expect(sha1Hex('button-color.alice').slice(0, 7)).toBe('28bba8f');
    expect(parseInt(sha1Hex('button-color.alice').slice(0, 7), 16)).toBe(42711695);
    expect(['red', 'blue'][sixpackIndex('button-color', 'alice') % 2]).toBe('blue');
  });

  it('deterministic-1 → 179d8fd = 24762621 (Sixpack test_uniform_choice comments)', () => {
    const client = '09a7407c-e371-492b-82e3-ef438d960ca3';
    expect(sha1Hex(`deterministic-1.${client}`)).toBe('179d8fdfcd3b4725a112121af37620cca633fbdc');
    expect(sixpackIndex('deterministic-1', client)).toBe(24762621);
    expect(['y', 'n'][sixpackIndex('deterministic-1', client) % 2]).toBe('n');
  });
});
