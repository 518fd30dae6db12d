import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '@rlflow/core';
import {
  KNOWN_METRIC_KEYS,
  compareMetricRows,
  compareMetricsFiles,
  evalCellKeys,
  formatSummaryTable,
  encodeCsvRow,
  openMetricsWriter,
  readMetricsJsonl,
  summarizeMetrics,
  truncateMetrics,
  type MetricRow,
} from './index.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'rlflow-metrics-'));
const read = (dir: string, name: string) => readFile(join(dir, name), 'utf8');
const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const parseCsvLine = (line: string): string[] => {
  const records = parseCsv('metrics.csv')(line);
  if (E.isLeft(records)) throw records.left;
  expect(records.right).toHaveLength(1);
  return records.right[0]!;
};

/** The row a deterministic run writes at `step`; `time` stands in for the wall-clock columns. */
const rowAt = (step: number, time: number): MetricRow => ({
  step,
  'time/step_s': time,
  'reward/mean': Math.sin(step) / 2 + 0.5,
  'reward/accuracy': (step % 4) / 4,
  'curriculum/reuse': 1 + Math.floor(step / 4),
  'memory/num_tensors': 120,
  'memory/rss_mb': 300 + time,
  ...(step % 3 === 0 ? { 'eval/accuracy': step / 10, 'eval/accuracy/chart/2': step / 20 } : {}),
});

