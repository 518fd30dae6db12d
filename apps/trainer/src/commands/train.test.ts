/**
 * The `rlflow train` / `rlflow resume` commands as a user runs them: a child process per command,
 * killed with SIGKILL or interrupted with SIGINT mid-run, then resumed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { compareMetricsFiles } from '../metrics/index.js';
import { latestTrainingCheckpoint } from '../pipeline/checkpoint.js';
import { runTraining } from '../pipeline/run.js';
import { tinyInitCheckpoint, tinyRunConfig } from '../pipeline/testing/tiny-run.js';
import { readEventLog, runPaths } from '../run/index.js';

const bin = resolve(import.meta.dirname, '../../bin/rlflow.js');

interface Child {
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  readonly kill: (signal: NodeJS.Signals) => void;
}

const rlflow = (args: readonly string[]): Child => {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  return {
    done: new Promise((ok) => child.on('exit', (code, signal) => ok({ code, signal, stderr }))),
    kill: (signal) => child.kill(signal),
  };
};

const rowCount = async (dir: string): Promise<number> =>
  (await readFile(runPaths(dir).metricsJsonl, 'utf8').catch(() => '')).split('\n').filter((l) => l.endsWith('}')).length;

const waitForRows = async (dir: string, rows: number, child: Child): Promise<void> => {
  let exited = false;
  void child.done.then(() => (exited = true));
  while ((await rowCount(dir)) < rows) {
    if (exited) throw new Error(`the run ended before writing ${rows} metrics row(s)`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
};

let work: string;
let init: string;
let configFile: string;
const config = () => tinyRunConfig('acpo', init, ['steps=4']);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rlflow-cli-'));
  init = await tinyInitCheckpoint();
  configFile = join(work, 'tiny.json');
  await writeFile(configFile, JSON.stringify(config()));
});
afterAll(async () => {
  await Promise.all([work, init].filter((d) => d !== undefined).map((d) => rm(d, { recursive: true, force: true })));
});

describe('rlflow train', () => {
  it('rejects a bad configuration before anything runs, naming each field, with exit code 2', async () => {
    const out = join(work, 'bad');
    const { code, stderr } = await rlflow(['train', '--preset', 'acpo', '--set', 'clip.epsHigh=-1', '--set', 'optimizer.lrr=1', '--out', out]).done;
    expect(code).toBe(2);
    expect(stderr).toContain('clip.epsHigh: expected a number in [0, 10], found -1');
    expect(stderr).toContain('optimizer.lrr: unknown key');
    expect(await rowCount(out)).toBe(0);
  });

  it('rejects an unknown preset with exit code 2', async () => {
    const { code, stderr } = await rlflow(['train', '--preset', 'nope', '--out', join(work, 'nope')]).done;
    expect(code).toBe(2);
    expect(stderr).toMatch(/preset/);
  });

  it('killed with SIGKILL mid-run and resumed, ends exactly as an uninterrupted run', async () => {
    const whole = join(work, 'whole');
    await runTraining({ config: config(), dir: whole, resume: false, log: () => undefined, progressStream: { write: () => true }, handleSignals: false });

    const killed = join(work, 'killed');
    const child = rlflow(['train', '--config', configFile, '--out', killed]);
    await waitForRows(killed, 2, child);
    child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    const resumed = await rlflow(['resume', killed]).done;
    expect(resumed.code, resumed.stderr).toBe(0);

    const diff = await compareMetricsFiles(whole, killed);
    expect(E.isRight(diff) ? diff.right : [diff.left.message]).toEqual([]);
    const weights = async (dir: string) => readFile(join(runPaths(dir).checkpoints, 'step-000004', 'policy', 'weights.bin'));
    expect(Buffer.compare(await weights(whole), await weights(killed))).toBe(0);
  });

  it('on SIGINT finishes the step, writes a checkpoint and exits with 130', async () => {
    const dir = join(work, 'interrupted');
    const child = rlflow(['train', '--config', configFile, '--set', 'checkpoint.every=0', '--out', dir]);
    await waitForRows(dir, 1, child);
    child.kill('SIGINT');
    const { code } = await child.done;
    expect(code).toBe(130);
    const rows = await rowCount(dir);
    expect(rows).toBeLessThan(4);
    expect((await latestTrainingCheckpoint(dir))?.step).toBe(rows);
    expect((await readEventLog(dir)).some((e) => e.type === 'signal' && e.signal === 'SIGINT')).toBe(true);
  });
});
