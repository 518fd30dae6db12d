import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { BROKEN_JSONL } from './testing/fixtures.js';
import { loadJsonl } from './jsonl.js';
import { loadDataset } from './load.js';
import { formatIssue } from './issues.js';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/dataset');
const valid = join(fixtures, 'valid.jsonl');
const broken = join(fixtures, 'broken.jsonl');

describe('loadJsonl: valid file', () => {
  it('loads every record, decoding, resizing and typing it', async () => {
    const r = await loadJsonl(valid);
    if (E.isLeft(r)) throw r.left;
    const { items, issues, records } = r.right;
    expect(issues).toEqual([]);
    expect(records).toBe(5);
    expect(items.map((i) => i.id)).toEqual(['q1', 'q2', '7', 'valid.jsonl:4', 'q5']);
    expect(items.map((i) => [i.answerType, i.answer])).toEqual([
      ['integer', '3'],
      ['choice', 'B'],
      ['text', 'A photo'],
      ['number', '0.75'],
      ['choice', 'B'],
    ]);
    expect(items[1]!.choices).toEqual(['red', 'green']);
    for (const item of items) {
      expect([item.image.width, item.image.height]).toEqual([32, 32]);
      expect(item.image.data.length).toBe(32 * 32 * 3);
    }
    // q1: an all-red PNG; q5: half black, half transparent over white.
    expect(Array.from(items[0]!.image.data.slice(0, 3))).toEqual([1, 0, 0]);
    expect(Array.from(items[4]!.image.data.slice(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(items[4]!.image.data.slice(31 * 3, 32 * 3))).toEqual([1, 1, 1]);
    expect(items[3]!.source).toEqual({ file: valid, line: 4 });
  });

  it('honours the field mapping, a fixed answer type and the image size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlflow-jsonl-'));
    try {
      cpSync(join(fixtures, 'images'), join(dir, 'pics'), { recursive: true });
      writeFileSync(join(dir, 'd.jsonl'), `${JSON.stringify({ uid: 'u1', prompt: 'colour?', label: 'Red', picture: 'pics/red.png' })}\n`);
      const r = await loadJsonl(join(dir, 'd.jsonl'), {
        mapping: { id: 'uid', question: 'prompt', answer: 'label', image: 'picture' },
        answerType: 'text',
        imageWidth: 8,
        imageHeight: 4,
        resize: 'bilinear',
      });
      if (E.isLeft(r)) throw r.left;
      expect(r.right.items[0]).toMatchObject({ id: 'u1', question: 'colour?', answer: 'Red', answerType: 'text' });
      expect([r.right.items[0]!.image.width, r.right.items[0]!.image.height]).toEqual([8, 4]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadJsonl: broken file', () => {
  it('skips and reports each malformed record with its file, line and column', async () => {
    const r = await loadJsonl(broken, { onMalformed: 'skip' });
    if (E.isLeft(r)) throw r.left;
    const { items, issues, records } = r.right;
    expect(items.map((i) => [i.id, i.source])).toEqual([
      ['b1', { file: broken, line: 1 }],
      ['b10', { file: broken, line: 10 }],
    ]);
    expect(records).toBe(items.length + issues.length);
    const found = Object.fromEntries(issues.map((i) => ['line' in i ? i.line : -1, { kind: i.kind, ...(i.field === undefined ? {} : { field: i.field }) }]));
    expect(found).toEqual(BROKEN_JSONL);
    for (const issue of issues) expect(issue.file).toBe(broken);
    const byLine = (line: number): string => formatIssue(issues.find((i) => 'line' in i && i.line === line)!);
    expect(byLine(3)).toMatch(/broken\.jsonl:3: invalid-record \(question\): question: expected text, found nothing/);
    expect(byLine(6)).toMatch(/leaves the dataset root/);
    expect(byLine(8)).toMatch(/is absolute/);
    expect(byLine(12)).toMatch(/already used at .*broken\.jsonl:1/);
  });

  it('stops at the first malformed record by default, naming its line', async () => {
    const r = await loadJsonl(broken);
    expect(E.isLeft(r)).toBe(true);
    if (E.isRight(r)) return;
    expect(r.left.kind).toBe('malformed-record');
    expect(r.left.issue).toMatchObject({ file: broken, line: 2, kind: 'bad-json' });
    expect(r.left.message).toMatch(/broken\.jsonl:2: bad-json/);
  });

  it('rejects an image reached through a symbolic link out of the root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlflow-jsonl-'));
    try {
      symlinkSync(join(fixtures, 'images', 'red.png'), join(dir, 'red.png'));
      writeFileSync(join(dir, 'd.jsonl'), `${JSON.stringify({ question: 'q', answer: '1', image: 'red.png' })}\n`);
      const r = await loadJsonl(join(dir, 'd.jsonl'), { onMalformed: 'skip' });
      if (E.isLeft(r)) throw r.left;
      expect(r.right.issues).toMatchObject([{ line: 1, kind: 'image-outside-root', field: 'image' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing file and bad options as errors', async () => {
    const missing = await loadJsonl(join(fixtures, 'nope.jsonl'));
    expect(E.isLeft(missing) && missing.left.kind).toBe('unreadable-file');
    const badSize = await loadJsonl(valid, { imageWidth: 0 });
    expect(E.isLeft(badSize) && badSize.left.message).toMatch(/imageWidth is 0/);
    const unknown = await loadDataset(join(fixtures, 'valid.csv'));
    expect(E.isLeft(unknown) && unknown.left.kind).toBe('bad-options');
  });

  it('is reached through loadDataset by extension', async () => {
    const r = await loadDataset(valid);
    expect(E.isRight(r) && r.right.items.length).toBe(5);
  });
});

