/**
 * Where a dataset record came from, and what can be wrong with one. JSONL records are located
 * by 1-based line, Parquet records by 0-based row (as the file and the Hugging Face viewer
 * number them). A malformed record is never dropped silently: it is either fatal or skipped
 * and listed in the load result.
 */
export type RecordLocation = { readonly file: string; readonly line: number } | { readonly file: string; readonly row: number };

export type IssueKind =
  | 'bad-json'
  | 'invalid-record'
  | 'bad-answer'
  | 'duplicate-id'
  | 'missing-image'
  | 'image-outside-root'
  | 'bad-image';

export type RecordIssue = RecordLocation & {
  readonly kind: IssueKind;
  /** The column at fault, when one is. */
  readonly field?: string;
  readonly detail: string;
};

export const formatLocation = (location: RecordLocation): string =>
  'line' in location ? `${location.file}:${location.line}` : `${location.file} row ${location.row}`;

export const formatIssue = (issue: RecordIssue): string =>
  `${formatLocation(issue)}: ${issue.kind}${issue.field === undefined ? '' : ` (${issue.field})`}: ${issue.detail}`;

export type DatasetErrorKind = 'unreadable-file' | 'bad-parquet' | 'bad-options' | 'malformed-record';

/** A load that cannot go on: the file, the options, or (with `onMalformed: 'fail'`) a record. */
export class DatasetError extends Error {
  readonly _tag = 'DatasetError' as const;
  override readonly name = 'DatasetError';

  constructor(
    readonly kind: DatasetErrorKind,
    readonly file: string,
    detail: string,
    readonly issue?: RecordIssue,
  ) {
    super(issue === undefined ? `${file}: ${detail}` : formatIssue(issue));
  }
}
