/**
 * Subcommands load lazily: `rlflow --help` loads no command module, and a subcommand loads its
 * own only. Each case spawns the real `rlflow` under a module-loading hook (`node --import`) that
 * records the URL of every ES module resolved and every CommonJS file required, so the assertion
 * is on what Node actually loaded, not on the source text.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@rlflow/core/testing';
import { buildProgram } from '../main.js';
import { COMMANDS, invokedCommand } from './index.js';

const root = repoRoot();
const bin = resolve(root, 'apps/trainer/bin/rlflow.js');
const benchmarks = process.env['RLFLOW_BENCHMARKS_DIR'] ?? resolve(root, 'fixtures', 'benchmarks');
const dir = mkdtempSync(join(tmpdir(), 'rlflow-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(process.env.RLFLOW_TRACE_FILE, resolved.url + '\\n');
  return resolved;
}
`;
const REGISTER = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('./hooks.mjs', import.meta.url);
const required = createRequire(import.meta.url).cache;
process.on('exit', () => {
  appendFileSync(process.env.RLFLOW_TRACE_FILE, Object.keys(required).map((path) => pathToFileURL(path).href + '\\n').join(''));
});
`;
writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
writeFileSync(join(dir, 'register.mjs'), REGISTER);

let runs = 0;
/** Runs `rlflow args` and returns its exit code, stdout and the URLs of the modules it loaded. */
const traced = (args: readonly string[]): { code: number | null; stdout: string; stderr: string; loaded: string[] } => {
  const trace = join(dir, `trace-${runs++}.txt`);
  writeFileSync(trace, '');
  const child = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RLFLOW_TRACE_FILE: trace },
    timeout: 120_000,
  });
  const loaded = [...new Set(readFileSync(trace, 'utf8').split('\n').filter((url) => url !== ''))];
  return { code: child.status, stdout: child.stdout, stderr: child.stderr, loaded };
};

const tensorflow = (loaded: readonly string[]): string[] => loaded.filter((url) => url.includes('/@tensorflow/'));
const commandModules = (loaded: readonly string[]): string[] =>
  loaded.filter((url) => /\/apps\/trainer\/src\/commands\/[^/]+\.ts$/.test(url) && !url.endsWith('/commands/index.ts')).map((url) => url.slice(url.lastIndexOf('/') + 1));

describe('lazy subcommands', () => {
  it('registers the invoked command in full and every other one by name, in the listed order, each once', async () => {
    expect(invokedCommand(['help', 'resume'])?.module).toBe('train');
    expect(invokedCommand(['--help'])).toBeUndefined();
    expect(invokedCommand(['score', '--input', 'x'])?.name).toBe('score');
    const program = await buildProgram(['resume', 'runs/x']);
    expect(program.commands.map((command) => command.name())).toEqual(COMMANDS.map((entry) => entry.name));
    const byName = (name: string) => program.commands.find((command) => command.name() === name)!;
    expect(byName('resume').registeredArguments.map((argument) => argument.name())).toEqual(['dir']);
    expect(byName('train').options.length).toBeGreaterThan(0);
    expect(byName('score').options).toEqual([]);
    expect(program.commands.map((command) => command.description())).toEqual(COMMANDS.map((entry) => entry.description));
  });

  it('rlflow --help lists every subcommand with its description and loads no command module and no TensorFlow.js', () => {
    const { code, stdout, loaded } = traced(['--help']);
    expect(code).toBe(0);
    const listing = stdout.replace(/\s+/g, ' ');
    for (const { name, description } of COMMANDS) expect(listing).toContain(` ${name} ${description}`);
    expect(loaded.some((url) => url.endsWith('/apps/trainer/src/main.ts'))).toBe(true);
    expect(commandModules(loaded)).toEqual([]);
    expect(tensorflow(loaded)).toEqual([]);
  });

  it('the trace sees TensorFlow.js when a command does load it (rlflow bench --help)', () => {
    const { code, loaded } = traced(['bench', '--help']);
    expect(code).toBe(0);
    expect(commandModules(loaded)).toEqual(['bench.ts']);
    expect(tensorflow(loaded).length).toBeGreaterThan(0);
  });

  it('rlflow score --help and a real rlflow score load score.ts alone', () => {
    const help = traced(['score', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--benchmark <name>');
    expect(commandModules(help.loaded)).toEqual(['score.ts']);
    const scored = traced(['score', '--benchmark', 'mathvista', '--input', join(benchmarks, 'mathvista/results/output_bard.json'), '--json']);
    expect(scored.code).toBe(0);
    expect(JSON.parse(scored.stdout)).toMatchObject({ benchmark: 'mathvista', correct: 348, total: 1000 });
    expect(commandModules(scored.loaded)).toEqual(['score.ts']);
  });

  it('rlflow score --help and a real rlflow score never import TensorFlow.js', () => {
    expect(tensorflow(traced(['score', '--help']).loaded)).toEqual([]);
    expect(tensorflow(traced(['score', '--benchmark', 'mathvista', '--input', join(benchmarks, 'mathvista/results/output_bard.json'), '--json']).loaded)).toEqual([]);
  });
});
