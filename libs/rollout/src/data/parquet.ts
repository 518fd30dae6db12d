/**
 * Parquet datasets in the Hugging Face `datasets` layout, read with hyparquet (uncompressed
 * and snappy pages). Strings come back as strings when the column is annotated UTF8/STRING;
 * `utf8: false` keeps unannotated BYTE_ARRAY columns (image bytes) as Uint8Array; INT64 comes
 * back as bigint; a struct column (the `Image` feature: `{bytes, path}`) as an object; a list
 * as an array. Rows are decoded `chunkRows` at a time and located by 0-based row number.
 * The mapped question, answer and image columns must exist in the schema (else the load
 * fails at once: every row would).
 */
import { basename, dirname, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { Collector, type LoadedDataset } from './collect.js';
import { DatasetError, formatLocation } from './issues.js';
import { checkOptions, resolveOptions, type DatasetLoadOptions } from './options.js';
import { toDatasetItem } from './record.js';

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const loadParquet = async (path: string, options: DatasetLoadOptions = {}): Promise<E.Either<DatasetError, LoadedDataset>> => {
  const file = resolve(path);
  const resolved = resolveOptions(dirname(file), options);
  const bad = checkOptions(resolved);
  if (bad.length > 0) return E.left(new DatasetError('bad-options', file, bad.join('; ')));
  let buffer: AsyncBuffer;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (error) {
    return E.left(new DatasetError('unreadable-file', file, message(error)));
  }
  let metadata: FileMetaData;
  let columnNames: string[];
  try {
    metadata = await parquetMetadataAsync(buffer);
    columnNames = parquetSchema(metadata).children.map((child) => child.element.name);
  } catch (error) {
    return E.left(new DatasetError('bad-parquet', file, `not a readable Parquet file: ${message(error)}`));
  }
  const m = resolved.mapping;
  const missing = [m.question, m.answer, m.image].filter((column) => !columnNames.includes(column));
  if (missing.length > 0) {
    return E.left(new DatasetError('bad-options', file, `column(s) ${missing.join(', ')} not in the file (columns: ${columnNames.join(', ')})`));
  }
  const columns = [m.question, m.answer, m.image, m.choices, m.id, m.answerType].filter((c, i, all) => columnNames.includes(c) && all.indexOf(c) === i);
  const rows = Number(metadata.num_rows);
  const collector = new Collector(file, resolved.onMalformed);
  for (let rowStart = 0; rowStart < rows; rowStart += resolved.chunkRows) {
    const rowEnd = Math.min(rows, rowStart + resolved.chunkRows);
    let chunk: Array<Record<string, unknown>>;
    try {
      chunk = await parquetReadObjects({ file: buffer, metadata, columns, rowStart, rowEnd, utf8: false });
    } catch (error) {
      return E.left(new DatasetError('bad-parquet', file, `rows ${rowStart}..${rowEnd - 1} cannot be decoded: ${message(error)}`));
    }
    for (let i = 0; i < chunk.length; i++) {
      const row = rowStart + i;
      const item = await toDatasetItem(chunk[i], { file, row }, `${basename(file)}#${row}`, resolved);
      const added = collector.add(item, (it) => formatLocation(it.source));
      if (E.isLeft(added)) return added;
    }
  }
  return E.right(collector.result());
};
