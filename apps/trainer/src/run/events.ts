/**
 * `DIR/events.log`: one JSON object per line for each notable event of a run, stamped with the
 * wall-clock time and fsynced, so the log of a crashed run is complete up to the crash.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { runPaths } from './layout.js';
import { serialWriter } from './serial.js';
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
  /** Appends the event with its time; calls are serialised. */
  readonly append: (event: RunEvent) => Promise<void>;
  readonly close: () => Promise<void>;
}

export const openEventLog = async (dir: string, now: () => Date = () => new Date()): Promise<EventLog> => {
  const path = runPaths(dir).events;
  await mkdir(dirname(path), { recursive: true });
  const existing = await readFile(path, 'utf8').catch(() => '');
  const handle: FileHandle = await open(path, 'a');
  if (existing.length > 0 && !existing.endsWith('\n')) await handle.appendFile('\n', 'utf8');
  const write = async (event: RunEvent): Promise<void> => {
    await handle.appendFile(`${JSON.stringify({ time: now().toISOString(), ...event })}\n`, 'utf8');
    await handle.sync();
  };
  const writer = serialWriter('events: the log', write, () => handle.close());
  return { append: writer.push, close: writer.close };
};

const loggedEventShape = t.type({ time: t.string, type: t.string, step: t.number });

/** The events logged so far, skipping lines that do not parse (a line torn by a crash). */
export const readEventLog = async (dir: string): Promise<LoggedEvent[]> => {
  const text = await readFile(runPaths(dir).events, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    if (line === '') return [];
    try {
      const value: unknown = JSON.parse(line);
      return E.isRight(loggedEventShape.decode(value)) ? [value as LoggedEvent] : [];
    } catch {
      return [];
    }
  });
};
