/**
 * `rlflow bench [--backend B] [--json FILE]`: the engine benchmark (tools/src/bench-model.ts);
 * `rlflow bench --workload rl-step [--engine E] [--repeats N] [--json FILE]`: one RL step of
 * issue 10's workload through the engine contract (tools/src/bench-rl-step.ts), the side of
 * `npm run bench:anchor` that is compared with tools/torch_rl_step.py;
 * `rlflow bench anchor [--runs N] [--engine E]` (`npm run bench:anchor`): that RL step and
 * tools/torch_rl_step.py alternately, with the ratios and their ranges (tools/src/bench-anchor.ts);
 * `rlflow bench stages [--json FILE]`: grpo → aaac → ppo over a 1M-token batch, plain and tensor
 * forms (tools/src/bench-stages.ts); `rlflow bench --workload packing [--repeats N] [--json FILE]`:
 * the onnx engine's updates with responses padded or packed end to end (tools/src/bench-packing.ts).
 * `npm run bench` runs the first.
 */
import type { Command } from 'commander';
import { BACKEND_CHOICES, defaultPolicyConfig, isBackendChoice } from '@rlflow/policy';
import { onnxMatmulGflops, runAnchorBench, runModelBench, runPackingBench, runRlStepBench, runStagesBench, tfjsMeasures } from '@rlflow/tools';
import { unwrap } from '@rlflow/core';
import { DEFAULT_CONFIG } from '../config/index.js';
import { DEMO_POLICY_CONFIG } from '../sft/index.js';
import { ENGINE_NAMES, isEngineName, loadEngineFactory } from '../engines.js';
import { UsageError } from '../main.js';
import { commandDescription, type RegisterCommand } from './index.js';

export const WORKLOADS = ['model', 'rl-step', 'packing'] as const;


export const registerBench: RegisterCommand = (program: Command) => {
  program
    .command('bench')
    .description(commandDescription('bench'))
    .argument('[what]', '"model" (default), "anchor" or "stages"', 'model')
    .option('--workload <name>', `with "model": ${WORKLOADS.join(' or ')}`, 'model')
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .option('--engine <name>', `rl-step: the engine measured, one of ${ENGINE_NAMES.join(', ')}`, 'tfjs')
    .option('--repeats <n>', 'rl-step, anchor: timed RL steps after one untimed; packing: timed passes of each side', '3')
    .option('--runs <n>', 'anchor: alternating runs of the two sides', '3')
    .option('--threads <n>', 'anchor: threads of each side (wasm threads, torch.set_num_threads)', '2')
    .option('--json <file>', 'also write the figures as JSON')
    .action(async (what: string, flags: { workload: string; backend: string; engine: string; repeats: string; runs: string; threads: string; json?: string }) => {
      if (!isBackendChoice(flags.backend)) throw new UsageError(`--backend ${JSON.stringify(flags.backend)}: expected one of ${BACKEND_CHOICES.join(', ')}`);
      const json = flags.json === undefined ? {} : { json: flags.json };
      const positive = (flag: string, value: string): number => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} ${JSON.stringify(value)}: expected a positive integer`);
        return n;
      };
      if (!isEngineName(flags.engine)) throw new UsageError(`--engine ${JSON.stringify(flags.engine)}: expected one of ${ENGINE_NAMES.join(', ')}`);
      if (what === 'stages') await runStagesBench(json);
      else if (what === 'anchor') {
        const result = await runAnchorBench({ engine: flags.engine, runs: positive('runs', flags.runs), threads: positive('threads', flags.threads), repeats: positive('repeats', flags.repeats), ...json });
        if (result === undefined) process.exitCode = 1;
      } else if (what !== 'model') throw new UsageError(`bench ${JSON.stringify(what)}: expected "model", "anchor" or "stages"`);
      else if (flags.workload === 'model') await runModelBench({ backend: flags.backend, ...json });
      else if (flags.workload === 'rl-step') {
        const repeats = positive('repeats', flags.repeats);
        await runRlStepBench({
          engineName: flags.engine,
          factory: await loadEngineFactory(flags.engine),
          repeats,
          ...(await tfjsMeasures(flags.backend)),
          // The onnx engine trains on onnxruntime: its peak is onnxruntime's matmul, not TensorFlow.js's.
          ...(flags.engine === 'onnx' ? { matmulGflops: onnxMatmulGflops } : {}),
          ...json,
        });
      } else if (flags.workload === 'packing') {
        const { device } = await tfjsMeasures(flags.backend);
        const { onnxEngineFactory } = await import('@rlflow/onnx');
        await runPackingBench({
          engine: async (packResponses, model) => unwrap(await onnxEngineFactory({ packResponses })({ init: { kind: 'seed', seed: 0 }, model, reference: false, tokenBudget: DEFAULT_CONFIG.optimizer.microBatchTokens, ...(device === undefined ? {} : { device }) })),
          models: [
            ['demo', DEMO_POLICY_CONFIG],
            ['default', defaultPolicyConfig],
          ],
          repeats: positive('repeats', flags.repeats),
          ...json,
        });
      } else throw new UsageError(`--workload ${JSON.stringify(flags.workload)}: expected one of ${WORKLOADS.join(', ')}`);
    });
};
