/**
 * Checkpoint directories of a run: `DIR/checkpoints/step-000010/` holds the state after step 10
 * (its files — weights, optimizer, RNG — are libs/policy's business). A checkpoint is complete
 * when its `manifest.json` exists and decodes; it is written under `.tmp-step-…` and renamed into
 * place, so a crash leaves only a temporary directory, which is ignored and cleaned.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { writeDirAtomic } from '@rlflow/core';
import { runPaths } from './layout.js';

export const MANIFEST_FILE = 'manifest.json';
export const TEMP_PREFIX = '.tmp-';

/** Any JSON object: what a manifest must be at least, when the caller has no finer codec. */
export const AnyManifest: t.Type<Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>, unknown> = new t.Type(
  'a JSON object',
  (u): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u),
  (u, c) => (typeof u === 'object' && u !== null && !Array.isArray(u) ? t.success(u as Readonly<Record<string, unknown>>) : t.failure(u, c)),
  t.identity,
);

export const checkpointDirName = (step: number): string => {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`checkpoint: step ${step} is not an integer ≥ 0`);
  return `step-${String(step).padStart(6, '0')}`;
};

/** The step of a checkpoint directory name, or null for any other name (including non-canonical ones like `step-10`). */
export const parseCheckpointDirName = (name: string): number | null => {
  const match = /^step-(\d{6,})$/.exec(name);
  if (match === null) return null;
  const step = Number(match[1]);
  return Number.isSafeInteger(step) && checkpointDirName(step) === name ? step : null;
};

export interface CheckpointEntry<M> {
  readonly step: number;
  readonly path: string;
  readonly manifest: M;
}

/** The decoded manifest of a checkpoint directory, or null when it is missing or does not decode. */
export const readCheckpointManifest = async <M>(path: string, manifest: t.Decoder<unknown, M>): Promise<M | null> => {
  let text: string;
  try {
    text = await readFile(join(path, MANIFEST_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const decoded = manifest.decode(JSON.parse(text));
    return E.isRight(decoded) ? decoded.right : null;
  } catch {
    return null;
  }
};

const entries = async (dir: string): Promise<string[]> => {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
};

/** Complete checkpoints of the run in `dir`, by increasing step. */
export async function listCheckpoints(dir: string): Promise<CheckpointEntry<Readonly<Record<string, unknown>>>[]>;
export async function listCheckpoints<M>(dir: string, manifest: t.Decoder<unknown, M>): Promise<CheckpointEntry<M>[]>;
export async function listCheckpoints(dir: string, manifest: t.Decoder<unknown, unknown> = AnyManifest): Promise<CheckpointEntry<unknown>[]> {
  const root = runPaths(dir).checkpoints;
  const found = await Promise.all(
    (await entries(root)).map(async (name) => {
      const step = parseCheckpointDirName(name);
      if (step === null) return [];
      const path = join(root, name);
      const decoded = await readCheckpointManifest(path, manifest);
      return decoded === null ? [] : [{ step, path, manifest: decoded }];
    }),
  );
  return found.flat().sort((a, b) => a.step - b.step);
}

/** The complete checkpoint with the highest step, or null. */
export async function latestCheckpoint(dir: string): Promise<CheckpointEntry<Readonly<Record<string, unknown>>> | null>;
export async function latestCheckpoint<M>(dir: string, manifest: t.Decoder<unknown, M>): Promise<CheckpointEntry<M> | null>;
export async function latestCheckpoint(dir: string, manifest: t.Decoder<unknown, unknown> = AnyManifest): Promise<CheckpointEntry<unknown> | null> {
  const all = await listCheckpoints(dir, manifest);
  return all[all.length - 1] ?? null;
}

/** Removes the `.tmp-*` entries of the checkpoints directory; returns their paths. */
export const cleanCheckpointTemps = async (dir: string): Promise<string[]> => {
  const root = runPaths(dir).checkpoints;
  const temps = (await entries(root)).filter((name) => name.startsWith(TEMP_PREFIX)).map((name) => join(root, name));
  await Promise.all(temps.map((path) => rm(path, { recursive: true, force: true })));
  return temps.sort();
};

/**
 * Keeps the `keep` complete checkpoints with the highest steps and removes the older complete
 * ones and every temporary directory; incomplete `step-*` directories are left alone. Returns
 * the removed paths.
 */
export const pruneCheckpoints = async (dir: string, keep: number, manifest: t.Decoder<unknown, unknown> = AnyManifest): Promise<string[]> => {
  if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`checkpoint: keep ${keep} is not an integer ≥ 1`);
  const complete = await listCheckpoints(dir, manifest);
  const old = complete.slice(0, Math.max(0, complete.length - keep)).map((entry) => entry.path);
  await Promise.all(old.map((path) => rm(path, { recursive: true, force: true })));
  const temps = await cleanCheckpointTemps(dir);
  return [...old, ...temps];
};

/**
 * Writes the checkpoint of `step`: `write` fills a fresh temporary directory (and must leave a
 * `manifest.json` there that `manifest` decodes), which is then renamed to `step-NNNNNN`,
 * replacing an existing checkpoint of that step. Returns the final path.
 */
export const writeCheckpointDir = async (
  dir: string,
  step: number,
  write: (tempDir: string) => Promise<void>,
  manifest: t.Decoder<unknown, unknown> = AnyManifest,
): Promise<string> => {
  const finalPath = join(runPaths(dir).checkpoints, checkpointDirName(step));
  await writeDirAtomic(
    finalPath,
    async (tempPath) => {
      await write(tempPath);
      if ((await readCheckpointManifest(tempPath, manifest)) === null) throw new Error(`checkpoint: ${tempPath}/${MANIFEST_FILE} is missing or does not decode`);
    },
    TEMP_PREFIX,
  );
  return finalPath;
};
