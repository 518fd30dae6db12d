/**
 * A reader for the Python literals that benchmark files store as text: what `ast.literal_eval`
 * accepts for strings, numbers, `True`/`False`/`None`, lists and tuples (Python Language
 * Reference §2.4 "Literals"). MMMU-Pro's `options` field (`"['a', \"b's\"]"`) and LogicVista's
 * CSV list columns (`"['b', 'd']"`) are such literals; 1719 of 1730 MMMU-Pro rows are not JSON.
 *
 * Strings: optional `r`/`u` prefix, single, double or triple quotes, adjacent literals concatenated,
 * and the escapes `\\ \' \" \a \b \f \n \r \t \v \ooo \xhh \uXXXX \UXXXXXXXX` and backslash-newline;
 * an unknown escape such as `\$` keeps its backslash, as Python does. `\N{...}` and bytes literals
 * are rejected. Dicts and sets are out of scope.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pyFloatRepr } from './python-number.js';

export type PyLiteral = string | number | boolean | null | readonly PyLiteral[];

class LiteralSyntaxError extends Error {
  constructor(
    readonly position: number,
    detail: string,
  ) {
    super(`at offset ${position}: ${detail}`);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

class Reader {
  i = 0;
  constructor(readonly text: string) {}

  fail(detail: string): never {
    throw new LiteralSyntaxError(this.i, detail);
  }

  skipSpace(): void {
    while (this.i < this.text.length && /[ \t\n\r\f\v]/.test(this.text[this.i]!)) this.i++;
  }

  value(): PyLiteral {
    this.skipSpace();
    const c = this.text[this.i];
    if (c === undefined) return this.fail('expected a value, found the end of the text');
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    if (c === "'" || c === '"' || (/[rRuU]/.test(c) && /['"]/.test(this.text[this.i + 1] ?? ''))) return this.strings();
    if (/[0-9.+-]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.i += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    return this.fail(`unexpected ${JSON.stringify(c)}`);
  }

  sequence(close: ']' | ')'): PyLiteral[] {
    this.i++;
    const items: PyLiteral[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.text[this.i] === close) {
        this.i++;
        // `(1)` is the number 1, not a tuple; `(1,)` is a tuple.
        if (close === ')' && items.length === 1 && !sawComma) return this.fail('a parenthesised value is not a tuple (add a comma)');
        return items;
      }
      if (items.length > 0) {
        if (this.text[this.i] !== ',') return this.fail(`expected "," or ${JSON.stringify(close)}`);
        this.i++;
        sawComma = true;
        this.skipSpace();
        if (this.text[this.i] === close) continue;
      }
      items.push(this.value());
    }
  }

  strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.i;
      this.skipSpace();
      const c = this.text[this.i];
      if (c === "'" || c === '"' || (c !== undefined && /[rRuU]/.test(c) && /['"]/.test(this.text[this.i + 1] ?? ''))) out += this.string();
      else {
        this.i = save;
        return out;
      }
    }
  }

  string(): string {
    let raw = false;
    if (/[rR]/.test(this.text[this.i]!)) {
      raw = true;
      this.i++;
    } else if (/[uU]/.test(this.text[this.i]!)) this.i++;
    const quote = this.text[this.i]!;
    const triple = this.text.startsWith(quote.repeat(3), this.i);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.i += delimiter.length;
    let out = '';
    for (;;) {
      if (this.i >= this.text.length) return this.fail('string literal is never closed');
      if (this.text.startsWith(delimiter, this.i)) {
        this.i += delimiter.length;
        return out;
      }
      const c = this.text[this.i]!;
      if (!triple && (c === '\n' || c === '\r')) return this.fail('line break inside a single-quoted string');
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const next = this.text[this.i + 1];
      if (next === undefined) return this.fail('string literal ends in a backslash');
      if (raw) {
        // A raw string keeps the backslash and the character after it, even a quote.
        out += c + next;
        this.i += 2;
        continue;
      }
      out += this.escape(next);
    }
  }

  escape(next: string): string {
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      this.i += 2;
      return simple;
    }
    if (next === '\n') {
      this.i += 2;
      return '';
    }
    if (next === '\r') {
      this.i += this.text[this.i + 2] === '\n' ? 3 : 2;
      return '';
    }
    if (/[0-7]/.test(next)) {
      const digits = /^[0-7]{1,3}/.exec(this.text.slice(this.i + 1))![0];
      this.i += 1 + digits.length;
      return String.fromCodePoint(parseInt(digits, 8));
    }
    const width = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (width > 0) {
      const hex = this.text.slice(this.i + 2, this.i + 2 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) return this.fail(`truncated \\${next} escape`);
      const codePoint = parseInt(hex, 16);
      if (codePoint > 0x10ffff) return this.fail(`\\U escape ${hex} is beyond U+10FFFF`);
      this.i += 2 + width;
      return String.fromCodePoint(codePoint);
    }
    if (next === 'N') return this.fail('\\N{...} escapes are not supported');
    this.i += 2;
    return `\\${next}`;
  }

  number(): number {
    const match = /^[+-]?\s*(?:0[xX][0-9a-fA-F_]+|(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.)/.exec(
      this.text.slice(this.i),
    );
    if (match === null) return this.fail('malformed number');
    this.i += match[0].length;
    const literal = match[0].replace(/[\s_]/g, '');
    const value = /0[xX]/.test(literal) ? (literal.startsWith('-') ? -1 : 1) * parseInt(literal.replace(/^[+-]?0[xX]/, ''), 16) : Number(literal);
    return Number.isNaN(value) ? this.fail(`malformed number ${JSON.stringify(match[0])}`) : value;
  }
}

/** The value of a Python literal, or a message naming the offset where it stops being one. */
export const parsePythonLiteral = (text: string): E.Either<string, PyLiteral> => {
  const reader = new Reader(text);
  try {
    const value = reader.value();
    reader.skipSpace();
    return reader.i === text.length ? E.right(value) : E.left(`at offset ${reader.i}: unexpected text after the value`);
  } catch (error) {
    if (error instanceof LiteralSyntaxError) return E.left(error.message);
    throw error;
  }
};

