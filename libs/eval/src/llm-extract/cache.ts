/**
 * The on-disk cache of LLM extractions, so re-scoring a run costs no judge call: a JSON-lines
 * file (append-only, fsync'd, torn last line tolerated; endpoint/jsonl-log.ts) of entries keyed by
 * sha256(judge model, prompt hash, response). The response itself is not stored, only its part in
 * the key; a later entry for a key replaces an earlier one.
 */
import { createHash } from 'node:crypto';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { AppendLog, readJsonl, type JsonlError } from '../endpoint/jsonl-log.js';

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
    private readonly log: AppendLog,
  ) {}

  static async open(path: string): Promise<E.Either<JsonlError, ExtractionCache>> {
    const read = await readJsonl(path, CacheEntry);
    if (E.isLeft(read)) return read;
    const entries = new Map(read.right.records.map((entry) => [entry.key, entry.extraction]));
    const log = await AppendLog.open(path, read.right.validBytes, read.right.tornBytes);
    return E.right(new ExtractionCache(path, entries, log));
  }

  get(model: string, promptHash: string, response: string): string | undefined {
    return this.entries.get(extractionKey(model, promptHash, response));
  }

  async put(model: string, promptHash: string, response: string, extraction: string): Promise<void> {
    const key = extractionKey(model, promptHash, response);
    await this.log.append({ type: 'extraction', key, model, promptHash, extraction, at: new Date().toISOString() } satisfies CacheEntry);
    this.entries.set(key, extraction);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
