/**
 * Images as `data:` URLs for the chat-completions `image_url` part. A path comes from the data
 * file, so it is untrusted: it must resolve (symbolic links followed) inside the images root, and
 * the bytes must be a PNG or a JPEG by their signature (the extension is not trusted either).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';

export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

const startsWith = (bytes: Uint8Array, signature: readonly number[]): boolean =>
  bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);

export const imageMimeType = (bytes: Uint8Array): 'image/png' | 'image/jpeg' | undefined =>
  startsWith(bytes, PNG_SIGNATURE) ? 'image/png' : startsWith(bytes, JPEG_SIGNATURE) ? 'image/jpeg' : undefined;

/** Resolves `relative` inside `root`; a path that leaves the root (by `..`, absolute or via a link) is refused. */
export const resolveConfined = async (root: string, relative: string): Promise<E.Either<string, string>> => {
  if (relative === '' || isAbsolute(relative) || relative.includes('\0')) return E.left(`image path ${JSON.stringify(relative)} is not a relative path`);
  let rootReal: string;
  let real: string;
  try {
    rootReal = await realpath(root);
  } catch {
    return E.left(`images root ${root} does not exist`);
  }
  try {
    real = await realpath(resolve(rootReal, relative));
  } catch {
    return E.left(`image ${JSON.stringify(relative)} not found under ${root}`);
  }
  if (real !== rootReal && !real.startsWith(rootReal + sep)) return E.left(`image path ${JSON.stringify(relative)} leaves the images root`);
  return E.right(real);
};

/** The image at `relative` under `root` as a base64 `data:` URL. */
export const imageDataUrl = async (root: string, relative: string, maxBytes: number = MAX_IMAGE_BYTES): Promise<E.Either<string, string>> => {
  const path = await resolveConfined(root, relative);
  if (E.isLeft(path)) return path;
  const info = await stat(path.right);
  if (!info.isFile()) return E.left(`image ${JSON.stringify(relative)} is not a file`);
  if (info.size > maxBytes) return E.left(`image ${JSON.stringify(relative)} has ${info.size} bytes, more than ${maxBytes}`);
  const bytes = await readFile(path.right);
  const mime = imageMimeType(bytes);
  if (mime === undefined) return E.left(`image ${JSON.stringify(relative)} is neither PNG nor JPEG`);
  return E.right(`data:${mime};base64,${bytes.toString('base64')}`);
};