const writeRows = async (dir: string, steps: readonly number[], time: (step: number) => number, columns: readonly string[] = []) => {
  const writer = await openMetricsWriter(dir, { columns });
  for (const step of steps) await writer.append(rowAt(step, time(step)));
  await writer.close();
};

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('metrics writer', () => {
  it('writes the header once, known columns first, then declared ones, then new keys sorted', async () => {
    const dir = await tempDir();
    const writer = await openMetricsWriter(dir, { columns: evalCellKeys(['counting', 'chart'], [1, 2]) });
    await writer.append({ step: 1, 'reward/mean': 0.5, 'zeta/x': 1, 'alpha/y': 2 });
    await writer.append({ step: 2, 'reward/mean': 0.25 });
    await writer.close();
    const csv = lines(await read(dir, 'metrics.csv'));
    expect(csv).toHaveLength(3);
    expect(csv[0]!.split(',')).toEqual([
      ...KNOWN_METRIC_KEYS,
      'eval/accuracy/counting/1',
      'eval/accuracy/counting/2',
      'eval/accuracy/chart/1',
      'eval/accuracy/chart/2',
      'alpha/y',
      'zeta/x',
    ]);
    const cells = csv[1]!.split(',');
    expect(cells[0]).toBe('1');
    expect(cells[KNOWN_METRIC_KEYS.indexOf('reward/mean')]).toBe('0.5');
    expect(cells.slice(-2)).toEqual(['2', '1']);
    expect(lines(await read(dir, 'metrics.jsonl'))).toEqual(['{"step":1,"reward/mean":0.5,"alpha/y":2,"zeta/x":1}', '{"step":2,"reward/mean":0.25}']);
  });

  it('extends the header when a new key appears later, padding earlier rows', async () => {
    const dir = await tempDir();
    const writer = await openMetricsWriter(dir);
    await writer.append({ step: 1, 'reward/mean': 1 });
    await writer.append({ step: 2, 'reward/mean': 2, 'extra/b': 3, 'extra/a': 4 });
    await writer.append({ step: 3, 'extra/a': 5 });
    await writer.close();
    const csv = lines(await read(dir, 'metrics.csv')).map(parseCsvLine);
    expect(csv[0]!.slice(-2)).toEqual(['extra/a', 'extra/b']);
    expect(csv.map((row) => row.length)).toEqual([csv[0]!.length, csv[0]!.length, csv[0]!.length, csv[0]!.length]);
    expect(csv.slice(1).map((row) => row.slice(-2))).toEqual([
      ['', ''],
      ['4', '3'],
      ['5', ''],
    ]);
  });

  it('quotes text cells and writes non-finite numbers as text', async () => {
    const dir = await tempDir();
    const writer = await openMetricsWriter(dir);
    await writer.append({ step: 1, 'actor/pg_loss': Number.NaN, 'actor/grad_norm': Number.POSITIVE_INFINITY, 'note/x': 'a, "b"', 'flag/y': true, 'reward/mean': null });
    await writer.close();
    const [header, row] = lines(await read(dir, 'metrics.csv')).map(parseCsvLine);
    const cell = (key: string) => row![header!.indexOf(key)];
    expect([cell('actor/pg_loss'), cell('actor/grad_norm'), cell('note/x'), cell('flag/y'), cell('reward/mean')]).toEqual(['NaN', 'Infinity', 'a, "b"', 'true', '']);
    expect(lines(await read(dir, 'metrics.jsonl'))[0]).toBe('{"step":1,"reward/mean":null,"actor/pg_loss":"NaN","actor/grad_norm":"Infinity","flag/y":true,"note/x":"a, \\"b\\""}');
  });

  it('round-trips any single-line text through a CSV cell', () => {
    fc.assert(
      fc.property(fc.array(fc.string().filter((s) => !/[\r\n]/.test(s)), { minLength: 1, maxLength: 5 }), (texts) => {
        const columns = ['step', ...texts.map((_, i) => `note/${i}`)];
        const row: MetricRow = { step: 1, ...Object.fromEntries(texts.map((text, i) => [`note/${i}`, text])) };
        expect(parseCsvLine(encodeCsvRow(row, columns)).slice(1)).toEqual(texts);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses steps that do not increase, text with line breaks, and writes after close', async () => {
    const dir = await tempDir();
    const writer = await openMetricsWriter(dir);
    await writer.append({ step: 2 });
    await expect(writer.append({ step: 2 })).rejects.toThrow('metrics: step 2 follows step 2; rows must have increasing steps (truncate the files on resume)');
    await expect(writer.append({ step: 0 })).rejects.toThrow('metrics: step 0 is not a positive integer');
    await expect(writer.append({ step: 3, 'note/x': 'a\nb' })).rejects.toThrow('metrics: note/x holds a line break');
    await writer.append({ step: 3 });
    expect(writer.lastStep()).toBe(3);
    await writer.close();
    await expect(writer.append({ step: 4 })).rejects.toThrow('metrics: the writer is closed');
    const reopened = await openMetricsWriter(dir);
    expect(reopened.lastStep()).toBe(3);
    await expect(reopened.append({ step: 3 })).rejects.toThrow(/follows step 3/);
    await reopened.close();
  });

  it('refuses to append to files that end with a torn row', async () => {
    const dir = await tempDir();
    await writeRows(dir, [1, 2], () => 1);
    await appendFile(join(dir, 'metrics.jsonl'), '{"step":3,"rew');
    await expect(openMetricsWriter(dir)).rejects.toThrow(/ends with a partial row; truncate the metrics files before appending/);
  });
});

describe('truncateMetrics', () => {
  it('keeps the rows up to the checkpoint and drops later and torn ones', async () => {
    const dir = await tempDir();
    await writeRows(dir, range(1, 7), (s) => s);
    await appendFile(join(dir, 'metrics.jsonl'), '{"step":8,"time/st');
    await appendFile(join(dir, 'metrics.csv'), '8,0.1');
    const report = await truncateMetrics(dir, 5);
    expect(report).toEqual(E.right({ keptRows: 5, droppedRows: 2, torn: true, lastStep: 5 }));
    const reference = await tempDir();
    await writeRows(reference, range(1, 5), (s) => s);
    expect(await read(dir, 'metrics.jsonl')).toBe(await read(reference, 'metrics.jsonl'));
    expect(lines(await read(dir, 'metrics.csv'))).toHaveLength(6);
  });

  it('treats a final line that does not decode as torn, even with its newline', async () => {
    const dir = await tempDir();
    await writeRows(dir, range(1, 3), (s) => s);
    await appendFile(join(dir, 'metrics.jsonl'), '\0\0\0\0\n');
    const report = await truncateMetrics(dir, 3);
    expect(report).toEqual(E.right({ keptRows: 3, droppedRows: 0, torn: true, lastStep: 3 }));
    const rows = await readMetricsJsonl(join(dir, 'metrics.jsonl'));
    expect(E.isRight(rows) && rows.right.items.map((r) => r.step)).toEqual([1, 2, 3]);
  });

  it('refuses a file corrupted before its last line', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'metrics.jsonl'), '{"step":1}\nnot json\n{"step":3}\n');
    const report = await truncateMetrics(dir, 1);
    expect(E.isLeft(report) && report.left.message).toMatch(`${join(dir, 'metrics.jsonl')}: line 2 is not a valid row: not JSON (`);
  });

  it('refuses when the checkpoint step has no row', async () => {
    const dir = await tempDir();
    await writeRows(dir, range(1, 3), (s) => s);
    const report = await truncateMetrics(dir, 5);
    expect(E.isLeft(report) && report.left.message).toBe(`${join(dir, 'metrics.jsonl')}: the rows up to the checkpoint end at step 3, expected step 5`);
  });

  it('empties the files when resuming from step 0, and leaves a missing run alone', async () => {
    const dir = await tempDir();
    await writeRows(dir, range(1, 2), (s) => s, ['eval/accuracy/chart/1']);
    expect(await truncateMetrics(dir, 0)).toEqual(E.right({ keptRows: 0, droppedRows: 2, torn: false, lastStep: null }));
    expect(await read(dir, 'metrics.jsonl')).toBe('');
    expect(lines(await read(dir, 'metrics.csv'))).toEqual([[...KNOWN_METRIC_KEYS, 'eval/accuracy/chart/1'].join(',')]);
    const empty = await tempDir();
    expect(await truncateMetrics(empty, 0)).toEqual(E.right({ keptRows: 0, droppedRows: 0, torn: false, lastStep: null }));
  });

  it('lets a resumed run write exactly the files of an uninterrupted one', async () => {
    const declared = evalCellKeys(['chart'], [1]);
    const straight = await tempDir();
    await writeRows(straight, range(1, 10), (s) => s / 10, declared);

    const resumed = await tempDir();
    await writeRows(resumed, range(1, 8), (s) => s / 10, declared);
    await appendFile(join(resumed, 'metrics.jsonl'), '{"step":9,');
    expect(E.isRight(await truncateMetrics(resumed, 4))).toBe(true);
    await writeRows(resumed, range(5, 10), (s) => s / 10, declared);
    expect(await read(resumed, 'metrics.jsonl')).toBe(await read(straight, 'metrics.jsonl'));
    expect(await read(resumed, 'metrics.csv')).toBe(await read(straight, 'metrics.csv'));

    const retimed = await tempDir();
    await writeRows(retimed, range(1, 6), (s) => s / 7, declared);
    expect(E.isRight(await truncateMetrics(retimed, 2))).toBe(true);
    await writeRows(retimed, range(3, 10), (s) => s / 3, declared);
    expect(await compareMetricsFiles(straight, retimed)).toEqual(E.right([]));
    expect(await read(retimed, 'metrics.jsonl')).not.toBe(await read(straight, 'metrics.jsonl'));
  });
});

