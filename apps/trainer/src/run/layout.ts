/**
 * The run directory:
 *
 *   DIR/config.json                 the resolved configuration (with its preset name)
 *   DIR/metrics.jsonl, metrics.csv  one row per step
 *   DIR/events.log                  JSONL log of notable events
 *   DIR/checkpoints/step-000010/    one complete checkpoint per directory (content: libs/policy)
 *   DIR/checkpoints/.tmp-*          checkpoints being written; ignored and cleaned
 */
import { join } from 'node:path';

export interface RunPaths {
  readonly dir: string;
  readonly config: string;
  readonly metricsJsonl: string;
  readonly metricsCsv: string;
  readonly events: string;
  readonly checkpoints: string;
}

export const runPaths = (dir: string): RunPaths => ({
  dir,
  config: join(dir, 'config.json'),
  metricsJsonl: join(dir, 'metrics.jsonl'),
  metricsCsv: join(dir, 'metrics.csv'),
  events: join(dir, 'events.log'),
  checkpoints: join(dir, 'checkpoints'),
});
