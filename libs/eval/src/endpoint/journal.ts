/**
 * The run journal: one JSON line per finished (item, sample), appended as each reply arrives,
 * after a header line naming what was run. It is the source of truth for resuming: a sample whose
 * latest line is `ok` is finished and never requested again; a sample that failed is requested
 * again by a re-run (as the official MathVista script re-runs rows without a valid response),
 * unless errors are kept. The first `ok` line of a sample wins; any later line for it is counted
 * as a duplicate and ignored. The official-format outputs are written from this state. The file is
 * one of `@rlflow/core`'s line files (fsync'd appends; a torn last line is ignored and cut off).
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { openLineAppender, readJsonl, type LineAppender, type LineFileError } from '@rlflow/core';

export const JOURNAL_VERSION = 1;

/** What must match for a journal to be resumed. */
export const RunIdentity = t.type({
  benchmark: t.string,
  /** Prompt setting (e.g. MMMU-Pro `standard/cot`), or the benchmark's only one. */
  setting: t.string,
  model: t.string,
  temperature: t.union([t.number, t.null]),
  maxTokens: t.union([t.number, t.null]),
  topP: t.union([t.number, t.null]),
  /** sha256 of the data file's bytes. */
  dataSha256: t.string,
});
export type RunIdentity = t.TypeOf<typeof RunIdentity>;

export const JournalHeader = t.type({
  type: t.literal('header'),
  version: t.literal(JOURNAL_VERSION),
  run: RunIdentity,
  /** Endpoint URL without credentials or query. */
  endpoint: t.string,
  createdAt: t.string,
});
export type JournalHeader = t.TypeOf<typeof JournalHeader>;

export const SampleFailure = t.type({
  kind: t.string,
  message: t.string,
  status: t.union([t.number, t.null]),
});
export type SampleFailure = t.TypeOf<typeof SampleFailure>;

export const SampleEntry = t.type({
  type: t.literal('sample'),
  id: t.string,
  sample: t.number,
  status: t.union([t.literal('ok'), t.literal('error')]),
  response: t.union([t.string, t.null]),
  error: t.union([SampleFailure, t.null]),
  finishReason: t.union([t.string, t.null]),
  attempts: t.number,
  elapsedMs: t.number,
  promptTokens: t.union([t.number, t.null]),
  completionTokens: t.union([t.number, t.null]),
  at: t.string,
});
export type SampleEntry = t.TypeOf<typeof SampleEntry>;

export const JournalLine = t.union([JournalHeader, SampleEntry]);
export type JournalLine = t.TypeOf<typeof JournalLine>;

export const sampleKey = (id: string, sample: number): string => `${id}#${sample}`;

export interface JournalState {
  readonly header: JournalHeader | null;
  /** The entry that stands for each sample key. */
  readonly entries: ReadonlyMap<string, SampleEntry>;
  /** Lines for a sample already finished `ok`, ignored. */
  readonly duplicates: number;
  /** Bytes of a half-written last line that was ignored. */
  readonly tornBytes: number;
}

export const foldJournal = (lines: readonly JournalLine[], tornBytes = 0): JournalState => {
  let header: JournalHeader | null = null;
  const entries = new Map<string, SampleEntry>();
  let duplicates = 0;
  for (const line of lines) {
    if (line.type === 'header') {
      header ??= line;
      continue;
    }
    const key = sampleKey(line.id, line.sample);
    const previous = entries.get(key);
    if (previous?.status === 'ok') duplicates += 1;
    else entries.set(key, line);
  }
  return { header, entries, duplicates, tornBytes };
};

/** Differences between the journal's run and this one, as `field: journal vs now` lines. */
export const identityMismatches = (journal: RunIdentity, now: RunIdentity): string[] =>
  (Object.keys(now) as Array<keyof RunIdentity>)
    .filter((k) => journal[k] !== now[k])
    .map((k) => `${k}: ${JSON.stringify(journal[k])} in the journal, ${JSON.stringify(now[k])} now`);

export class Journal {
  private readonly live: Map<string, SampleEntry>;
  private constructor(
    readonly path: string,
    readonly state: JournalState,
    private readonly log: LineAppender,
    private readonly scrub: (line: string) => string,
  ) {
    this.live = new Map(state.entries);
  }

  /**
   * Opens (or creates) the journal at `path` for the run `header`. A journal written for another
   * run is refused with the fields that differ; a torn last line is cut off.
   */
  static async open(path: string, header: JournalHeader, scrub: (line: string) => string = (line) => line): Promise<E.Either<LineFileError | JournalMismatch, Journal>> {
    const read = await readJsonl(path, JournalLine);
    if (E.isLeft(read)) return read;
    const state = foldJournal(read.right.records, read.right.tornBytes);
    if (state.header !== null) {
      const mismatches = identityMismatches(state.header.run, header.run);
      if (mismatches.length > 0) return E.left(new JournalMismatch(path, mismatches));
    }
    const log = await openLineAppender(path, { name: `journal ${path}`, keepBytes: read.right.validBytes });
    if (state.header === null) await log.appendLine(scrub(JSON.stringify(header)));
    return E.right(new Journal(path, state, log, scrub));
  }

  /** The standing entry of each sample, including those appended since opening. */
  entries(): ReadonlyMap<string, SampleEntry> {
    return this.live;
  }

  async append(entry: SampleEntry): Promise<void> {
    const key = sampleKey(entry.id, entry.sample);
    await this.log.appendLine(this.scrub(JSON.stringify(entry)));
    if (this.live.get(key)?.status !== 'ok') this.live.set(key, entry);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

export class JournalMismatch extends Error {
  override readonly name = 'JournalMismatch';
  constructor(
    readonly path: string,
    readonly mismatches: readonly string[],
  ) {
    super(`${path} was written for a different run (${mismatches.join('; ')}); use another --out or remove the journal`);
  }
}
