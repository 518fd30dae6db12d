/**
 * JSON Lines datasets: one JSON object per line, read as a stream. Blank lines are not
 * records and are passed over; a line that is not JSON is a `bad-json` issue at its 1-based
 * line number. Image paths are relative to the dataset root (default: the file's directory).
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import * as E from 'fp-ts/lib/Either.js';
import { Collector, type LoadedDataset } from './collect.js';
import { DatasetError, formatLocation, type RecordLocation } from './issues.js';
import { checkOptions, resolveOptions, type DatasetLoadOptions } from './options.js';
import { toDatasetItem } from './record.js';

export const loadJsonl = async (path: string, options: DatasetLoadOptions = {}): Promise<E.Either<DatasetError, LoadedDataset>> => {
  const file = resolve(path);
  const resolved = resolveOptions(dirname(file), options);
  const bad = checkOptions(resolved);
  if (bad.length > 0) return E.left(new DatasetError('bad-options', file, bad.join('; ')));
  try {
    await access(file);
  } catch (error) {
    return E.left(new DatasetError('unreadable-file', file, error instanceof Error ? error.message : String(error)));
  }
  const collector = new Collector(file, resolved.onMalformed);
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const rawLine of lines) {
      lineNumber++;
      const line = lineNumber === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
      if (line.trim().length === 0) continue;
      const location: RecordLocation = { file, line: lineNumber };
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        const added = collector.add(E.left({ ...location, kind: 'bad-json', detail: error instanceof Error ? error.message : String(error) }), () => '');
        if (E.isLeft(added)) return added;
        continue;
      }
      const item = await toDatasetItem(parsed, location, `${basename(file)}:${lineNumber}`, resolved);
      const added = collector.add(item, (it) => formatLocation(it.source));
      if (E.isLeft(added)) return added;
    }
  } catch (error) {
    return E.left(new DatasetError('unreadable-file', file, error instanceof Error ? error.message : String(error)));
  } finally {
    lines.close();
  }
  return E.right(collector.result());
};
