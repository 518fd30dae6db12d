/**
 * LogicVista (Yijia-Xiao/LogicVista) files, docs/evaluation.md §2: `data/dataset.json` (`v1_0`..`v1_447` → item),
 * `eval/answers/<MODEL>-answers.json` (`v1_i` → raw model answer) and the official
 * `eval/results/<MODEL>-accuracy-results.csv` written by `eval/extract_accuracy.py` with pandas:
 * `,id,reasoning skill,capability,true answer,<M> answer extracted,<M> answer raw,match?`, where the
 * list columns hold Python list literals such as `['b', 'd']`.
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { DecodeError } from '@rlflow/core';
import { parseCsvTable } from './csv.js';
import { decodeJsonText, loadJson, readText } from './load.js';
import { parsePythonStringList } from './python-literal.js';

/** One item of `dataset.json`. The answer is `'A'`, `'B, D'` (several letters), or odd (`'G'`, `'3'`, `''`). */
export const LogicVistaItem = t.intersection(
  [
    t.type({ imagename: t.string, question: t.string, answer: t.string, skill: t.array(t.string) }),
    t.partial({
      reasoning: t.string,
      broad_capability: t.array(t.string),
      specific_capability: t.array(t.string),
      capability: t.array(t.string),
      imagesource: t.string,
      sourcelink: t.string,
      liscenced: t.string,
    }),
  ],
  'LogicVistaItem',
);
export type LogicVistaItem = t.TypeOf<typeof LogicVistaItem>;

export const LogicVistaDataset = t.record(t.string, LogicVistaItem, 'LogicVistaDataset');
export type LogicVistaDataset = t.TypeOf<typeof LogicVistaDataset>;

/** `<MODEL>-answers.json`: id → `{answer: raw model text, reasoning}`. */
export const LogicVistaAnswers = t.record(
  t.string,
  t.intersection([t.type({ answer: t.string }), t.partial({ reasoning: t.string })]),
  'LogicVistaAnswers',
);
export type LogicVistaAnswers = t.TypeOf<typeof LogicVistaAnswers>;

export const decodeLogicVistaDataset = (source: string): ((text: string) => E.Either<DecodeError, LogicVistaDataset>) =>
  decodeJsonText(LogicVistaDataset, source);
export const loadLogicVistaDataset = loadJson(LogicVistaDataset);
export const loadLogicVistaAnswers = loadJson(LogicVistaAnswers);

/**
 * The item ids of a dataset (the whole benchmark or any subset of it, e.g. the items whose images
 * one has) in the official order: `v1_<i>` by increasing i, then any other ids in file order.
 * The official `extract_accuracy.py` reads `v1_<i>` for i < len(dataset), so it can only process
 * a dataset numbered `v1_0…v1_{n−1}`; rlflow extracts and scores the items by id instead.
 */
export const logicVistaIds = (dataset: LogicVistaDataset): string[] => {
  const indexOf = (id: string): number | undefined => {
    const match = /^v1_(0|[1-9]\d*)$/.exec(id);
    return match === null ? undefined : Number(match[1]);
  };
  const ids = Object.keys(dataset);
  const numbered = ids.filter((id) => indexOf(id) !== undefined).sort((a, b) => indexOf(a)! - indexOf(b)!);
  return [...numbered, ...ids.filter((id) => indexOf(id) === undefined)];
};

/** One row of an official `*-accuracy-results.csv`, its list columns parsed. */
export interface LogicVistaResultRow {
  readonly id: string;
  /** The `reasoning skill` cell as written (`['inductive']`), which `analyze_accuracy.py` substring-matches. */
  readonly skillCell: string;
  readonly skills: readonly string[];
  /** The `capability` cell as written, when the file has that column. */
  readonly capabilityCell: string | undefined;
  readonly trueAnswer: readonly string[];
  readonly extracted: readonly string[];
  readonly raw: string;
  /** The stored official verdict: 1 when the extracted letters equal the true ones. */
  readonly match: 0 | 1;
}

export interface LogicVistaResults {
  /** The model name, from the `<MODEL> answer extracted` header. */
  readonly model: string;
  readonly rows: readonly LogicVistaResultRow[];
}

const EXTRACTED_SUFFIX = ' answer extracted';
const RAW_SUFFIX = ' answer raw';

/** Decodes the text of an official results CSV; every malformed cell is reported with its record number. */
export const decodeLogicVistaResults =
  (source: string) =>
  (text: string): E.Either<DecodeError, LogicVistaResults> =>
    pipe(
      parseCsvTable(source)(text),
      E.chain((table) => {
        const extractedColumn = table.header.find((name) => name.endsWith(EXTRACTED_SUFFIX));
        const missingColumns = ['id', 'reasoning skill', 'true answer', 'match?'].filter((name) => !table.header.includes(name));
        if (extractedColumn === undefined) missingColumns.push(`<MODEL>${EXTRACTED_SUFFIX}`);
        if (missingColumns.length > 0 || extractedColumn === undefined) {
          return E.left(new DecodeError(source, [`missing column(s): ${missingColumns.join(', ')}`]));
        }
        const model = extractedColumn.slice(0, -EXTRACTED_SUFFIX.length);
        const rawColumn = `${model}${RAW_SUFFIX}`;
        const hasCapability = table.header.includes('capability');
        const problems: string[] = [];
        const list = (record: number, column: string, cell: string): string[] =>
          pipe(
            parsePythonStringList(cell),
            E.getOrElse((why): string[] => {
              problems.push(`record ${record}, column ${JSON.stringify(column)}: ${why} in ${JSON.stringify(cell.slice(0, 60))}`);
              return [];
            }),
          );
        const rows = table.rows.map((row, r): LogicVistaResultRow => {
          const cell = (column: string): string => row[column] ?? '';
          const match = cell('match?');
          if (match !== '0' && match !== '1') problems.push(`record ${r + 1}, column "match?": expected 0 or 1, found ${JSON.stringify(match)}`);
          return {
            id: cell('id'),
            skillCell: cell('reasoning skill'),
            skills: list(r + 1, 'reasoning skill', cell('reasoning skill')),
            capabilityCell: hasCapability ? cell('capability') : undefined,
            trueAnswer: list(r + 1, 'true answer', cell('true answer')),
            extracted: list(r + 1, extractedColumn, cell(extractedColumn)),
            raw: cell(rawColumn),
            match: match === '1' ? 1 : 0,
          };
        });
        return problems.length > 0 ? E.left(new DecodeError(source, problems)) : E.right({ model, rows });
      }),
    );

export const loadLogicVistaResults = async (path: string): Promise<E.Either<DecodeError, LogicVistaResults>> =>
  pipe(await readText(path), E.chain(decodeLogicVistaResults(path)));
