/**
 * Gathers decoded records into a load result, applying the malformed-record policy: with
 * `fail` the first issue ends the load as a `DatasetError`; with `skip` it is listed in
 * `issues` and the load goes on. Duplicate ids are an issue too.
 */
import * as E from 'fp-ts/lib/Either.js';
import { DatasetError, type RecordIssue } from './issues.js';
import type { OnMalformed } from './options.js';
import type { DatasetItem } from './record.js';

export interface LoadedDataset {
  readonly file: string;
  readonly items: readonly DatasetItem[];
  /** Records left out (only with `onMalformed: 'skip'`), in file order. */
  readonly issues: readonly RecordIssue[];
  /** Records seen: items.length + issues.length. */
  readonly records: number;
}

export class Collector {
  private readonly items: DatasetItem[] = [];
  private readonly issues: RecordIssue[] = [];
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly file: string,
    private readonly onMalformed: OnMalformed,
  ) {}

  /** Adds a record's outcome; `Left` when the load must stop. */
  add(result: E.Either<RecordIssue, DatasetItem>, describe: (item: DatasetItem) => string): E.Either<DatasetError, void> {
    let outcome = result;
    if (E.isRight(outcome)) {
      const first = this.ids.get(outcome.right.id);
      if (first !== undefined) {
        outcome = E.left({ ...outcome.right.source, kind: 'duplicate-id', detail: `id ${JSON.stringify(outcome.right.id)} was already used at ${first}` });
      }
    }
    if (E.isRight(outcome)) {
      this.ids.set(outcome.right.id, describe(outcome.right));
      this.items.push(outcome.right);
      return E.right(undefined);
    }
    if (this.onMalformed === 'fail') return E.left(new DatasetError('malformed-record', this.file, outcome.left.detail, outcome.left));
    this.issues.push(outcome.left);
    return E.right(undefined);
  }

  result(): LoadedDataset {
    return { file: this.file, items: this.items, issues: this.issues, records: this.items.length + this.issues.length };
  }
}
