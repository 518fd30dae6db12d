/**
 * `rlflow bench anchor` (`npm run bench:anchor`): rlflow's RL step against plain PyTorch on the
 * same machine, the two sides alternating. Each run starts two fresh processes, one after the
 * other (rlflow first in even runs, PyTorch first in odd ones, so neither always meets the
 * machine in the same state):
 *
 *   rlflow    rlflow bench --workload rl-step --engine E --json F   (tools/src/bench-rl-step.ts)
 *   PyTorch   python3 tools/torch_rl_step.py --threads N            (the same workload)
 *
 * and the ratios of that run: RL step = torch seconds / rlflow seconds; generation and training =
 * rlflow tokens/s / torch tokens/s (> 1: rlflow is faster). It prints every run and the range
 * (min–max) of each figure over the runs. PyTorch is never a dependency: the interpreter is
 * `RLFLOW_PYTHON`, else the first of python3, /usr/bin/python3 that imports torch; without one
 * it says so and measures nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { decodeWith, writeFileAtomic } from '@rlflow/core';

const HERE = dirname(fileURLToPath(import.meta.url));
const TORCH_SCRIPT = join(HERE, '..', 'torch_rl_step.py');
const RLFLOW_BIN = join(HERE, '..', '..', 'apps', 'trainer', 'bin', 'rlflow.js');

const Sides = t.type({
  rlStepSeconds: t.number,
  generationTokensPerSecond: t.number,
  trainTokensPerSecond: t.number,
  matmulGflops: t.number,
});
type Side = t.TypeOf<typeof Sides>;

export interface AnchorRun {
  readonly order: 'rlflow-first' | 'torch-first';
  readonly rlflow: Side;
  readonly torch: Side;
  readonly rlStepRatio: number;
  readonly generationRatio: number;
  readonly trainRatio: number;
}

export interface AnchorRange {
  readonly min: number;
  readonly max: number;
}

export interface AnchorResult {
  readonly engine: string;
  readonly threads: number;
  readonly python: string;
  readonly runs: readonly AnchorRun[];
  readonly ranges: Readonly<Record<'rlStepRatio' | 'generationRatio' | 'trainRatio' | 'rlflowRlStepSeconds' | 'torchRlStepSeconds' | 'rlflowGenerationTokensPerSecond' | 'torchGenerationTokensPerSecond' | 'rlflowTrainTokensPerSecond' | 'torchTrainTokensPerSecond' | 'rlflowMatmulGflops' | 'torchMatmulGflops', AnchorRange>>;
}

export interface AnchorOptions {
  readonly runs?: number;
  readonly engine?: string;
  readonly threads?: number;
  readonly repeats?: number;
  readonly json?: string;
  readonly log?: (line: string) => void;
}

/** The first interpreter that imports torch, or undefined. */
export const findTorchPython = (): string | undefined => {
  const fromEnv = process.env['RLFLOW_PYTHON'];
  const candidates = fromEnv !== undefined && fromEnv !== '' ? [fromEnv] : ['python3', '/usr/bin/python3'];
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
};

