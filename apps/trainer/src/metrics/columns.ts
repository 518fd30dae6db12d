/**
 * Metric names and the column order of `metrics.csv`: `step` first, then the known metrics in the
 * order below, then columns declared up front (e.g. the eval cells), then any other key the
 * first time it appears, sorted.
 */

export const KNOWN_METRIC_KEYS = [
  'step',
  'time/step_s',
  'time/rollout_s',
  'time/update_s',
  'reward/mean',
  'reward/accuracy',
  'response_length/mean',
  'response_length/correct_mean',
  'response_length/wrong_mean',
  'actor/pg_loss',
  'actor/pg_clipfrac',
  'actor/ppo_kl',
  'actor/entropy',
  'actor/kl_loss',
  'actor/grad_norm',
  'actor/lr',
  'curriculum/reuse',
  'curriculum/kept_groups',
  'curriculum/rejected_groups',
  'clip/eps_low_mean',
  'clip/eps_high_mean',
  'apo/positive_frac',
  'apo/dads_weight_mean',
  'apo/stcr_multiplier_mean',
  'memory/num_tensors',
  'memory/rss_mb',
  'eval/accuracy',
  'eval/sampled_accuracy',
] as const;

export type KnownMetricKey = (typeof KNOWN_METRIC_KEYS)[number];

/** A cell of a metrics row; non-finite numbers are written as the strings `NaN`, `Infinity`, `-Infinity`. */
export type MetricValue = number | string | boolean | null;

/** One step's metrics. `step` is the number of optimizer steps completed (1 for the first). */
export type MetricRow = { readonly step: number } & { readonly [key: string]: MetricValue | undefined };

/** `eval/accuracy/<family>/<level>`: held-out accuracy on one cell of the task suite. */
export const evalCellKey = (family: string, level: number): string => `eval/accuracy/${family}/${level}`;

export const evalCellKeys = (families: readonly string[], levels: readonly number[]): string[] =>
  families.flatMap((family) => levels.map((level) => evalCellKey(family, level)));

/** Known keys, then `declared` in its order, without repeats. */
export const metricColumns = (declared: readonly string[] = []): string[] => [...new Set<string>([...KNOWN_METRIC_KEYS, ...declared])];

/** `columns` followed by the keys of `keys` it lacks, sorted. */
export const extendColumns = (columns: readonly string[], keys: Iterable<string>): string[] => {
  const present = new Set(columns);
  const added = [...new Set(keys)].filter((key) => !present.has(key)).sort();
  return [...columns, ...added];
};

/** Keys that differ between two runs of the same configuration: wall-clock times and process memory. */
export const isRunDependentKey = (key: string): boolean => key.startsWith('time/') || key === 'memory/rss_mb';
