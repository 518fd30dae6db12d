import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInsideRoot } from './paths.js';

const base = mkdtempSync(join(tmpdir(), 'rlflow-paths-'));
const root = join(base, 'root');
mkdirSync(join(root, 'images'), { recursive: true });
writeFileSync(join(root, 'images', 'in.png'), 'x');
writeFileSync(join(base, 'outside.png'), 'x');
symlinkSync(join(base, 'outside.png'), join(root, 'images', 'link-out.png'));
symlinkSync(join(root, 'images', 'in.png'), join(root, 'link-in.png'));
symlinkSync(base, join(root, 'dir-out'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const kind = async (ref: string): Promise<string> => {
  const r = await resolveInsideRoot(root, ref);
  return E.isLeft(r) ? r.left.kind : 'ok';
};

describe('resolveInsideRoot', () => {
  it.each([
    ['images/in.png', 'ok'],
    ['./images/../images/in.png', 'ok'],
    ['images\\in.png', 'ok'],
    ['link-in.png', 'ok'],
    ['../outside.png', 'image-outside-root'],
    ['images/../../outside.png', 'image-outside-root'],
    ['..\\outside.png', 'image-outside-root'],
    ['/etc/passwd', 'image-outside-root'],
    ['\\etc\\passwd', 'image-outside-root'],
    ['C:\\x.png', 'image-outside-root'],
    ['C:/x.png', 'image-outside-root'],
    ['images/link-out.png', 'image-outside-root'],
    ['dir-out/outside.png', 'image-outside-root'],
    ['images/in.png\u0000.txt', 'image-outside-root'],
    ['images/missing.png', 'missing-image'],
    ['', 'missing-image'],
  ])('%j → %s', async (ref, expected) => {
    expect(await kind(ref)).toBe(expected);
  });

  it('returns the real path of a file inside', async () => {
    const r = await resolveInsideRoot(root, 'link-in.png');
    expect(E.isRight(r) && r.right.endsWith(join('images', 'in.png'))).toBe(true);
  });
});
