import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { appendFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import {
  SIGNAL_EXIT_CODES,
  checkpointDirName,
  cleanCheckpointTemps,
  createProgress,
  formatProgressLine,
  installStopHandler,
  latestCheckpoint,
  listCheckpoints,
  openEventLog,
  parseCheckpointDirName,
  pruneCheckpoints,
  readEventLog,
  runPaths,
  writeCheckpointDir,
  type StopSignal,
} from './index.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'rlflow-run-'));

const makeCheckpoint = async (dir: string, name: string, manifest: string | null): Promise<void> => {
  const path = join(runPaths(dir).checkpoints, name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'weights.bin'), 'w');
  if (manifest !== null) await writeFile(join(path, 'manifest.json'), manifest);
};

describe('run directory layout', () => {
  it('names the files of a run', () => {
    expect(runPaths('runs/a')).toEqual({
      dir: 'runs/a',
      config: join('runs/a', 'config.json'),
      metricsJsonl: join('runs/a', 'metrics.jsonl'),
      metricsCsv: join('runs/a', 'metrics.csv'),
      events: join('runs/a', 'events.log'),
      checkpoints: join('runs/a', 'checkpoints'),
    });
  });
});

describe('checkpoint directories', () => {
  it('names and parses step directories canonically', () => {
    expect(checkpointDirName(10)).toBe('step-000010');
    expect(checkpointDirName(1234567)).toBe('step-1234567');
    expect(parseCheckpointDirName('step-000010')).toBe(10);
    expect(parseCheckpointDirName('step-1234567')).toBe(1234567);
    for (const name of ['step-10', 'step-0000010', '.tmp-step-000010-ab', 'step-00001x', 'latest']) expect(parseCheckpointDirName(name)).toBeNull();
    expect(() => checkpointDirName(-1)).toThrow('checkpoint: step -1 is not an integer ≥ 0');
  });

  const populate = async (): Promise<string> => {
    const dir = await tempDir();
    await makeCheckpoint(dir, 'step-000020', '{"step": 20}');
    await makeCheckpoint(dir, 'step-000010', '{"step": 10}');
    await makeCheckpoint(dir, 'step-000005', '{"other": true}');
    await makeCheckpoint(dir, 'step-000030', null);
    await makeCheckpoint(dir, 'step-000040', '{"step": 4');
    await makeCheckpoint(dir, 'step-000045', '[1]');
    await makeCheckpoint(dir, '.tmp-step-000050-abcd', '{"step": 50}');
    await makeCheckpoint(dir, 'notes', '{}');
    return dir;
  };

  it('lists complete checkpoints by step, ignoring temporary, incomplete and undecodable ones', async () => {
    const dir = await populate();
    expect((await listCheckpoints(dir)).map((c) => [c.step, c.path])).toEqual([
      [5, join(runPaths(dir).checkpoints, 'step-000005')],
      [10, join(runPaths(dir).checkpoints, 'step-000010')],
      [20, join(runPaths(dir).checkpoints, 'step-000020')],
    ]);
    const withStep = t.type({ step: t.number });
    expect((await listCheckpoints(dir, withStep)).map((c) => c.manifest)).toEqual([{ step: 10 }, { step: 20 }]);
    expect((await latestCheckpoint(dir, withStep))?.step).toBe(20);
    expect(await latestCheckpoint(await tempDir())).toBeNull();
  });

  it('prunes to the newest `keep` complete checkpoints and cleans temporary directories', async () => {
    const dir = await populate();
    const root = runPaths(dir).checkpoints;
    expect(await pruneCheckpoints(dir, 2)).toEqual([join(root, 'step-000005'), join(root, '.tmp-step-000050-abcd')]);
    expect((await readdir(root)).sort()).toEqual(['notes', 'step-000010', 'step-000020', 'step-000030', 'step-000040', 'step-000045']);
    expect(await pruneCheckpoints(dir, 2)).toEqual([]);
    await expect(pruneCheckpoints(dir, 0)).rejects.toThrow('checkpoint: keep 0 is not an integer ≥ 1');
  });

  it('writes a checkpoint through a temporary directory, replacing one of the same step', async () => {
    const dir = await tempDir();
    const root = runPaths(dir).checkpoints;
    const seen: string[] = [];
    const path = await writeCheckpointDir(dir, 10, async (temp) => {
      seen.push(temp);
      await writeFile(join(temp, 'manifest.json'), '{"version": 1}');
    });
    expect(path).toBe(join(root, 'step-000010'));
    expect(seen[0]!.startsWith(join(root, '.tmp-step-000010-'))).toBe(true);
    await writeCheckpointDir(dir, 10, (temp) => writeFile(join(temp, 'manifest.json'), '{"version": 2}'));
    expect(await readdir(root)).toEqual(['step-000010']);
    expect(await readFile(join(path, 'manifest.json'), 'utf8')).toBe('{"version": 2}');
  });

  it('leaves nothing behind when the writer fails or writes no manifest', async () => {
    const dir = await tempDir();
    await expect(writeCheckpointDir(dir, 3, (temp) => writeFile(join(temp, 'weights.bin'), 'w'))).rejects.toThrow(/manifest\.json is missing or does not decode/);
    await expect(writeCheckpointDir(dir, 3, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    expect(await readdir(runPaths(dir).checkpoints)).toEqual([]);
    await makeCheckpoint(dir, '.tmp-step-000004-dead', null);
    expect(await cleanCheckpointTemps(dir)).toEqual([join(runPaths(dir).checkpoints, '.tmp-step-000004-dead')]);
  });
});

describe('events.log', () => {
  it('appends one timestamped JSON line per event and reads them back, skipping a torn line', async () => {
    const dir = await tempDir();
    const clock = () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
    const log = await openEventLog(dir, clock);
    await log.append({ type: 'run-start', step: 0, resumed: false, preset: 'acpo' });
    await log.append({ type: 'non-finite-skip', step: 7, inARow: 1, detail: 'actor/grad_norm is NaN' });
    await log.close();
    await expect(log.append({ type: 'signal', step: 8, signal: 'SIGINT' })).rejects.toThrow('events: the log is closed');
    expect(await readFile(runPaths(dir).events, 'utf8')).toBe(
      '{"time":"2025-01-02T03:04:05.000Z","type":"run-start","step":0,"resumed":false,"preset":"acpo"}\n' +
        '{"time":"2025-01-02T03:04:05.000Z","type":"non-finite-skip","step":7,"inARow":1,"detail":"actor/grad_norm is NaN"}\n',
    );
    await appendFile(runPaths(dir).events, '{"time":"2025');
    const reopened = await openEventLog(dir, clock);
    await reopened.append({ type: 'checkpoint', step: 10, path: 'checkpoints/step-000010', pruned: [] });
    await reopened.append({ type: 'eval', step: 10, accuracy: 0.5, cells: { 'eval/accuracy/chart/1': 0.5 } });
    await reopened.append({ type: 'signal', step: 11, signal: 'SIGTERM' });
    await reopened.append({ type: 'run-end', step: 11, reason: 'signal', detail: 'SIGTERM' });
    await reopened.close();
    expect((await readEventLog(dir)).map((e) => [e.type, e.step])).toEqual([
      ['run-start', 0],
      ['non-finite-skip', 7],
      ['checkpoint', 10],
      ['eval', 10],
      ['signal', 11],
      ['run-end', 11],
    ]);
  });
});

describe('events.log corruption', () => {
  it('refuses a corrupt line before the last, naming the file and the line', async () => {
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    await writeFile(runPaths(dir).events, '{"time":"t","type":"run-start","step":0}\ngarbage\n{"time":"t","type":"signal","step":1}\n');
    await expect(readEventLog(dir)).rejects.toThrow(`${runPaths(dir).events}:2: not JSON`);
    await expect(openEventLog(dir)).rejects.toThrow(`${runPaths(dir).events}:2: not JSON`);
  });
});

describe('stop signals', () => {
  const fakeProcess = () => {
    const emitter = new EventEmitter();
    const exits: number[] = [];
    const notices: StopSignal[] = [];
    const handler = installStopHandler({ source: emitter, exit: (code) => exits.push(code), onSignal: (s) => notices.push(s) });
    return { emitter, exits, notices, handler };
  };

  it('sets the flag on the first signal and exits on the second', () => {
    const { emitter, exits, notices, handler } = fakeProcess();
    expect([handler.requested(), handler.signal(), handler.exitCode()]).toEqual([false, null, null]);
    emitter.emit('SIGTERM');
    expect([handler.requested(), handler.signal(), handler.exitCode()]).toEqual([true, 'SIGTERM', 143]);
    expect(exits).toEqual([]);
    emitter.emit('SIGINT');
    expect(exits).toEqual([130]);
    expect(notices).toEqual(['SIGTERM']);
    handler.dispose();
    expect(emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM')).toBe(0);
  });

  it('uses the shell convention 128 + signal number', () => {
    expect(SIGNAL_EXIT_CODES).toEqual({ SIGINT: 130, SIGTERM: 143 });
  });

  const fixture = fileURLToPath(new URL('./stop-fixture.ts', import.meta.url));

  /** Runs the fixture loop, sends `signals` once it is ready (`gapMs` apart), and returns its exit code and output. */
  const runFixture = (stepMs: number, signals: readonly StopSignal[], gapMs: number): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, String(stepMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      let sent = false;
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (!sent && out.includes('ready\n')) {
          sent = true;
          signals.forEach((signal, i) => setTimeout(() => child.kill(signal), 100 + i * gapMs));
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, out }));
    });

  it('lets a real process finish its step, checkpoint and exit with 130 on SIGINT, 143 on SIGTERM', async () => {
    const [sigint, sigterm] = await Promise.all([runFixture(50, ['SIGINT'], 0), runFixture(50, ['SIGTERM'], 0)]);
    expect(sigint.code).toBe(130);
    expect(sigint.out).toMatch(/^ready\nreceived SIGINT\ncheckpoint after step \d+\n$/);
    expect(sigterm.code).toBe(143);
    expect(sigterm.out).toMatch(/^ready\nreceived SIGTERM\ncheckpoint after step \d+\n$/);
  });

  it('exits a real process at once on a second signal, without finishing the step', async () => {
    const result = await runFixture(60_000, ['SIGINT', 'SIGINT'], 200);
    expect(result.code).toBe(130);
    expect(result.out).toBe('ready\nreceived SIGINT\n');
  });
});

