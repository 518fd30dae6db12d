import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { parsePythonLiteral, parsePythonStringList, pythonRepr, pythonStringListRepr, pythonStringRepr } from './python-literal.js';

const value = (text: string): unknown => {
  const result = parsePythonLiteral(text);
  if (E.isLeft(result)) throw new Error(result.left);
  return result.right;
};

describe('parsePythonLiteral', () => {
  it('reads the MMMU-Pro options shapes: single quotes, double quotes around an apostrophe, escaped quotes', () => {
    expect(value(`['Zinc', "Don't know", 'a\\'b', "say \\"hi\\""]`)).toEqual(['Zinc', "Don't know", "a'b", 'say "hi"']);
    expect(value(`['Slope 1 in 7.64, W.C.B. 7°16\\'26.7"']`)).toEqual([`Slope 1 in 7.64, W.C.B. 7°16'26.7"`]);
    expect(value(`[['A', 'B', 'Not enough information']]`)).toEqual([['A', 'B', 'Not enough information']]);
  });

  it('keeps the backslash of an unknown escape (\\$ stays \\$) and decodes the known ones', () => {
    expect(value(String.raw`['\\$2,981.25', '\$3', '\n\t\x41\u00e9\U0001F600\101']`)).toEqual(['\\$2,981.25', '\\$3', '\n\tAé😀A']);
    expect(value(`'line\\\ncontinued'`)).toBe('linecontinued');
    expect(value(String.raw`r'\d+\''`)).toBe(String.raw`\d+\'`);
    expect(value(`u'x' "y"  'z'`)).toBe('xyz');
    expect(value(`'''a'b\nc'''`)).toBe("a'b\nc");
  });

  it('reads numbers, booleans, None, tuples and trailing commas', () => {
    expect(value('[1, -2.5, 1_000, 1e3, .5, True, False, None, (1,), (), [], 0x1f,]')).toEqual([1, -2.5, 1000, 1000, 0.5, true, false, null, [1], [], [], 31]);
  });

  it('rejects what literal_eval rejects, naming the offset', () => {
    for (const bad of ["['a'", "['a' 'b',", "'unterminated", "['a'] x", 'foo', '(1)', "'\\N{BULLET}'", "'a\nb'", "'\\x4'"]) {
      const result = parsePythonLiteral(bad);
      expect(E.isLeft(result), bad).toBe(true);
      if (E.isLeft(result)) expect(result.left).toMatch(/^at offset \d+: /);
    }
    expect(parsePythonStringList('[1]')).toEqual(E.left('expected a list of strings'));
  });

  it('pythonStringRepr chooses quotes and escapes as CPython does', () => {
    expect(pythonStringRepr('plain')).toBe("'plain'");
    expect(pythonStringRepr("Don't")).toBe(`"Don't"`);
    expect(pythonStringRepr(`both ' and "`)).toBe(`'both \\' and "'`);
    expect(pythonStringRepr('tab\there\nnew\\')).toBe("'tab\\there\\nnew\\\\'");
    expect(pythonStringRepr('\x00\x7f\u00a0\u200b é')).toBe("'\\x00\\x7f\\xa0\\u200b é'");
    expect(pythonStringListRepr(['inductive', 'spatial'])).toBe("['inductive', 'spatial']");
    expect(pythonRepr([1, 2.5, true, null, 'x'])).toBe("[1, 2.5, True, None, 'x']");
  });

  it('reads back what pythonRepr writes for lists of strings (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 6 }), (items) => {
        expect(parsePythonStringList(pythonStringListRepr(items))).toEqual(E.right(items));
      }),
      { numRuns: 300 },
    );
  });
});
