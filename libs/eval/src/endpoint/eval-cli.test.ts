import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { repoRoot } from '@rlflow/core/testing';
import { createMathVistaQuery, type MathVistaProblem } from '../formats/index.js';
import { benchmarkFile } from '../formats/benchmarks-dir.js';
import { startFakeOpenAIServer, type FakeServer } from './testing/fake-openai-server.js';
import { mathVistaFixture } from './testing/fixtures.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const KEY = 'sk-cli-secret-c0ffee-4242';

const rlflow = (args: readonly string[]): { readonly child: ChildProcess; readonly done: Promise<Exit> } => {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: KEY };
  delete env['RLFLOW_API_KEY'];
  delete env['RLFLOW_JUDGE_API_KEY'];
  const child = spawn(process.execPath, [join(repoRoot(), 'apps', 'trainer', 'bin', 'rlflow.js'), ...args], { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
};

interface Line {
  readonly type: string;
  readonly id?: string;
  readonly status?: string;
}

const journalLines = async (path: string): Promise<Line[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);

const PIDS = ['5', '1', '2', '3', '6', '7', '10', '20'];

describe('rlflow eval (child process)', () => {
  it('survives SIGINT and SIGKILL mid-run and resumes without losing, duplicating or re-requesting an item', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-cli-'));
    const fixture = await mathVistaFixture(dir, PIDS);
    const problems = JSON.parse(await readFile(fixture.data, 'utf8')) as Record<string, MathVistaProblem>;
    const pidOfQuery = new Map(Object.values(problems).map((p) => [E.getOrElseW(() => '')(createMathVistaQuery(p)), p.pid]));
    let onOk: () => void = () => undefined;
    const server = await startFakeOpenAIServer({
      respond: (r) => (r.priorSameText === 0 && pidOfQuery.get(r.text) === '3' ? { kind: 'status', status: 503, retryAfter: '0' } : { kind: 'ok', content: 'The answer is (A).', delayMs: 40 }),
      onOkReply: () => onOk(),
    });
    servers.push(server);
    const out = join(dir, 'out', 'output_fake.json');
    const journal = join(dir, 'out', 'output_fake.journal.jsonl');
    const args = ['eval', '--benchmark', 'mathvista', '--data', fixture.data, '--endpoint', server.url, '--model', 'fake-vlm', '--out', out, '--concurrency', '1', '--backoff-base-ms', '1', '--timeout-ms', '5000'];

    const first = rlflow(args);
    onOk = () => (server.okReplies() === 2 ? first.child.kill('SIGINT') : undefined);
    const interrupted = await first.done;
    expect(interrupted.code).toBe(1);
    expect(interrupted.stderr).toMatch(/run the same command again to resume/);
    const afterFirst = (await journalLines(journal)).filter((l) => l.status === 'ok').length;
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(afterFirst).toBeLessThan(8);

    const second = rlflow(args);
    const target = server.okReplies() + 2;
    onOk = () => (server.okReplies() === target ? second.child.kill('SIGKILL') : undefined);
    const killed = await second.done;
    expect(killed.signal).toBe('SIGKILL');
    onOk = () => undefined;
    // A write cut short by the kill: half a line without its newline.
    await appendFile(journal, '{"type":"sample","id":"20","sample":0,"status":"o');
    const linesBefore = (await readFile(journal, 'utf8')).split('\n').slice(0, -1).map((l) => JSON.parse(l) as Line);
    const finishedBefore = new Set(linesBefore.filter((l) => l.status === 'ok').map((l) => l.id));
    expect(finishedBefore.size).toBeGreaterThan(afterFirst);
    expect(finishedBefore.size).toBeLessThan(8);
    const requestsBefore = server.requests.length;

    const third = await rlflow(args).done;
    expect(third.stderr).toMatch(/ignored a half-written last line/);
    expect(third.code, third.stderr).toBe(0);
    const askedAgain = server.requests.slice(requestsBefore).map((r) => pidOfQuery.get(r.text));
    for (const pid of finishedBefore) expect(askedAgain, `pid ${pid} was finished before`).not.toContain(pid);
    const lines = await journalLines(journal);
    const okIds = lines.filter((l) => l.status === 'ok').map((l) => l.id);
    expect([...okIds].sort()).toEqual([...PIDS].sort());
    expect(lines.filter((l) => l.type === 'header')).toHaveLength(1);
    const output = JSON.parse(await readFile(out, 'utf8')) as Record<string, { response: string; extraction: string; question_type: string }>;
    expect(Object.keys(output).sort()).toEqual([...PIDS].sort());
    for (const row of Object.values(output)) {
      expect(row.response).toBe('The answer is (A).');
      expect(row.extraction).toBe(row.question_type === 'multi_choice' ? 'A' : '');
    }
    expect(third.stdout).toMatch(/requests this run: \d+ \(resumed \d+ finished samples/);

    expect(server.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
    for (const text of [interrupted.stdout, interrupted.stderr, killed.stdout, killed.stderr, third.stdout, third.stderr]) expect(text).not.toContain(KEY);
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) expect(await readFile(join(entry.parentPath, entry.name), 'utf8')).not.toContain(KEY);
    }
  });

  it('exits 2 on bad usage', async () => {
    const missing = await rlflow(['eval', '--benchmark', 'mathvista', '--endpoint', 'http://127.0.0.1:9/v1']).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--data is required/);
  });

  it('measures the rules extractor against the stored official extractions (--measure-extraction)', async () => {
    const measured = await rlflow(['eval', '--benchmark', 'mathvista', '--measure-extraction', benchmarkFile('mathvista', 'results', 'output_bard.json'), '--limit', '100', '--json']).done;
    expect(measured.code, measured.stderr).toBe(0);
    const report = JSON.parse(measured.stdout) as { extractor: string; rows: number; prediction: { agree: number; total: number }; judge: unknown };
    expect(report).toMatchObject({ extractor: 'rules', rows: 100, judge: null });
    expect(report.prediction.total).toBe(100);
    expect(report.prediction.agree).toBeGreaterThan(80);
  });
});
