/**
 * The on-disk cache of LLM extractions, so re-scoring a run costs no judge call: a JSON-lines
 * file (one of `@rlflow/core`'s line files: append-only, fsync'd, torn last line tolerated) of entries keyed by
 * sha256(judge model, prompt hash, response). The response itself is not stored, only its part in
 * the key; a later entry for a key replaces an earlier one.
 */
import { createHash } from 'node:crypto';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { openJsonl, type LineAppender, type LineFileError } from '@rlflow/core';

export const CacheEntry = t.type({
  type: t.literal('extraction'),
  key: t.string,
  model: t.string,
  promptHash: t.string,
  extraction: t.string,
  at: t.string,
});
export type CacheEntry = t.TypeOf<typeof CacheEntry>;

export const extractionKey = (model: string, promptHash: string, response: string): string =>
  createHash('sha256').update(JSON.stringify([model, promptHash, response])).digest('hex');

export class ExtractionCache {
  private constructor(
    readonly path: string,
    private readonly entries: Map<string, string>,
    private readonly log: LineAppender,
  ) {}

  static async open(path: string): Promise<E.Either<LineFileError, ExtractionCache>> {
    const opened = await openJsonl(path, CacheEntry, { name: `extraction cache ${path}` });
    if (E.isLeft(opened)) return opened;
    const entries = new Map(opened.right.contents.records.map((entry) => [entry.key, entry.extraction]));
    return E.right(new ExtractionCache(path, entries, opened.right.appender));
  }

  get(model: string, promptHash: string, response: string): string | undefined {
    return this.entries.get(extractionKey(model, promptHash, response));
  }

  async put(model: string, promptHash: string, response: string, extraction: string): Promise<void> {
    const key = extractionKey(model, promptHash, response);
    await this.log.appendJson({ type: 'extraction', key, model, promptHash, extraction, at: new Date().toISOString() } satisfies CacheEntry);
    this.entries.set(key, extraction);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