describe('progress', () => {
  const row = { step: 20, 'reward/mean': 0.5123, 'reward/accuracy': 0.43, 'curriculum/reuse': 2, 'curriculum/kept_groups': 6, 'curriculum/rejected_groups': 2, 'time/step_s': 1.234 };

  it('formats a plain line with the ETA and the key metrics', () => {
    expect(formatProgressLine({ row, totalSteps: 200, stepsDone: 10, elapsedSeconds: 12 })).toBe(
      'step 20/200 (10%) | eta 3m36s | reward 0.5123 | acc 0.43 | K 2 | kept 6 rejected 2 | 1.234s/step',
    );
    expect(formatProgressLine({ row: { step: 1 }, totalSteps: 4, stepsDone: 0, elapsedSeconds: 0 })).toBe('step 1/4 (25%) | eta ? | reward – | acc – | K – | kept – rejected – | –/step');
  });

  it('prints one plain line every N steps and at the last step when stdout is not a terminal', () => {
    const written: string[] = [];
    let ms = 0;
    const progress = createProgress({ totalSteps: 25, startStep: 0, plainEvery: 10, stream: { isTTY: false, write: (text: string) => written.push(text) }, now: () => ms });
    for (let step = 1; step <= 25; step++) {
      ms += 2000;
      progress.update({ step, 'reward/mean': step / 100 });
    }
    progress.stop();
    expect(written).toEqual([
      'step 10/25 (40%) | eta 30.0s | reward 0.1 | acc – | K – | kept – rejected – | –/step\n',
      'step 20/25 (80%) | eta 10.0s | reward 0.2 | acc – | K – | kept – rejected – | –/step\n',
      'step 25/25 (100%) | eta 0.0s | reward 0.25 | acc – | K – | kept – rejected – | –/step\n',
    ]);
  });

  it('draws a bar with the key metrics on a terminal', () => {
    const written: string[] = [];
    const stream = { isTTY: true, columns: 200, write: (text: string) => (written.push(text), true) };
    const progress = createProgress({ totalSteps: 40, startStep: 19, stream });
    progress.update(row);
    progress.stop();
    const screen = written.join('');
    expect(screen).toContain('20/40');
    expect(screen).toContain('reward 0.5123 | acc 0.43 | K 2 | kept 6 rej 2 | 1.234s/step');
  });
});
