import { mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { cutLineFile, jsonLineDecoder, openJsonl, openLineAppender, parseLineFile, readJsonl, LineFileError } from './jsonl.js';

const tempFile = async (name = 'log.jsonl') => join(await mkdtemp(join(tmpdir(), 'rlflow-jsonl-')), name);
const encoder = new TextEncoder();
const Record = t.UnknownRecord;
const decodeAny = jsonLineDecoder(Record);

/** Objects with keys and strings from the whole of Unicode (multi-byte UTF-8, escaped surrogates). */
const records = fc.array(fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), { maxLength: 12 });
/** What a record reads back as: JSON has no -0 and no undefined. */
const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

const fileOf = (rows: readonly unknown[]): { bytes: Uint8Array; ends: number[] } => {
  const lines = rows.map((row) => encoder.encode(`${JSON.stringify(row)}\n`));
  const ends: number[] = [];
  let total = 0;
  for (const line of lines) ends.push((total += line.length));
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const line of lines) {
    bytes.set(line, offset);
    offset += line.length;
  }
  return { bytes, ends };
};

const right = <A>(either: E.Either<LineFileError, A>): A => {
  if (E.isLeft(either)) throw either.left;
  return either.right;
};

describe('line files', () => {
  it('reading after a cut at any byte gives exactly the records fully written (property)', () => {
    fc.assert(
      fc.property(
        records.chain((rows) => fc.tuple(fc.constant(rows), fc.nat({ max: fileOf(rows).bytes.length }))),
        ([rows, cut]) => {
          const { bytes, ends } = fileOf(rows);
          const read = right(parseLineFile('f.jsonl', bytes.subarray(0, cut), decodeAny));
          const written = ends.filter((end) => end <= cut).length;
          expect(read.records).toEqual(rows.slice(0, written).map(roundTrip));
          expect(read.validBytes).toBe(written === 0 ? 0 : ends[written - 1]);
          expect(read.tornBytes).toBe(cut - read.validBytes);
          expect(read.lineEnds).toEqual(ends.slice(0, written));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('after a crash at any byte, reopening cuts the torn line and appends cleanly (property, on disk)', async () => {
    await fc.assert(
      fc.asyncProperty(
        records.chain((rows) => fc.tuple(fc.constant(rows), fc.nat({ max: fileOf(rows).bytes.length }), records)),
        async ([rows, cut, more]) => {
          const path = await tempFile();
          const first = await openLineAppender(path);
          for (const row of rows) await first.appendJson(row);
          await first.close();
          await truncate(path, cut);
          const reopened = right(await openJsonl(path, Record));
          const written = fileOf(rows).ends.filter((end) => end <= cut).length;
          expect(reopened.contents.records).toEqual(rows.slice(0, written).map(roundTrip));
          for (const row of more) await reopened.appender.appendJson(row);
          await reopened.appender.close();
          const final = right(await readJsonl(path, Record));
          expect(final.records).toEqual([...rows.slice(0, written), ...more].map(roundTrip));
          expect(final.tornBytes).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('treats a last line that does not decode as torn, even with its newline, and only that one', () => {
    const ok = right(parseLineFile('f', encoder.encode('{"a":1}\n\0\0\0\0\n'), decodeAny));
    expect(ok).toEqual({ records: [{ a: 1 }], lineEnds: [8], validBytes: 8, tornBytes: 5 });
    const twoTorn = parseLineFile('f', encoder.encode('{"a":1}\n\0\0\0\0\n{"a":'), decodeAny);
    expect(E.isLeft(twoTorn) && twoTorn.left.message).toMatch(/^f:2: not JSON/);
  });

  it('reports a corrupt line before the last as an error naming the file and the line', () => {
    const bad = parseLineFile('runs/x/log.jsonl', encoder.encode('{"a":1}\nnot json\n{"a":3}\n'), decodeAny);
    expect(E.isLeft(bad) && bad.left).toBeInstanceOf(LineFileError);
    expect(E.isLeft(bad) && [bad.left.path, bad.left.line]).toEqual(['runs/x/log.jsonl', 2]);
    expect(E.isLeft(bad) && bad.left.message).toMatch(/^runs\/x\/log\.jsonl:2: not JSON \(/);
    const wrongShape = parseLineFile('f', encoder.encode('{"a":1}\n[1]\n{"a":3}\n'), jsonLineDecoder(t.type({ a: t.number })));
    expect(E.isLeft(wrongShape) && wrongShape.left.message).toBe('f:2: (root): expected { a: number }, found [1]');
    const badUtf8 = parseLineFile('f', new Uint8Array([0x7b, 0x7d, 0x0a, 0xff, 0x0a, 0x7b, 0x7d, 0x0a]), decodeAny);
    expect(E.isLeft(badUtf8) && badUtf8.left.message).toBe('f:2: is not valid UTF-8');
  });

  it('skips blank lines, and reads a missing file as empty', async () => {
    expect(right(parseLineFile('f', encoder.encode('\n{"a":1}\n  \n{"a":2}\n'), decodeAny)).records).toEqual([{ a: 1 }, { a: 2 }]);
    expect(right(await readJsonl(join(tmpdir(), 'rlflow-no-such-dir', 'x.jsonl'), Record))).toEqual({ records: [], lineEnds: [], validBytes: 0, tornBytes: 0 });
  });

  it('cuts a file back to its first records, keeping their bytes', async () => {
    const path = await tempFile();
    await writeFile(path, '{"step":1}\n{"step":2}\n{"step":3}\n{"st');
    const contents = right(await readJsonl(path, Record));
    await cutLineFile(path, contents, 2);
    expect(await readFile(path, 'utf8')).toBe('{"step":1}\n{"step":2}\n');
    await cutLineFile(path, contents, 0);
    expect(await readFile(path, 'utf8')).toBe('');
    await expect(cutLineFile(path, contents, 4)).rejects.toThrow(/cannot keep 4 of the 3 records/);
    await cutLineFile(join(tmpdir(), 'rlflow-no-such-dir', 'x.jsonl'), { records: [], lineEnds: [], validBytes: 0, tornBytes: 0 }, 0);
  });

  it('keeps concurrent appends whole, refuses line breaks and appends after close', async () => {
    const path = await tempFile();
    const log = await openLineAppender(path, { name: 'events: the log' });
    await Promise.all(Array.from({ length: 40 }, (_, i) => log.appendJson({ i, pad: 'x'.repeat(5000) })));
    await expect(log.appendLine('a\nb')).rejects.toThrow('events: the log: a line to append holds a line break');
    await log.close();
    await expect(log.appendJson({})).rejects.toThrow('events: the log is closed');
    const read = right(await readJsonl(path, t.type({ i: t.number })));
    expect(read.records.map((r) => r.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
});
