/**
 * The common shape of a benchmark score: micro-averaged accuracy = correct / total over items, the
 * number of items whose answer could not be read ("unparsed", defined per benchmark), and
 * breakdowns `key → group → {correct, total, accuracy}` where an item may count in several groups
 * of one key (MathVista skills, LogicVista skills).
 */

/** The benchmarks rlflow scores and evaluates: the one list of their names (scorers, `rlflow score`, `rlflow eval`). */
export const BENCHMARK_NAMES = ['mathvista', 'logicvista', 'mmmu-pro'] as const;
export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

export const isBenchmarkName = (name: string): name is BenchmarkName => (BENCHMARK_NAMES as readonly string[]).includes(name);

export interface GroupScore {
  readonly correct: number;
  readonly total: number;
  /** correct / total, in [0, 1]. */
  readonly accuracy: number;
}

/** key → group value → score; groups listed by accuracy, highest first (ties in order of first appearance). */
export type Breakdown = Readonly<Record<string, Readonly<Record<string, GroupScore>>>>;

export interface ItemResult {
  readonly id: string;
  /** The normalised prediction compared with the answer (`null` where normalisation failed). */
  readonly prediction: string | null;
  readonly correct: boolean;
  /** False when the scorer could not read an answer from the response (see each benchmark). */
  readonly parsed: boolean;
}

export interface BenchmarkScore<I extends ItemResult = ItemResult> {
  readonly benchmark: BenchmarkName;
  readonly correct: number;
  readonly total: number;
  /** correct / total, in [0, 1] (0 when there are no items). */
  readonly accuracy: number;
  readonly unparsed: number;
  readonly breakdown: Breakdown;
  readonly items: readonly I[];
}

/** An item's group memberships under each breakdown key. */
export type GroupMemberships = Readonly<Record<string, readonly string[]>>;

/**
 * Counts correct/total per group. Groups are ordered by accuracy, highest first, as the official
 * MathVista score file sorts them; equal accuracies keep the order in which groups first appear.
 */
export const breakdownOf = (keys: readonly string[], items: ReadonlyArray<{ readonly correct: boolean; readonly groups: GroupMemberships }>): Breakdown => {
  const out: Record<string, Record<string, GroupScore>> = {};
  for (const key of keys) {
    const counts = new Map<string, { correct: number; total: number }>();
    for (const item of items) {
      for (const group of new Set(item.groups[key] ?? [])) {
        const count = counts.get(group) ?? { correct: 0, total: 0 };
        count.total += 1;
        if (item.correct) count.correct += 1;
        counts.set(group, count);
      }
    }
    const ordered = [...counts.entries()]
      .map(([group, c], order) => ({ group, order, score: { correct: c.correct, total: c.total, accuracy: c.correct / c.total } }))
      .sort((a, b) => b.score.accuracy - a.score.accuracy || a.order - b.order);
    out[key] = Object.fromEntries(ordered.map(({ group, score }) => [group, score]));
  }
  return out;
};

/** Totals of a list of item results. */
export const totalsOf = (items: readonly ItemResult[]): { correct: number; total: number; accuracy: number; unparsed: number } => {
  const correct = items.filter((item) => item.correct).length;
  return {
    correct,
    total: items.length,
    accuracy: items.length === 0 ? 0 : correct / items.length,
    unparsed: items.filter((item) => !item.parsed).length,
  };
};