describe('comparing metrics', () => {
  it('ignores time/* and memory/rss_mb, and nothing else', () => {
    const a: MetricRow[] = [{ step: 1, 'time/step_s': 1, 'memory/rss_mb': 10, 'memory/num_tensors': 5, 'reward/mean': 0.5 }];
    expect(compareMetricRows(a, [{ ...a[0]!, 'time/step_s': 2, 'time/rollout_s': 3, 'memory/rss_mb': 11 }])).toEqual([]);
    expect(compareMetricRows(a, [{ ...a[0]!, 'memory/num_tensors': 6, 'reward/mean': 0.5000001 }])).toEqual([
      'row 1 (step 1): memory/num_tensors: 5 vs 6',
      'row 1 (step 1): reward/mean: 0.5 vs 0.5000001',
    ]);
    expect(compareMetricRows(a, [...a, { step: 2 }])).toEqual(['row count: 1 vs 2']);
    expect(compareMetricRows([{ step: 1, x: null }], [{ step: 1 }])).toEqual(['row 1 (step 1): x: null vs absent']);
    expect(compareMetricRows([{ step: 1, x: Number.NaN }], [{ step: 1, x: Number.NaN }])).toEqual([]);
  });

  it('compares the JSONL and CSV files of two run directories', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await writeRows(a, range(1, 3), () => 1);
    const writer = await openMetricsWriter(b);
    await writer.append(rowAt(1, 2));
    await writer.append({ ...rowAt(2, 2), 'reward/mean': 0 });
    await writer.append(rowAt(3, 2));
    await writer.close();
    const expected = `${Math.sin(2) / 2 + 0.5} vs 0`;
    expect(await compareMetricsFiles(a, b)).toEqual(
      E.right([`metrics.jsonl: row 2 (step 2): reward/mean: ${expected}`, `metrics.csv: row 2 (step 2): reward/mean: ${expected}`]),
    );
  });
});

