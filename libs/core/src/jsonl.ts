/**
 * Crash-safe line files (JSON lines, and any other one-record-per-line text such as a CSV whose
 * cells hold no line break). Writing: each record is one line, written with one `write` and
 * `fsync`'d before the append resolves, so a crash leaves every acknowledged line plus at most
 * one torn line at the end. Reading, the one rule every reader follows:
 *
 * - a record is a line that ends in `\n`; bytes after the last `\n` are a torn line (a write cut
 *   short) and are ignored;
 * - when the file ends in `\n`, a last line that does not decode is torn as well (a crash can
 *   leave the file's new length on disk without its bytes, e.g. a run of NUL bytes);
 * - any other line that does not decode is corruption, and an error naming the file and the line.
 *
 * At most one line is ever treated as torn. Before appending to a file, its torn line is cut off,
 * so a new line is never glued onto a partial one.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { formatValidationErrors } from './io.js';

export class LineFileError extends Error {
  readonly _tag = 'LineFileError' as const;
  constructor(
    readonly path: string,
    /** 1-based line number of the offending line, or null for a problem with the file as a whole. */
    readonly line: number | null,
    readonly detail: string,
  ) {
    super(line === null ? `${path}: ${detail}` : `${path}:${line}: ${detail}`);
    this.name = 'LineFileError';
  }
}

export interface LineFileContents<A> {
  readonly records: readonly A[];
  /** Byte offset just past each record's line (its `\n` included), in record order. */
  readonly lineEnds: readonly number[];
  /** Bytes up to and including the last record's line: the prefix to keep before appending. */
  readonly validBytes: number;
  /** Bytes of the torn last line that was ignored (0 when there was none). */
  readonly tornBytes: number;
}

/** How one line (without its `\n`) becomes a record, or why it cannot. `lineNumber` is 1-based. */
export type LineDecoder<A> = (line: string, lineNumber: number) => E.Either<string, A>;

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const decodeText = (bytes: Uint8Array): E.Either<string, string> => {
  try {
    return E.right(utf8.decode(bytes));
  } catch {
    return E.left('is not valid UTF-8');
  }
};

/**
 * The records of a line file's bytes under the rule above. A blank line (empty or whitespace)
 * is complete but holds no record: it is skipped.
 */
export const parseLineFile = <A>(path: string, bytes: Uint8Array, decode: LineDecoder<A>): E.Either<LineFileError, LineFileContents<A>> => {
  const records: A[] = [];
  const lineEnds: number[] = [];
  let start = 0;
  let lineNumber = 0;
  let validBytes = 0;
  while (start < bytes.length) {
    const newline = bytes.indexOf(NEWLINE, start);
    if (newline < 0) break;
    lineNumber++;
    const end = newline + 1;
    const record = E.chain((text: string) => (text.trim() === '' ? E.right(null) : E.map((a: A) => ({ a }))(decode(text, lineNumber))))(
      decodeText(bytes.subarray(start, newline)),
    );
    if (E.isLeft(record)) {
      if (end === bytes.length) break;
      return E.left(new LineFileError(path, lineNumber, record.left));
    }
    if (record.right !== null) {
      records.push(record.right.a);
      lineEnds.push(end);
    }
    validBytes = end;
    start = end;
  }
  return E.right({ records, lineEnds, validBytes, tornBytes: bytes.length - validBytes });
};

