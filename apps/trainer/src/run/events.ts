/**
 * `DIR/events.log`: one JSON object per line for each notable event of a run, stamped with the
 * wall-clock time and fsynced (an `@rlflow/core` line file), so the log of a crashed run is
 * complete up to the crash.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { openJsonl, readJsonl, type LineFileError } from '@rlflow/core';
import { runPaths } from './layout.js';
import type { StopSignal } from './signals.js';

export type RunEvent =
  | { readonly type: 'run-start'; readonly step: number; readonly resumed: boolean; readonly preset: string | null }
  | { readonly type: 'non-finite-skip'; readonly step: number; readonly inARow: number; readonly detail: string }
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string; readonly pruned: readonly string[] }
  | { readonly type: 'eval'; readonly step: number; readonly accuracy: number; readonly sampledAccuracy?: number; readonly cells: Readonly<Record<string, number>> }
  | { readonly type: 'signal'; readonly step: number; readonly signal: StopSignal }
  | { readonly type: 'run-end'; readonly step: number; readonly reason: 'completed' | 'signal' | 'non-finite' | 'error'; readonly detail: string };

export type LoggedEvent = RunEvent & { readonly time: string };

export interface EventLog {
  /** Appends the event with its time, durable when the promise resolves; calls are serialised. */
  readonly append: (event: RunEvent) => Promise<void>;
  readonly close: () => Promise<void>;
}

/** Checks the fields every event has; the rest of an event is as its writer (this file) wrote it. */
const loggedEvent = t.type({ time: t.string, type: t.string, step: t.number }) as t.Decoder<unknown, unknown> as t.Decoder<unknown, LoggedEvent>;

const orThrow = <A>(result: E.Either<LineFileError, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

/**
 * Opens the run's event log for appending, after cutting off a line torn by a crash. A corrupt
 * line before the last rejects with the `LineFileError` naming it.
 */
export const openEventLog = async (dir: string, now: () => Date = () => new Date()): Promise<EventLog> => {
  const { appender } = orThrow(await openJsonl(runPaths(dir).events, loggedEvent, { name: 'events: the log' }));
  return {
    append: (event) => appender.appendJson({ time: now().toISOString(), ...event }),
    close: appender.close,
  };
};

/** The events logged so far, a torn last line ignored; a corrupt line before it rejects with the `LineFileError` naming it. */
export const readEventLog = async (dir: string): Promise<LoggedEvent[]> => [...orThrow(await readJsonl(runPaths(dir).events, loggedEvent)).records];
