/**
 * Append-only JSON-lines files that survive being killed: every line is written with one
 * `write` and `fsync`'d before the append resolves; on reading, a last line without its newline
 * (a write cut short) is ignored and cut off before the next append, so a resumed run neither
 * trips over it nor glues a new line onto it. Any other line that does not decode is an error
 * naming its line number: that is corruption, not an interrupted write.
 */
import { open, readFile, truncate, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { decodeWith } from '@rlflow/core';

export interface JsonlContents<A> {
  readonly records: readonly A[];
  /** Bytes up to and including the last complete line. */
  readonly validBytes: number;
  /** Bytes of a trailing partial line (0 when the file ends with a newline). */
  readonly tornBytes: number;
}

export class JsonlError extends Error {
  override readonly name = 'JsonlError';
  constructor(
    readonly path: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${path}:${line}: ${detail}`);
  }
}

const NEWLINE = 0x0a;

/** Reads and decodes every complete line; a missing file reads as empty. */
export const readJsonl = async <A>(path: string, codec: t.Type<A, unknown, unknown>): Promise<E.Either<JsonlError, JsonlContents<A>>> => {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return E.right({ records: [], validBytes: 0, tornBytes: 0 });
    throw error;
  }
  const validBytes = bytes.lastIndexOf(NEWLINE) + 1;
  const lines = bytes.subarray(0, validBytes).toString('utf8').split('\n');
  lines.pop();
  const records: A[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line) as unknown;
    } catch (error) {
      return E.left(new JsonlError(path, i + 1, `not JSON (${error instanceof Error ? error.message : String(error)})`));
    }
    const decoded = decodeWith(codec, `${path}:${i + 1}`)(json);
    if (E.isLeft(decoded)) return E.left(new JsonlError(path, i + 1, decoded.left.problems.join('; ')));
    records.push(decoded.right);
  }
  return E.right({ records, validBytes, tornBytes: bytes.length - validBytes });
};

/** An open JSON-lines file; appends are serialised, each one durable when its promise resolves. */
export class AppendLog {
  private queue: Promise<void> = Promise.resolve();
  private constructor(
    private readonly handle: FileHandle,
    private readonly scrub: (line: string) => string,
  ) {}

  /** Opens `path` for appending after cutting off `tornBytes` of partial last line. */
  static async open(path: string, validBytes: number, tornBytes: number, scrub: (line: string) => string = (s) => s): Promise<AppendLog> {
    await mkdir(dirname(path), { recursive: true });
    if (tornBytes > 0) await truncate(path, validBytes);
    return new AppendLog(await open(path, 'a'), scrub);
  }

  append(value: unknown): Promise<void> {
    const line = `${this.scrub(JSON.stringify(value))}\n`;
    const write = this.queue.then(async () => {
      await this.handle.appendFile(line);
      await this.handle.datasync();
    });
    this.queue = write.catch(() => undefined);
    return write;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
  }
}
