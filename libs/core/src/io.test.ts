import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { decodeWith, writeFileAtomic } from './io.js';

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
