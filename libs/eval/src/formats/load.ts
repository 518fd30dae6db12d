/**
 * Reading benchmark files: text → JSON / JSON Lines → io-ts decode, every failure a `DecodeError`
 * naming the file (and the line, for JSON Lines) instead of an exception.
 */
import { readFile } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type * as t from 'io-ts';
import { DecodeError, decodeWith } from '@rlflow/core';

/** The UTF-8 text of a file (a leading byte-order mark removed), or a `DecodeError` saying why it could not be read. */
export const readText = async (path: string): Promise<E.Either<DecodeError, string>> => {
  try {
    const text = await readFile(path, 'utf8');
    return E.right(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return E.left(new DecodeError(path, [`cannot read the file: ${error instanceof Error ? error.message : String(error)}`]));
  }
};

export const parseJson =
  (source: string) =>
  (text: string): E.Either<DecodeError, unknown> =>
    E.tryCatch(
      () => JSON.parse(text) as unknown,
      (error) => new DecodeError(source, [`not valid JSON: ${error instanceof Error ? error.message : String(error)}`]),
    );

/** Parses and decodes a whole JSON document. */
export const decodeJsonText =
  <A, O>(codec: t.Type<A, O, unknown>, source: string) =>
  (text: string): E.Either<DecodeError, A> =>
    pipe(text, parseJson(source), E.chain(decodeWith(codec, source)));

/**
 * Parses JSON Lines: one JSON value per non-blank line, each decoded with `codec`. Problems name the
 * 1-based line number (`line 7: answer: expected string, found 3`); every failing line is reported.
 */
export const decodeJsonLinesText =
  <A, O>(codec: t.Type<A, O, unknown>, source: string) =>
  (text: string): E.Either<DecodeError, A[]> => {
    const rows: A[] = [];
    const problems: string[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      if (line.trim() === '') continue;
      const decoded = pipe(line, parseJson(source), E.chain(decodeWith(codec, source)));
      if (E.isLeft(decoded)) problems.push(...decoded.left.problems.map((problem) => `line ${i + 1}: ${problem}`));
      else rows.push(decoded.right);
    }
    return problems.length > 0 ? E.left(new DecodeError(source, problems)) : E.right(rows);
  };

export const loadJson =
  <A, O>(codec: t.Type<A, O, unknown>) =>
  async (path: string): Promise<E.Either<DecodeError, A>> =>
    pipe(await readText(path), E.chain(decodeJsonText(codec, path)));

export const loadJsonLines =
  <A, O>(codec: t.Type<A, O, unknown>) =>
  async (path: string): Promise<E.Either<DecodeError, A[]>> =>
    pipe(await readText(path), E.chain(decodeJsonLinesText(codec, path)));
