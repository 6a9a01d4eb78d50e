/**
 * `splitflap types`' declaration file: a flag's type is the union of its default value's, forced
 * values' and variations' types; keys, fields and union members are sorted, so the same payload
 * in any key order gives the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { declarationFile, typeOfValue } from '../../src/cli/typegen';

const body = (text: string) => text.split('\n').slice(2).join('\n');

describe('declarationFile', () => {
  it('unions the types of the default value, forced values and every variation; nulls left out', () => {
    const features = {
      mixed: { defaultValue: 1, rules: [{ force: 'two' }, { variations: [3, true, null] }, { contextualVariations: [{ a: 1 }] }] },
      'no-default': { rules: [{ variations: ['a', 'b'] }] },
      unknown: { defaultValue: null },
    };
    expect(body(declarationFile(features))).toBe(
      ['export type Flags = {', '  mixed: boolean | number | string | { a: number };', '  "no-default": string;', '  unknown: unknown;', '};', ''].join('\n'),
    );
  });

  it('gives the same bytes for the same payload in another key order', () => {
    const a = { b: { defaultValue: { y: [1, 'x'], x: {} } }, a: { defaultValue: false, rules: [{ force: true }] } };
    const b = { a: { rules: [{ force: true }], defaultValue: false }, b: { defaultValue: { x: {}, y: [1, 'x'] } } };
    expect(declarationFile(b)).toBe(declarationFile(a));
    expect(body(declarationFile(a))).toBe(['export type Flags = {', '  a: boolean;', '  b: { x: Record<string, unknown>; y: Array<number | string> };', '};', ''].join('\n'));
  });

  it('names the type as asked, and ignores malformed definitions and rules', () => {
    const text = declarationFile({ odd: 'on', rules: { defaultValue: 'x', rules: 'none' } }, 'AppFlags');
    expect(body(text)).toBe(['export type AppFlags = {', '  odd: unknown;', '  rules: string;', '};', ''].join('\n'));
  });
});

describe('typeOfValue', () => {
  it('stops at a depth of 8 (unknown), and quotes keys that are not identifiers', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10; i++) deep = { d: deep };
    expect(typeOfValue(deep)).toBe('{ d: { d: { d: { d: { d: { d: { d: { d: unknown } } } } } } } }');
    expect(typeOfValue({ 'a-b': [], c: [[1]] })).toBe('{ "a-b": unknown[]; c: number[][] }');
  });
});