describe('summary', () => {
  const rows: MetricRow[] = [
    { step: 1, 'reward/mean': 0.2, 'reward/accuracy': 0.1, 'time/step_s': 2, 'curriculum/reuse': 1 },
    { step: 2, 'reward/mean': 0.6, 'reward/accuracy': 0.5, 'time/step_s': 1.5, 'curriculum/reuse': 2 },
    { step: 3, 'reward/mean': 0.4, 'reward/accuracy': Number.NaN, 'time/step_s': 1.75, 'curriculum/reuse': 3, 'eval/accuracy': 0.3125 },
  ];

  it('takes the first, last and best finite value of each key metric present', () => {
    expect(summarizeMetrics(rows)).toEqual([
      { key: 'reward/mean', first: { step: 1, value: 0.2 }, last: { step: 3, value: 0.4 }, best: { step: 2, value: 0.6 } },
      { key: 'reward/accuracy', first: { step: 1, value: 0.1 }, last: { step: 2, value: 0.5 }, best: { step: 2, value: 0.5 } },
      { key: 'eval/accuracy', first: { step: 3, value: 0.3125 }, last: { step: 3, value: 0.3125 }, best: { step: 3, value: 0.3125 } },
      { key: 'curriculum/reuse', first: { step: 1, value: 1 }, last: { step: 3, value: 3 }, best: null },
      { key: 'time/step_s', first: { step: 1, value: 2 }, last: { step: 3, value: 1.75 }, best: { step: 2, value: 1.5 } },
    ]);
  });

  it('prints an aligned table with the total time', () => {
    expect(formatSummaryTable(summarizeMetrics(rows), 3725)).toBe(
      [
        'metric            first @step  last @step  best @step',
        '----------------  -----------  ----------  ----------',
        'reward/mean            0.2 @1      0.4 @3      0.6 @2',
        'reward/accuracy        0.1 @1      0.5 @2      0.5 @2',
        'eval/accuracy       0.3125 @3   0.3125 @3   0.3125 @3',
        'curriculum/reuse         1 @1        3 @3           –',
        'time/step_s              2 @1     1.75 @3      1.5 @2',
        '----------------  -----------  ----------  ----------',
        'total time 1h02m05s',
        '',
      ].join('\n'),
    );
    expect(formatSummaryTable([], 42.25)).toContain('total time 42.3s');
  });
});