const run = (command: string, args: readonly string[], env: NodeJS.ProcessEnv): string => {
  const out = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 16 << 20 });
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${out.status ?? out.signal}: ${out.stderr.slice(-2000)}`);
  return out.stdout;
};

const decodeSide = (source: string, text: string): Side => {
  const decoded = decodeWith(Sides, source)(JSON.parse(text) as unknown);
  if (E.isLeft(decoded)) throw new Error(decoded.left.message);
  return decoded.right;
};

const range = (xs: readonly number[]): AnchorRange => ({ min: Math.min(...xs), max: Math.max(...xs) });

export const runAnchorBench = async (options: AnchorOptions = {}): Promise<AnchorResult | undefined> => {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const python = findTorchPython();
  if (python === undefined) {
    log('bench anchor: no Python with PyTorch found (tried RLFLOW_PYTHON, python3, /usr/bin/python3), so there is nothing to compare with; install it to measure (Debian: apt-get install python3-torch; PyTorch is never a dependency of rlflow)');
    return undefined;
  }
  const runs = options.runs ?? 3;
  const engine = options.engine ?? 'tfjs';
  const threads = options.threads ?? 2;
  const repeats = String(options.repeats ?? 3);
  const env = { ...process.env, RLFLOW_WASM_THREADS: String(threads), RLFLOW_ONNX_THREADS: String(threads) };
  const dir = await mkdtemp(join(tmpdir(), 'rlflow-anchor-'));
  const results: AnchorRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const json = join(dir, `rlflow-${i}.json`);
      const rlflowSide = async (): Promise<Side> => {
        run(process.execPath, [RLFLOW_BIN, 'bench', '--workload', 'rl-step', '--engine', engine, '--repeats', repeats, '--json', json], env);
        return decodeSide(json, await readFile(json, 'utf8'));
      };
      const torchSide = (): Side => decodeSide('torch_rl_step.py', run(python, [TORCH_SCRIPT, '--threads', String(threads), '--repeats', repeats], env).trim().split('\n').pop()!);
      const order = i % 2 === 0 ? 'rlflow-first' : 'torch-first';
      let rlflow: Side;
      let torch: Side;
      if (order === 'rlflow-first') {
        rlflow = await rlflowSide();
        torch = torchSide();
      } else {
        torch = torchSide();
        rlflow = await rlflowSide();
      }
      const r: AnchorRun = {
        order,
        rlflow,
        torch,
        rlStepRatio: torch.rlStepSeconds / rlflow.rlStepSeconds,
        generationRatio: rlflow.generationTokensPerSecond / torch.generationTokensPerSecond,
        trainRatio: rlflow.trainTokensPerSecond / torch.trainTokensPerSecond,
      };
      results.push(r);
      log(
        `run ${i + 1}/${runs} (${order}): RL step rlflow ${rlflow.rlStepSeconds.toFixed(2)} s vs PyTorch ${torch.rlStepSeconds.toFixed(2)} s = ${r.rlStepRatio.toFixed(2)}×; ` +
          `generation ${rlflow.generationTokensPerSecond.toFixed(0)} vs ${torch.generationTokensPerSecond.toFixed(0)} tokens/s = ${r.generationRatio.toFixed(2)}×; ` +
          `training ${rlflow.trainTokensPerSecond.toFixed(0)} vs ${torch.trainTokensPerSecond.toFixed(0)} tokens/s = ${r.trainRatio.toFixed(2)}×`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const of = (f: (r: AnchorRun) => number): AnchorRange => range(results.map(f));
  const ranges: AnchorResult['ranges'] = {
    rlStepRatio: of((r) => r.rlStepRatio),
    generationRatio: of((r) => r.generationRatio),
    trainRatio: of((r) => r.trainRatio),
    rlflowRlStepSeconds: of((r) => r.rlflow.rlStepSeconds),
    torchRlStepSeconds: of((r) => r.torch.rlStepSeconds),
    rlflowGenerationTokensPerSecond: of((r) => r.rlflow.generationTokensPerSecond),
    torchGenerationTokensPerSecond: of((r) => r.torch.generationTokensPerSecond),
    rlflowTrainTokensPerSecond: of((r) => r.rlflow.trainTokensPerSecond),
    torchTrainTokensPerSecond: of((r) => r.torch.trainTokensPerSecond),
    rlflowMatmulGflops: of((r) => r.rlflow.matmulGflops),
    torchMatmulGflops: of((r) => r.torch.matmulGflops),
  };
  const fmt = (x: AnchorRange, digits: number): string => `${x.min.toFixed(digits)}–${x.max.toFixed(digits)}`;
  log(`\n| figure (${runs} alternating runs, ${threads} threads) | PyTorch | rlflow (${engine}) | ratio |`);
  log('| --- | ---: | ---: | ---: |');
  log(`| generation, tokens/s | ${fmt(ranges.torchGenerationTokensPerSecond, 0)} | ${fmt(ranges.rlflowGenerationTokensPerSecond, 0)} | ${fmt(ranges.generationRatio, 2)}× |`);
  log(`| training step, tokens/s | ${fmt(ranges.torchTrainTokensPerSecond, 0)} | ${fmt(ranges.rlflowTrainTokensPerSecond, 0)} | ${fmt(ranges.trainRatio, 2)}× |`);
  log(`| 1024³ matmul, GFLOP/s | ${fmt(ranges.torchMatmulGflops, 1)} | ${fmt(ranges.rlflowMatmulGflops, 1)} | |`);
  log(`| RL step, s | ${fmt(ranges.torchRlStepSeconds, 2)} | ${fmt(ranges.rlflowRlStepSeconds, 2)} | ${fmt(ranges.rlStepRatio, 2)}× |`);
  const result: AnchorResult = { engine, threads, python, runs: results, ranges };
  if (options.json !== undefined) await writeFileAtomic(options.json, `${JSON.stringify(result, null, 2)}\n`);
  return result;
};
