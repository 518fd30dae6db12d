/**
 * Golden cases from `vectors/` (docs/algorithms.md, "Golden cases"): every `*.json` in
 * `RLFLOW_VECTORS_DIR` when it is set, else the committed fixtures in `fixtures/vectors`
 * (provenance: `fixtures/PROVENANCE.md`).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { decodeWith } from '../io.js';

export const VectorCase = t.type({
  name: t.string,
  params: t.UnknownRecord,
  input: t.UnknownRecord,
  expected: t.UnknownRecord,
});
export type VectorCase = t.TypeOf<typeof VectorCase>;

export const VectorFile = t.type({ stage: t.string, seed: t.number, cases: t.array(VectorCase) });
export type VectorFile = t.TypeOf<typeof VectorFile> & { readonly file: string };

export const repoRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repoRoot: no nx.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
};

export const vectorsDir = (): string => process.env['RLFLOW_VECTORS_DIR'] ?? resolve(repoRoot(), 'fixtures', 'vectors');

/** Reads and decodes every case file; a file that does not decode is an error naming it. */
export const loadVectorFiles = (dir: string = vectorsDir()): VectorFile[] => {
  if (!existsSync(dir)) throw new Error(`golden cases: directory ${dir} does not exist (set RLFLOW_VECTORS_DIR)`);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      const decoded = decodeWith(VectorFile, file)(JSON.parse(readFileSync(file, 'utf8')));
      if (E.isLeft(decoded)) throw decoded.left;
      return { ...decoded.right, file };
    });
};
