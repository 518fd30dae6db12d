import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { decodeWith, readBytes, readJson, writeDirAtomic, writeFileAtomic } from './io.js';

describe('decodeWith', () => {
  const Codec = t.type({ optimizer: t.type({ lr: t.number }), name: t.string });

  it('names the dotted path, the expected type and the value found', () => {
    const result = decodeWith(Codec, 'config.yaml')({ optimizer: { lr: 'fast' }, name: 3 });
    expect(E.isLeft(result)).toBe(true);
    if (E.isLeft(result)) {
      expect(result.left.problems).toEqual(['optimizer.lr: expected number, found "fast"', 'name: expected string, found 3']);
      expect(result.left.message).toContain('config.yaml');
    }
  });

  it('decodes valid input', () => {
    expect(decodeWith(Codec, 'x')({ optimizer: { lr: 1 }, name: 'a' })).toEqual(E.right({ optimizer: { lr: 1 }, name: 'a' }));
  });
});

describe('writeFileAtomic', () => {
  it('writes the whole file and leaves no temporary file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-io-'));
    const path = join(dir, 'sub', 'out.json');
    await writeFileAtomic(path, '{"a":1}');
    await writeFileAtomic(path, '{"a":2}');
    expect(await readFile(path, 'utf8')).toBe('{"a":2}');
    expect(await readdir(join(dir, 'sub'))).toEqual(['out.json']);
  });
});

describe('readBytes and readJson', () => {
  it('read a file, and name the path when it cannot be read or is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-read-'));
    await writeFile(join(dir, 'a.json'), '{"x": [1, 2]}');
    await writeFile(join(dir, 'bad.json'), '{"x": ');
    expect(await readJson(join(dir, 'a.json'))).toEqual(E.right({ x: [1, 2] }));
    const bytes = await readBytes(join(dir, 'a.json'));
    expect(E.isRight(bytes) && bytes.right.byteLength).toBe(13);
    const missing = await readJson(join(dir, 'none.json'));
    expect(E.isLeft(missing) && [missing.left.source, missing.left.problems[0]]).toEqual([join(dir, 'none.json'), expect.stringMatching(/^cannot be read: ENOENT/)]);
    const bad = await readJson(join(dir, 'bad.json'));
    expect(E.isLeft(bad) && bad.left.problems[0]).toMatch(/^is not JSON: /);
  });
});

describe('writeDirAtomic', () => {
  it('publishes a filled directory, replaces an old one whole, and leaves no temporary sibling', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rlflow-dir-'));
    const target = join(root, 'out');
    expect(await writeDirAtomic(target, async (temp) => (await writeFile(join(temp, 'a.txt'), 'one'), 1))).toBe(1);
    await writeDirAtomic(target, (temp) => writeFile(join(temp, 'b.txt'), 'two'));
    expect(await readdir(target)).toEqual(['b.txt']);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('keeps the old directory and removes the temporary one when filling fails', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rlflow-dir-'));
    const target = join(root, 'out');
    await writeDirAtomic(target, (temp) => writeFile(join(temp, 'a.txt'), 'one'));
    await expect(
      writeDirAtomic(target, async (temp) => {
        await writeFile(join(temp, 'half.txt'), 'half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await readdir(root)).toEqual(['out']);
    expect(await readFile(join(target, 'a.txt'), 'utf8')).toBe('one');
  });
});
