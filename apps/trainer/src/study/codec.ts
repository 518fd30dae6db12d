/**
 * `study.json` as io-ts codecs, for whatever reads a study back (its tests, a later report):
 * `decodeStudyJson(source)(value)` checks every field and names the path of a bad one.
 */
import * as t from 'io-ts';
import { decodeWith, literalUnion } from '@rlflow/core';
import { RUN_FIGURES, STUDY_FORMAT, type StudySummary } from './summary.js';

const nullableNumber = t.union([t.number, t.null]);
const pair = t.tuple([t.number, t.number]);
const figureRecord = <C extends t.Mixed>(codec: C) => t.type(Object.fromEntries(RUN_FIGURES.map((f) => [f, codec])) as Record<(typeof RUN_FIGURES)[number], C>);

const FigureAggregate = t.type({ n: t.number, of: t.number, mean: nullableNumber, std: nullableNumber, ci95: t.union([pair, t.null]) });
const Interval = t.type({ estimate: t.number, ci95: pair });

export const StudyJson = t.type(
  {
    format: t.literal(STUDY_FORMAT),
    presets: t.array(t.string),
    seeds: t.array(t.number),
    steps: t.number,
    bootstrap: t.type({ resamples: t.number, seed: t.number }),
    runs: t.array(t.intersection([t.type({ preset: t.string, seed: t.number, dir: t.string, steps: t.number }), figureRecord(nullableNumber)])),
    summary: t.array(t.type({ preset: t.string, seeds: t.array(t.number), figures: figureRecord(FigureAggregate) })),
    comparisons: t.array(
      t.type({
        a: t.string,
        b: t.string,
        figure: literalUnion(RUN_FIGURES),
        claim: t.string,
        direction: literalUnion(['lower', 'higher'] as const),
        seeds: t.array(t.number),
        difference: t.union([Interval, t.null]),
        relative: t.union([Interval, t.null]),
        verdict: literalUnion(['holds', 'contradicted', 'undecided', 'no data'] as const),
      }),
    ),
    notes: t.array(t.string),
  },
  'StudyJson',
);
export type StudyJson = t.TypeOf<typeof StudyJson>;

/** A study summary is a StudyJson value (checked by the compiler). */
export const asStudyJson = (summary: StudySummary): StudyJson => ({
  ...summary,
  presets: [...summary.presets],
  seeds: [...summary.seeds],
  runs: summary.runs.map((r) => ({ ...r })),
  summary: summary.summary.map((s) => ({
    ...s,
    seeds: [...s.seeds],
    figures: Object.fromEntries(RUN_FIGURES.map((f) => [f, { ...s.figures[f], ci95: s.figures[f].ci95 === null ? null : [s.figures[f].ci95![0], s.figures[f].ci95![1]] }])) as StudyJson['summary'][number]['figures'],
  })),
  comparisons: summary.comparisons.map((c) => ({
    ...c,
    seeds: [...c.seeds],
    difference: c.difference === null ? null : { estimate: c.difference.estimate, ci95: [c.difference.ci95[0], c.difference.ci95[1]] },
    relative: c.relative === null ? null : { estimate: c.relative.estimate, ci95: [c.relative.ci95[0], c.relative.ci95[1]] },
  })),
  notes: [...summary.notes],
});

export const decodeStudyJson = (source: string) => decodeWith(StudyJson, source);
