/**
 * Loads a dataset by its file name: `.parquet` → `loadParquet`, `.jsonl` / `.ndjson` →
 * `loadJsonl`; `format` overrides the guess.
 */
import { extname, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type { LoadedDataset } from './collect.js';
import { DatasetError } from './issues.js';
import { loadJsonl } from './jsonl.js';
import type { DatasetLoadOptions } from './options.js';
import { loadParquet } from './parquet.js';

export type DatasetFormat = 'jsonl' | 'parquet';

export const datasetFormatOf = (path: string): DatasetFormat | undefined => {
  const ext = extname(path).toLowerCase();
  return ext === '.parquet' ? 'parquet' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : undefined;
};

export const loadDataset = async (
  path: string,
  options: DatasetLoadOptions & { readonly format?: DatasetFormat } = {},
): Promise<E.Either<DatasetError, LoadedDataset>> => {
  const format = options.format ?? datasetFormatOf(path);
  if (format === undefined) {
    return E.left(new DatasetError('bad-options', resolve(path), 'unknown dataset format: name a .jsonl or .parquet file, or set format'));
  }
  return format === 'parquet' ? loadParquet(path, options) : loadJsonl(path, options);
};
