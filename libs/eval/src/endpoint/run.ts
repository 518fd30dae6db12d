/**
 * Runs every (item, sample) of an evaluation against a chat client: the samples the journal
 * already holds as finished are skipped, the rest go out with bounded concurrency, and each
 * result (reply or failure) is appended to the journal as it arrives. An abort stops new
 * requests, cancels those in flight and journals nothing for them, so a re-run asks for exactly
 * the samples that have no finished line.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { ChatClient, ChatMessage } from './client.js';
import { sampleKey, type Journal, type SampleEntry } from './journal.js';
import { forEachBounded } from './pool.js';

/** One benchmark item: its id and how to build its messages (images are read only when sent). */
export interface RunItem {
  readonly id: string;
  readonly messages: () => Promise<E.Either<string, readonly ChatMessage[]>>;
}

export interface EndpointSamplingParams {
  readonly model: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly topP?: number;
  /** Per-sample seed sent to the server, when the run asks for one. */
  readonly seedOf?: (id: string, sample: number) => number;
}

export interface EndpointRunOptions {
  readonly items: readonly RunItem[];
  readonly samples: number;
  readonly client: ChatClient;
  readonly journal: Journal;
  readonly sampling: EndpointSamplingParams;
  readonly concurrency: number;
  /** Request again the samples whose journal line is an error (default true). */
  readonly retryErrors?: boolean;
  readonly signal?: AbortSignal;
  readonly onSample?: (entry: SampleEntry, done: number, total: number) => void;
  /** Applied to every response and error text before it is journaled. */
  readonly scrub?: (text: string) => string;
}

export interface RunOutcome {
  /** Samples of the selected items that were already finished in the journal. */
  readonly resumed: number;
  /** Samples requested by this run (finished or not). */
  readonly requested: number;
  /** Samples journaled by this run. */
  readonly journaled: number;
  readonly aborted: boolean;
}

interface Task {
  readonly item: RunItem;
  readonly sample: number;
}

export const pendingTasks = (
  items: readonly RunItem[],
  samples: number,
  entries: ReadonlyMap<string, SampleEntry>,
  retryErrors: boolean,
): { readonly pending: readonly Task[]; readonly finished: number } => {
  const pending: Task[] = [];
  let finished = 0;
  for (const item of items) {
    for (let sample = 0; sample < samples; sample++) {
      const standing = entries.get(sampleKey(item.id, sample));
      if (standing?.status === 'ok' || (standing !== undefined && !retryErrors)) finished += 1;
      else pending.push({ item, sample });
    }
  }
  return { pending, finished };
};

export const runSamples = async (options: EndpointRunOptions): Promise<RunOutcome> => {
  const { items, samples, client, journal, sampling, signal } = options;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, found ${samples}`);
  const scrub = options.scrub ?? ((text: string) => text);
  const { pending, finished } = pendingTasks(items, samples, journal.entries(), options.retryErrors ?? true);
  const total = finished + pending.length;
  let requested = 0;
  let journaled = 0;

  const entryOf = (task: Task, fields: Pick<SampleEntry, 'status' | 'response' | 'error' | 'finishReason' | 'attempts' | 'elapsedMs' | 'promptTokens' | 'completionTokens'>): SampleEntry => ({
    type: 'sample',
    id: task.item.id,
    sample: task.sample,
    ...fields,
    at: new Date().toISOString(),
  });

  const runTask = async (task: Task): Promise<void> => {
    const messages = await task.item.messages();
    let entry: SampleEntry;
    if (E.isLeft(messages)) {
      entry = entryOf(task, {
        status: 'error',
        response: null,
        error: { kind: 'input', message: scrub(messages.left), status: null },
        finishReason: null,
        attempts: 0,
        elapsedMs: 0,
        promptTokens: null,
        completionTokens: null,
      });
    } else {
      requested += 1;
      const seed = sampling.seedOf?.(task.item.id, task.sample);
      const result = await client.complete(
        {
          model: sampling.model,
          messages: messages.right,
          ...(sampling.temperature === undefined ? {} : { temperature: sampling.temperature }),
          ...(sampling.maxTokens === undefined ? {} : { maxTokens: sampling.maxTokens }),
          ...(sampling.topP === undefined ? {} : { topP: sampling.topP }),
          ...(seed === undefined ? {} : { seed }),
        },
        { key: sampleKey(task.item.id, task.sample), ...(signal === undefined ? {} : { signal }) },
      );
      if (E.isLeft(result) && result.left.kind === 'aborted') return;
      entry = E.isRight(result)
        ? entryOf(task, {
            status: 'ok',
            response: scrub(result.right.content),
            error: null,
            finishReason: result.right.finishReason,
            attempts: result.right.attempts,
            elapsedMs: result.right.elapsedMs,
            promptTokens: result.right.usage?.promptTokens ?? null,
            completionTokens: result.right.usage?.completionTokens ?? null,
          })
        : entryOf(task, {
            status: 'error',
            response: null,
            error: { kind: result.left.kind, message: scrub(result.left.message), status: result.left.status },
            finishReason: null,
            attempts: result.left.attempts,
            elapsedMs: 0,
            promptTokens: null,
            completionTokens: null,
          });
    }
    await journal.append(entry);
    journaled += 1;
    options.onSample?.(entry, finished + journaled, total);
  };

  await forEachBounded(pending, options.concurrency, runTask, signal);
  return { resumed: finished, requested, journaled, aborted: signal?.aborted === true };
};
