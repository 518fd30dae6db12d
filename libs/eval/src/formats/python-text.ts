/**
 * CPython string semantics the official scorers rely on (CPython 3.11 `Objects/unicodeobject.c`):
 * `str.isspace` / `str.strip()` / `str.split()` over the Unicode whitespace of `Py_UNICODE_ISSPACE`
 * (which, unlike JavaScript's `\s`, includes U+001C–U+001F and U+0085 and excludes U+FEFF),
 * `str.strip(chars)`, lengths in code points, and `str.isalpha` / `str.isnumeric`.
 */

/** The characters for which CPython's `str.isspace()` is true. */
export const PY_WHITESPACE: ReadonlySet<string> = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
    0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  ].map((cp) => String.fromCodePoint(cp)),
);

export const pyIsSpaceChar = (ch: string): boolean => PY_WHITESPACE.has(ch);

/** `s.strip(chars)`: removes from both ends every character in `chars`; `s.strip()` (no argument) removes Python whitespace. */
export const pyStrip = (text: string, chars?: string): string => {
  const strip = chars === undefined ? PY_WHITESPACE : new Set(Array.from(chars));
  let start = 0;
  let end = text.length;
  while (start < end && strip.has(text[start]!)) start++;
  while (end > start && strip.has(text[end - 1]!)) end--;
  return text.slice(start, end);
};

/** `s.split()` (no argument): the runs of non-whitespace. */
export const pySplitWhitespace = (text: string): string[] => {
  const out: string[] = [];
  let current = '';
  for (const ch of text) {
    if (PY_WHITESPACE.has(ch)) {
      if (current !== '') out.push(current);
      current = '';
    } else current += ch;
  }
  if (current !== '') out.push(current);
  return out;
};

/** `len(s)`: the number of code points (a JavaScript string's `length` counts UTF-16 units). */
export const pyLen = (text: string): number => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

/** `s.isalpha()`: non-empty and every character in a letter category (Lu, Ll, Lt, Lm, Lo). */
export const pyIsAlpha = (text: string): boolean => text !== '' && /^\p{L}+$/u.test(text);

/**
 * `s.isnumeric()` for text without letters: every character in category N (Nd, Nl, No). Python's
 * rule is the Numeric_Type property, which also holds for some letters (CJK ideographs such as 三,
 * category Lo); outside category L the two agree on every code point (checked against CPython 3.11,
 * Unicode 14). Callers test `pyIsAlpha` first, as the official LogicVista rule does.
 */
export const pyIsNumericNonLetter = (text: string): boolean => text !== '' && /^\p{N}+$/u.test(text);
