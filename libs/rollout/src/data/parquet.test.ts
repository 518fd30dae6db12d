import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { BROKEN_PARQUET, PARQUET_COLUMNS, RED_PNG } from './testing/fixtures.js';
import { writeParquet } from './testing/parquet-writer.js';
import { loadParquet } from './parquet.js';
import { loadDataset } from './load.js';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/dataset');
const valid = join(fixtures, 'valid.parquet');
const broken = join(fixtures, 'broken.parquet');

describe('loadParquet: valid file (Hugging Face layout)', () => {
  it('reads int64 ids, string and list columns, embedded image bytes and image paths', async () => {
    const r = await loadParquet(valid);
    if (E.isLeft(r)) throw r.left;
    const { items, issues } = r.right;
    expect(issues).toEqual([]);
    expect(items.map((i) => [i.id, i.question, i.answer, i.answerType, i.choices])).toEqual([
      ['10', 'how many?', '3', 'integer', undefined],
      ['11', 'which colour?', 'B', 'choice', ['red', 'green']],
      ['12', 'from a path', '4/5', 'number', undefined],
    ]);
    expect(items.map((i) => i.source)).toEqual([0, 1, 2].map((row) => ({ file: valid, row })));
    expect(Array.from(items[0]!.image.data.slice(0, 3))).toEqual([1, 0, 0]);
    expect(Array.from(items[1]!.image.data.slice(0, 3))).toEqual([0, 1, 0]);
    expect([items[2]!.image.width, items[2]!.image.height]).toEqual([32, 32]);
  });

  it('reads the same rows whatever the chunk size', async () => {
    const whole = await loadParquet(valid);
    const oneByOne = await loadParquet(valid, { chunkRows: 1 });
    if (E.isLeft(whole) || E.isLeft(oneByOne)) throw new Error('unexpected Left');
    expect(oneByOne.right.items.map((i) => i.id)).toEqual(whole.right.items.map((i) => i.id));
  });
});

describe('loadParquet: broken file', () => {
  it('skips and reports each malformed row with its file, row and column', async () => {
    const r = await loadParquet(broken, { onMalformed: 'skip', chunkRows: 4 });
    if (E.isLeft(r)) throw r.left;
    expect(r.right.items.map((i) => [i.id, i.source])).toEqual([
      ['0', { file: broken, row: 0 }],
      ['5', { file: broken, row: 5 }],
    ]);
    const found = Object.fromEntries(r.right.issues.map((i) => ['row' in i ? i.row : -1, { kind: i.kind, ...(i.field === undefined ? {} : { field: i.field }) }]));
    expect(found).toEqual(BROKEN_PARQUET);
    expect(r.right.records).toBe(6);
  });

  it('stops at the first malformed row by default', async () => {
    const r = await loadParquet(broken);
    expect(E.isLeft(r) && r.left.issue).toMatchObject({ file: broken, row: 1, kind: 'invalid-record', field: 'question' });
    expect(E.isLeft(r) && r.left.message).toMatch(/broken\.parquet row 1: invalid-record \(question\)/);
  });

  it('fails at once when a mapped column is missing, or the file is not Parquet', async () => {
    const noColumn = await loadParquet(valid, { mapping: { question: 'prompt' } });
    expect(E.isLeft(noColumn) && noColumn.left.message).toMatch(/column\(s\) prompt not in the file/);
    const notParquet = await loadParquet(join(fixtures, 'valid.jsonl'));
    expect(E.isLeft(notParquet) && notParquet.left.kind).toBe('bad-parquet');
    const missing = await loadDataset(join(fixtures, 'missing.parquet'));
    expect(E.isLeft(missing) && missing.left.kind).toBe('unreadable-file');
  });

  it('reports a truncated file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlflow-parquet-'));
    try {
      const bytes = writeParquet(PARQUET_COLUMNS, [{ id: 1n, question: 'q', answer: '1', choices: null, image: { bytes: RED_PNG(), path: null } }]);
      writeFileSync(join(dir, 'cut.parquet'), bytes.slice(0, bytes.length - 20));
      const r = await loadParquet(join(dir, 'cut.parquet'));
      expect(E.isLeft(r) && r.left.kind).toBe('bad-parquet');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
