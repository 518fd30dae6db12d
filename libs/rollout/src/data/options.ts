/**
 * How a dataset's columns map to an item, and how it is loaded. Every option has a default,
 * so `{}` loads a file with columns `question`, `answer`, `image` (and, when present,
 * `choices` and `id`) into 32×32 images, failing on the first malformed record.
 * `DatasetSpec` is the io-ts codec for the same options in a config file.
 */
import * as t from 'io-ts';
import { literalUnion } from '@rlflow/core';
import { ANSWER_TYPES, MODEL_IMAGE_SIZE, type AnswerType } from '../suite/problem.js';
import { RESIZE_METHODS, type ResizeMethod } from './image.js';

export interface FieldMapping {
  readonly question: string;
  readonly answer: string;
  readonly image: string;
  /** Optional column: a list of option texts. */
  readonly choices: string;
  /** Optional column: a record id (string or integer); else the location names the record. */
  readonly id: string;
  /** Optional column holding an `AnswerType` per record. */
  readonly answerType: string;
}

export const DEFAULT_MAPPING: FieldMapping = {
  question: 'question',
  answer: 'answer',
  image: 'image',
  choices: 'choices',
  id: 'id',
  answerType: 'answer_type',
};

export type OnMalformed = 'skip' | 'fail';

export interface DatasetLoadOptions {
  /** Directory image paths are relative to, and confined to; default: the data file's directory. */
  readonly root?: string;
  readonly mapping?: Partial<FieldMapping>;
  /** `fail` (default): the first malformed record ends the load; `skip`: it is listed and left out. */
  readonly onMalformed?: OnMalformed;
  /**
   * Every record's answer type. Default: the `answerType` column when a record has it, else
   * inferred: `choice` with choices, `integer` / `number` when the answer parses as one
   * (numeric.ts), `text` otherwise.
   */
  readonly answerType?: AnswerType;
  readonly imageWidth?: number;
  readonly imageHeight?: number;
  /** Default `area` (image.ts). */
  readonly resize?: ResizeMethod;
  /** What transparent pixels are composited over; default white [1, 1, 1]. */
  readonly background?: readonly [number, number, number];
  /** Parquet rows decoded at a time; default 256. */
  readonly chunkRows?: number;
}

export interface ResolvedOptions {
  readonly root: string;
  readonly mapping: FieldMapping;
  readonly onMalformed: OnMalformed;
  readonly answerType: AnswerType | undefined;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly resize: ResizeMethod;
  readonly background: readonly [number, number, number];
  readonly chunkRows: number;
}

export const resolveOptions = (root: string, options: DatasetLoadOptions): ResolvedOptions => ({
  root: options.root ?? root,
  mapping: { ...DEFAULT_MAPPING, ...options.mapping },
  onMalformed: options.onMalformed ?? 'fail',
  answerType: options.answerType,
  imageWidth: options.imageWidth ?? MODEL_IMAGE_SIZE,
  imageHeight: options.imageHeight ?? MODEL_IMAGE_SIZE,
  resize: options.resize ?? 'area',
  background: options.background ?? [1, 1, 1],
  chunkRows: options.chunkRows ?? 256,
});

/** Problems with resolved options, one line each; empty when they are usable. */
export const checkOptions = (options: ResolvedOptions): string[] => {
  const problems: string[] = [];
  const positiveInteger = (name: string, n: number): void => {
    if (!Number.isInteger(n) || n <= 0) problems.push(`${name} is ${n}, expected a positive integer`);
  };
  positiveInteger('imageWidth', options.imageWidth);
  positiveInteger('imageHeight', options.imageHeight);
  positiveInteger('chunkRows', options.chunkRows);
  for (const [key, column] of Object.entries(options.mapping)) {
    if (typeof column !== 'string' || column.length === 0) problems.push(`mapping.${key} is ${JSON.stringify(column)}, expected a column name`);
  }
  if (options.background.length !== 3 || options.background.some((c) => !(c >= 0 && c <= 1))) {
    problems.push(`background is [${options.background.join(', ')}], expected three numbers in [0, 1]`);
  }
  return problems;
};

export const AnswerTypeCodec = literalUnion(ANSWER_TYPES, 'AnswerType');

export const FieldMappingCodec = t.partial({
  question: t.string,
  answer: t.string,
  image: t.string,
  choices: t.string,
  id: t.string,
  answerType: t.string,
});

/** A dataset as a config file names it. */
export const DatasetSpec = t.intersection([
  t.type({ path: t.string }),
  t.partial({
    format: literalUnion(['jsonl', 'parquet'], 'DatasetFormat'),
    root: t.string,
    mapping: FieldMappingCodec,
    onMalformed: literalUnion(['skip', 'fail'], 'OnMalformed'),
    answerType: AnswerTypeCodec,
    imageWidth: t.number,
    imageHeight: t.number,
    resize: literalUnion(RESIZE_METHODS, 'ResizeMethod'),
    chunkRows: t.number,
  }),
]);
export type DatasetSpec = t.TypeOf<typeof DatasetSpec>;
