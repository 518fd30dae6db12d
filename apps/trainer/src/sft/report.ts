/** What `rlflow sft` prints at the end: where the warm start is, how long it took, and its held-out accuracy per level and family. */
import { formatSuiteTable } from '../evaluate/index.js';
import { formatDuration } from '../metrics/index.js';
import type { SftCheckpoint } from './store.js';

export const formatSftReport = (checkpoint: SftCheckpoint): string => {
  const { record } = checkpoint;
  const c = record.config;
  const status = checkpoint.trained
    ? `trained in ${formatDuration(record.seconds.total)} (training ${formatDuration(record.seconds.train)}, evaluation ${formatDuration(record.seconds.eval)}) on ${record.backend}`
    : `reused (trained ${record.createdAt} in ${formatDuration(record.seconds.total)} on ${record.backend}; --force retrains)`;
  const final = record.losses.length === 0 ? '–' : record.losses[record.losses.length - 1]!.toFixed(3);
  return [
    `sft warm start ${record.hash}: ${status}`,
    `  ${checkpoint.dir}`,
    `  ${c.steps} steps × ${c.batchSize} solutions, levels ${c.levels.join(',')}, seed ${c.seed}, final loss ${final}`,
    `held-out accuracy (${c.eval.split} split, greedy, ${c.eval.problemsPerCell} problems per family and level):`,
    formatSuiteTable(record.evaluation, 'level'),
    '',
    formatSuiteTable(record.evaluation, 'family'),
    '',
  ].join('\n');
};
