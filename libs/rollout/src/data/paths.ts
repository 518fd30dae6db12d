/**
 * Image paths of a dataset are confined to its root. A reference is rejected when it is
 * empty or holds a NUL byte, is absolute (`/x`, `\x`, `C:\x`, `C:/x`), leaves the root once
 * normalised (`../x.png`, `a/../../x.png`; `\` counts as a separator too), or resolves,
 * through symbolic links, to a file outside the root's real path. A path inside the root
 * that does not exist is reported as missing.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';

export type PathProblem =
  | { readonly kind: 'image-outside-root'; readonly detail: string }
  | { readonly kind: 'missing-image'; readonly detail: string };

const outside = (detail: string): E.Either<PathProblem, never> => E.left({ kind: 'image-outside-root', detail });

const escapes = (from: string, to: string): boolean => {
  const rel = relative(from, to);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
};

/** The real path of `reference` inside `root`, or why it is refused. */
export const resolveInsideRoot = async (root: string, reference: string): Promise<E.Either<PathProblem, string>> => {
  if (reference.length === 0) return E.left({ kind: 'missing-image', detail: 'the image path is empty' });
  if (reference.includes('\u0000')) return outside(`image path ${JSON.stringify(reference)} contains a NUL byte`);
  const posix = reference.replace(/\\/g, '/');
  if (posix.startsWith('/') || /^[A-Za-z]:\//.test(posix) || isAbsolute(reference)) {
    return outside(`image path ${JSON.stringify(reference)} is absolute; paths must be relative to the dataset root`);
  }
  const rootAbs = resolve(root);
  const target = resolve(rootAbs, posix);
  if (escapes(rootAbs, target)) return outside(`image path ${JSON.stringify(reference)} leaves the dataset root ${rootAbs}`);
  let realRoot: string;
  let realTarget: string;
  try {
    realRoot = await realpath(rootAbs);
  } catch {
    return E.left({ kind: 'missing-image', detail: `dataset root ${rootAbs} does not exist` });
  }
  try {
    realTarget = await realpath(target);
  } catch {
    return E.left({ kind: 'missing-image', detail: `image ${JSON.stringify(reference)} not found under ${rootAbs}` });
  }
  if (escapes(realRoot, realTarget)) {
    return outside(`image path ${JSON.stringify(reference)} resolves through a symbolic link to ${realTarget}, outside the dataset root`);
  }
  return E.right(realTarget);
};