export const isStringList = (value: PyLiteral): value is readonly string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** A Python list (or tuple) of strings, e.g. MMMU-Pro `options` or a LogicVista CSV cell. */
export const parsePythonStringList = (text: string): E.Either<string, string[]> =>
  E.chain((value: PyLiteral): E.Either<string, string[]> => (isStringList(value) ? E.right([...value]) : E.left('expected a list of strings')))(
    parsePythonLiteral(text),
  );

/**
 * Python's `repr` of a string (the quote choice and escapes of CPython's `unicode_repr`): single quotes
 * unless the text holds a single quote and no double quote. Used to reproduce `str(list_of_strings)`.
 */
export const pythonStringRepr = (text: string): string => {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && !isPrintable(ch)) {
      out += cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
};

/** CPython's `str.isprintable` for one character: not in categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (except the ASCII space). */
const isPrintable = (ch: string): boolean => ch === ' ' || !/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(ch);

/** Python's `str(list_of_strings)`, e.g. `['inductive', 'spatial']`. */
export const pythonStringListRepr = (items: readonly string[]): string => `[${items.map(pythonStringRepr).join(', ')}]`;

/**
 * Python's `repr` of a literal value. A number parsed from `3` and from `3.0` is the same JavaScript
 * number; integral numbers print as ints, others with the float repr.
 */
export const pythonRepr = (value: PyLiteral): string => {
  if (typeof value === 'string') return pythonStringRepr(value);
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : pyFloatRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return 'None';
  return `[${value.map(pythonRepr).join(', ')}]`;
};

/** Python's `str` of a literal value: a string is itself, anything else its repr. */
export const pythonStr = (value: PyLiteral): string => (typeof value === 'string' ? value : pythonRepr(value));
