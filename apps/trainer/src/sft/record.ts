/**
 * `sft.json`: what a warm start was trained from, the sha256 of the weights it stored, and how
 * they scored. Written atomically beside the checkpoint; read back with io-ts, so the cache
 * trusts an entry only when the record decodes, its hash is the configuration's and the
 * checkpoint's weights are the ones it names.
 */
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { decodeWith, literalUnion, readJson, type DecodeError } from '@rlflow/core';
import type { SuiteEvaluation } from '../evaluate/index.js';
import { FAMILIES, LEVELS } from '@rlflow/rollout';
import { SFT_FORMAT, SftConfigCodec } from './config.js';

export const RECORD_FILE = 'sft.json';
/** The checkpoint's directory inside an SFT output directory. */
export const CHECKPOINT_DIR = 'checkpoint';

const StatsProps = { count: t.number, correct: t.number, accuracy: t.number, formatRate: t.number, meanLength: t.number };
const FamilyCodec = literalUnion(FAMILIES);
const LevelCodec = literalUnion(LEVELS);

export const SftEvaluationCodec = t.type({
  overall: t.type(StatsProps),
  byLevel: t.array(t.type({ ...StatsProps, level: LevelCodec })),
  byFamily: t.array(t.type({ ...StatsProps, family: FamilyCodec })),
  cells: t.array(t.type({ ...StatsProps, family: FamilyCodec, level: LevelCodec })),
});

export const SftRecordCodec = t.type({
  format: t.literal(SFT_FORMAT),
  hash: t.string,
  config: SftConfigCodec,
  /** The checkpoint directory, relative to the record's directory. */
  checkpoint: t.string,
  /** sha256 of the checkpoint's weights (as its policy.json names them): the weights this record scored. */
  weightsSha256: t.string,
  /** The backend it was trained on (not part of the hash). */
  backend: t.string,
  seconds: t.type({ train: t.number, eval: t.number, total: t.number }),
  losses: t.array(t.number),
  /** Held-out accuracy overall and per level / family, keyed by level number and family name. */
  accuracy: t.type({ overall: t.number, byLevel: t.record(t.string, t.number), byFamily: t.record(t.string, t.number) }),
  evaluation: SftEvaluationCodec,
  createdAt: t.string,
});

export type SftRecord = t.TypeOf<typeof SftRecordCodec>;
export type SftEvaluation = t.TypeOf<typeof SftEvaluationCodec>;

/** The stored form of a suite evaluation (per-item answers left out). */
export const storedEvaluation = (evaluation: SuiteEvaluation): SftEvaluation => ({
  overall: evaluation.overall,
  byLevel: [...evaluation.byLevel],
  byFamily: [...evaluation.byFamily],
  cells: [...evaluation.cells],
});

export const accuracyOf = (evaluation: SftEvaluation): SftRecord['accuracy'] => ({
  overall: evaluation.overall.accuracy,
  byLevel: Object.fromEntries(evaluation.byLevel.map((s) => [String(s.level), s.accuracy])),
  byFamily: Object.fromEntries(evaluation.byFamily.map((s) => [s.family, s.accuracy])),
});

/** The record in `dir`, or why there is none usable. */
export const readSftRecord = async (dir: string): Promise<E.Either<DecodeError, SftRecord>> => {
  const path = join(dir, RECORD_FILE);
  const json = await readJson(path);
  return E.isLeft(json) ? json : decodeWith(SftRecordCodec, path)(json.right);
};
