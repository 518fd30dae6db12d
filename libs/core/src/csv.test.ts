import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { formatCsv, parseCsv } from './csv.js';

const parse = (text: string): string[][] => {
  const result = parseCsv('test.csv')(text);
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const problemsOf = (text: string): readonly string[] => {
  const result = parseCsv('test.csv')(text);
  return E.isLeft(result) ? result.left.problems : [];
};

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted fields holding commas, doubled quotes and line breaks', () => {
    expect(parse('a,"b,c","say ""hi""","line1\nline2\r\nline3"\n1,2,3,4\n')).toEqual([
      ['a', 'b,c', 'say "hi"', 'line1\nline2\r\nline3'],
      ['1', '2', '3', '4'],
    ]);
  });

  it('accepts CRLF, LF and CR record ends, keeps empty fields, drops blank lines and tolerates a missing final line break', () => {
    expect(parse('a,b\r\n,\r\n\r\nc,\rd,e')).toEqual([['a', 'b'], ['', ''], ['c', ''], ['d', 'e']]);
    expect(parse('')).toEqual([]);
    expect(parse('"",x')).toEqual([['', 'x']]);
    expect(parse('x,')).toEqual([['x', '']]);
  });

  it('rejects a quote inside an unquoted field, text after a closing quote and an unterminated quote, naming the line', () => {
    expect(problemsOf('a,b\nc,d"e\n')[0]).toMatch(/^line 2: a double quote inside an unquoted field/);
    expect(problemsOf('"ab"c,d')[0]).toMatch(/^line 1: unexpected text after a closing quote/);
    expect(problemsOf('a\n"open,\nstill open')[0]).toMatch(/^line 3: a quoted field is never closed/);
  });

  it('reads back what formatCsv writes (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', ',', '"', '\n', '\r', ' ', 'é', '😀'), maxLength: 6 });
    const records = fc
      .integer({ min: 1, max: 4 })
      .chain((width) => fc.array(fc.array(field, { minLength: width, maxLength: width }), { maxLength: 5 }))
      .map((rows) => rows.filter((row) => !(row.length === 1 && row[0] === '')));
    fc.assert(
      fc.property(records, (rows) => {
        expect(parse(formatCsv(rows))).toEqual(rows);
        expect(parse(formatCsv(rows, { lineBreak: '\n' }))).toEqual(rows);
      }),
      { numRuns: 200 },
    );
  });
});

describe('formatCsv', () => {
  it('quotes only the fields that need it and ends every record', () => {
    expect(formatCsv([['a', 'b,c', ' x', 'q"', 'l\nb', 'c\rr', '', 'NaN']], { lineBreak: '\n' })).toBe('a,"b,c", x,"q""","l\nb","c\rr",,NaN\n');
    expect(formatCsv([['id', 'x'], ['1', '2']])).toBe('id,x\r\n1,2\r\n');
    expect(formatCsv([])).toBe('');
  });
});
