/**
 * Boundary helpers: decode external input with io-ts into an Either whose error lists each
 * failing field by its dotted path, read a file (or a JSON file) into an Either whose error names
 * the path, and write files and directories atomically (temporary name, then rename).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
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

const syncPath = async (path: string): Promise<void> => {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Writes the directory `path` atomically: `fill` fills a fresh temporary sibling named
 * `<tempPrefix><name>-<random>`, which is synced and renamed to `path`, replacing what was there
 * (moved aside under `<tempPrefix>replaced-<name>-<random>` first, then removed); the parent is
 * synced last. A crash at any moment leaves the old directory or the new one whole, plus at most
 * temporary siblings a caller can sweep by their prefix; on an error the temporary directory is
 * removed. Returns what `fill` returns.
 */
export const writeDirAtomic = async <A>(path: string, fill: (tempDir: string) => Promise<A>, tempPrefix = '.tmp-'): Promise<A> => {
  const parent = dirname(path);
  const name = basename(path);
  const temp = join(parent, `${tempPrefix}${name}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp, { recursive: true });
  try {
    const result = await fill(temp);
    await syncPath(temp);
    if (await exists(path)) {
      const replaced = join(parent, `${tempPrefix}replaced-${name}-${randomBytes(4).toString('hex')}`);
      await rename(path, replaced);
      await rename(temp, path);
      await rm(replaced, { recursive: true, force: true });
    } else {
      await rename(temp, path);
    }
    await syncPath(parent);
    return result;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
};
