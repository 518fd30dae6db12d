/**
 * The curriculum state as JSON, for checkpoints (docs/architecture.md: external input is decoded with
 * io-ts). Prompts are stored as [key, record] pairs so any string is a safe key; decoding checks
 * every count is a non-negative integer, every pass rate lies in [0, 1] and K ≥ 1.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { decodeWith, literalUnion, type DecodeError } from '@rlflow/core';
import { CURRICULUM_PHASES, type CurriculumState } from './state.js';

const numberWhere = (name: string, holds: (x: number) => boolean): t.Type<number, number, unknown> =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && holds(u),
    (u, context) => (typeof u === 'number' && holds(u) ? t.success(u) : t.failure(u, context)),
    t.identity,
  );

const Count = numberWhere('NonNegativeInteger', (x) => Number.isInteger(x) && x >= 0);
const Probability = numberWhere('Probability', (x) => x >= 0 && x <= 1);

export const CurriculumStateJson = t.type({
  step: Count,
  reuse: numberWhere('PositiveInteger', (x) => Number.isInteger(x) && x >= 1),
  phase: literalUnion(CURRICULUM_PHASES),
  prompts: t.array(t.tuple([t.string, t.type({ passRates: t.array(Probability), seen: Count, lastStep: Count })])),
  gate: t.type({ kept: Count, rejected: Count, lastKeepRate: t.union([Probability, t.null]) }),
});
export type CurriculumStateJson = t.TypeOf<typeof CurriculumStateJson>;

export const encodeCurriculumState = (state: CurriculumState): CurriculumStateJson => ({
  step: state.step,
  reuse: state.reuse,
  phase: state.phase,
  prompts: Array.from(state.prompts, ([key, { passRates, seen, lastStep }]) => [key, { passRates: [...passRates], seen, lastStep }]),
  gate: { ...state.gate },
});

export const decodeCurriculumState = (source: string) => (input: unknown): E.Either<DecodeError, CurriculumState> =>
  pipe(
    decodeWith(CurriculumStateJson, source)(input),
    E.map((json) => ({ ...json, prompts: new Map(json.prompts) })),
  );
