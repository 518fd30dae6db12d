/**
 * Boundary helpers: decode external input with io-ts into an Either whose error lists each
 * failing field by its dotted path, read a file (or a JSON file) into an Either whose error names
 * the path, and write files atomically (temporary name, then rename).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type * as t from 'io-ts';

export class DecodeError extends Error {
  readonly _tag = 'DecodeError' as const;
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: ${problems.join('; ')}`);
    this.name = 'DecodeError';
  }
}

const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing';
  const json = JSON.stringify(u);
  return json === undefined ? String(u) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
};

/** One line per failing field: `path.to.field: expected T, found V`. */
export const formatValidationErrors = (errors: t.Errors): string[] => {
  const lines = errors.map((error) => {
    const keys = error.context
      .slice(1)
      .map((entry) => entry.key)
      .filter((key) => key !== '');
    const path = keys.length === 0 ? '(root)' : keys.join('.');
    const expected = error.context[error.context.length - 1]?.type.name ?? 'a valid value';
    return error.message ?? `${path}: expected ${expected}, found ${describe(error.value)}`;
  });
  return [...new Set(lines)];
};

export const decodeWith =
  <A, O>(codec: t.Type<A, O, unknown>, source: string) =>
  (input: unknown): E.Either<DecodeError, A> =>
    pipe(
      codec.decode(input),
      E.mapLeft((errors) => new DecodeError(source, formatValidationErrors(errors))),
    );

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The bytes of `path`, or an error saying it cannot be read. */
export const readBytes = async (path: string): Promise<E.Either<DecodeError, Uint8Array>> => {
  try {
    return E.right(new Uint8Array(await readFile(path)));
  } catch (error) {
    return E.left(new DecodeError(path, [`cannot be read: ${reason(error)}`]));
  }
};

/** The parsed JSON of `path`, or an error saying it cannot be read or is not JSON. */
export const readJson = async (path: string): Promise<E.Either<DecodeError, unknown>> => {
  const bytes = await readBytes(path);
  if (E.isLeft(bytes)) return bytes;
  try {
    return E.right(JSON.parse(new TextDecoder().decode(bytes.right)) as unknown);
  } catch (error) {
    return E.left(new DecodeError(path, [`is not JSON: ${reason(error)}`]));
  }
};

/** Writes `data` to `path` through a temporary file in the same directory and a rename. */
export const writeFileAtomic = async (path: string, data: string | Uint8Array): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
};
