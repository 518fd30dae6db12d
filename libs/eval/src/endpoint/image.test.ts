import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { solidPng } from './testing/png.js';
import { imageDataUrl, imageMimeType } from './image.js';

const png = (): Buffer => solidPng(2, 2);

describe('image data URLs', () => {
  it('encodes PNG and JPEG by signature and refuses anything else', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rlflow-img-'));
    await mkdir(join(root, 'images'));
    await writeFile(join(root, 'images', 'a.png'), png());
    await writeFile(join(root, 'images', 'b.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
    await writeFile(join(root, 'images', 'c.png'), 'not an image');
    const a = await imageDataUrl(root, 'images/a.png');
    expect(E.isRight(a) && a.right.startsWith('data:image/png;base64,iVBORw0KGgo')).toBe(true);
    expect(E.isRight(a) && Buffer.from(a.right.split(',')[1]!, 'base64').equals(png())).toBe(true);
    expect(await imageDataUrl(root, 'images/b.jpg')).toEqual(E.right('data:image/jpeg;base64,/9j/4AAQ'));
    expect(await imageDataUrl(root, 'images/c.png')).toEqual(E.left('image "images/c.png" is neither PNG nor JPEG'));
    expect(imageMimeType(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it('confines paths to the images root', async () => {
    const base = await mkdtemp(join(tmpdir(), 'rlflow-img-'));
    const root = join(base, 'root');
    await mkdir(root);
    await writeFile(join(base, 'secret.png'), png());
    await symlink(join(base, 'secret.png'), join(root, 'link.png'));
    for (const path of ['../secret.png', join(base, 'secret.png'), 'link.png', 'a/../../secret.png', '', 'x\0.png']) {
      const result = await imageDataUrl(root, path);
      expect(E.isLeft(result), path).toBe(true);
    }
    expect(await imageDataUrl(root, 'missing.png')).toEqual(E.left(`image "missing.png" not found under ${root}`));
    expect(await imageDataUrl(root, 'x.png', 10)).toMatchObject({ _tag: 'Left' });
  });
});