/** A JSON line decoded with `codec`: `not JSON (…)` or the codec's problems when it fails. */
export const jsonLineDecoder =
  <A>(codec: t.Decoder<unknown, A>): LineDecoder<A> =>
  (line) => {
    let json: unknown;
    try {
      json = JSON.parse(line) as unknown;
    } catch (error) {
      return E.left(`not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    return E.mapLeft((errors: t.Errors) => formatValidationErrors(errors).join('; '))(codec.decode(json));
  };

const readOptional = async (path: string): Promise<Uint8Array | null> => {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

const EMPTY: LineFileContents<never> = { records: [], lineEnds: [], validBytes: 0, tornBytes: 0 };

/** Reads a line file under the rule above; a missing file reads as empty. */
export const readLineFile = async <A>(path: string, decode: LineDecoder<A>): Promise<E.Either<LineFileError, LineFileContents<A>>> => {
  const bytes = await readOptional(path);
  return bytes === null ? E.right(EMPTY) : parseLineFile(path, bytes, decode);
};

/** Reads a JSON-lines file, each line decoded with `codec`; a missing file reads as empty. */
export const readJsonl = <A>(path: string, codec: t.Decoder<unknown, A>): Promise<E.Either<LineFileError, LineFileContents<A>>> =>
  readLineFile(path, jsonLineDecoder(codec));

/**
 * Cuts the file at `path` back to its first `keep` records (of `contents`, read from it), and
 * syncs it. Resume uses it to drop the records of steps after a checkpoint and a torn line.
 */
export const cutLineFile = async (path: string, contents: LineFileContents<unknown>, keep: number): Promise<void> => {
  if (!Number.isSafeInteger(keep) || keep < 0 || keep > contents.records.length) {
    throw new RangeError(`cutLineFile: cannot keep ${keep} of the ${contents.records.length} records of ${path}`);
  }
  const length = keep === 0 ? 0 : contents.lineEnds[keep - 1]!;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    if (length === 0 && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/** An open line file; appends are serialised, each one durable (fsync'd) when its promise resolves. */
export interface LineAppender {
  /** Appends `line` (which must hold no line break) and its `\n`. */
  readonly appendLine: (line: string) => Promise<void>;
  /** Appends `JSON.stringify(value)` as one line. */
  readonly appendJson: (value: unknown) => Promise<void>;
  /** Waits for the pending appends, then closes the file; appending afterwards is an error naming `name`. */
  readonly close: () => Promise<void>;
}

export interface AppendOptions {
  /** Names the file in errors ("<name> is closed"); default the path. */
  readonly name?: string;
  /** Bytes to keep of the existing file (its `validBytes`): anything after is cut off first. Default: keep it all. */
  readonly keepBytes?: number;
}

/** Opens (creating it and its directory if needed) `path` for appending lines. */
export const openLineAppender = async (path: string, options: AppendOptions = {}): Promise<LineAppender> => {
  await mkdir(dirname(path), { recursive: true });
  const handle: FileHandle = await open(path, 'a');
  if (options.keepBytes !== undefined) {
    const { size } = await handle.stat();
    if (size > options.keepBytes) {
      await handle.truncate(options.keepBytes);
      await handle.sync();
    }
  }
  const name = options.name ?? path;
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  const appendLine = (line: string): Promise<void> => {
    if (closed) return Promise.reject(new Error(`${name} is closed`));
    if (/[\r\n]/.test(line)) return Promise.reject(new RangeError(`${name}: a line to append holds a line break`));
    const write = queue.then(async () => {
      await handle.appendFile(`${line}\n`, 'utf8');
      await handle.datasync();
    });
    queue = write.catch(() => undefined);
    return write;
  };
  return {
    appendLine,
    appendJson: (value) => appendLine(JSON.stringify(value)),
    close: async () => {
      if (closed) return;
      closed = true;
      await queue;
      await handle.close();
    },
  };
};

/**
 * Reads a JSON-lines file (decoded with `codec`) and opens it for appending after cutting off
 * its torn line: what a resumable journal does on start.
 */
export const openJsonl = async <A>(
  path: string,
  codec: t.Decoder<unknown, A>,
  options: Omit<AppendOptions, 'keepBytes'> = {},
): Promise<E.Either<LineFileError, { readonly contents: LineFileContents<A>; readonly appender: LineAppender }>> => {
  const read = await readJsonl(path, codec);
  if (E.isLeft(read)) return read;
  const appender = await openLineAppender(path, { ...options, keepBytes: read.right.validBytes });
  return E.right({ contents: read.right, appender });
};
