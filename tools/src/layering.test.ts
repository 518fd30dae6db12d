/**
 * The layering in eslint.config.js fails the lint on a wrong import. Each case lints a source
 * text as if it were a file at the given path (ESLint's Node API, the repository's own config),
 * so nothing is written into the tree.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@rlflow/core/testing';

const eslint = new ESLint({ cwd: repoRoot() });

/** The messages of the layering rule for `code` placed at `path`. */
const layeringErrors = async (path: string, code: string): Promise<string[]> => {
  const [result] = await eslint.lintText(`${code}\nexport const probe = 1;\n`, { filePath: path });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
};

describe('the layering lint', () => {
  it('fails a file in libs/clipping that imports @rlflow/policy, and passes one that imports @rlflow/core', async () => {
    const errors = await layeringErrors('libs/clipping/src/layering-probe.ts', "import { tokenizer } from '@rlflow/policy';\nvoid tokenizer;");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('libs/clipping may import @rlflow/core: the layering in eslint.config.js.');
    expect(await layeringErrors('libs/clipping/src/layering-probe.ts', "import { unwrap } from '@rlflow/core';\nvoid unwrap;")).toEqual([]);
  });

  it('catches type-only imports, subpath imports and re-exports too', async () => {
    expect(await layeringErrors('libs/rollout/src/stream/layering-probe.ts', "import type { Policy } from '@rlflow/policy';\nexport type P = Policy;")).toHaveLength(1);
    expect(await layeringErrors('libs/advantage/src/layering-probe.ts', "export { golden } from '@rlflow/clipping/golden';")).toHaveLength(1);
    expect(await layeringErrors('libs/core/src/layering-probe.ts', "export * from '@rlflow/advantage';")).toHaveLength(1);
  });

  it("lets libs/rollout take the built-in tokenizer from @rlflow/policy and nothing else of it", async () => {
    expect(await layeringErrors('libs/rollout/src/stream/layering-probe.ts', "import { EOS_ID, tokenizer } from '@rlflow/policy';\nvoid [EOS_ID, tokenizer];")).toEqual([]);
    expect(await layeringErrors('libs/rollout/src/stream/layering-probe.ts', "import { createPolicy } from '@rlflow/policy';\nvoid createPolicy;")).toHaveLength(1);
    expect(await layeringErrors('libs/rollout/src/stream/layering-probe.ts', "export * from '@rlflow/policy/tensor';")).toHaveLength(1);
    expect(await layeringErrors('libs/rollout/src/reward/layering-probe.ts', "import { overlong } from '@rlflow/advantage';\nvoid overlong;")).toEqual([]);
  });

  it('keeps libs/eval on @rlflow/core only and free of TensorFlow.js', async () => {
    expect(await layeringErrors('libs/eval/src/scorers/layering-probe.ts', "import { sampleGroups } from '@rlflow/rollout';\nvoid sampleGroups;")).toHaveLength(1);
    expect(await layeringErrors('libs/eval/src/scorers/layering-probe.ts', "import * as tf from '@tensorflow/tfjs-core';\nvoid tf;")).toEqual([
      "'@tensorflow/tfjs-core' import is restricted from being used by a pattern. libs/eval is pure and imports no TensorFlow.js: the layering in eslint.config.js.",
    ]);
  });

  it('lets the trainer reach the engine implementation only through its engine registry', async () => {
    const code = "import { createTfjsEngine } from '@rlflow/policy';\nvoid createTfjsEngine;";
    expect(await layeringErrors('apps/trainer/src/pipeline/layering-probe.ts', code)).toHaveLength(1);
    expect(await layeringErrors('apps/trainer/src/pipeline/layering-probe.ts', "import type { Policy } from '@rlflow/policy';\nexport type P = Policy;")).toHaveLength(1);
    expect(await layeringErrors('apps/trainer/src/pipeline/layering-probe.ts', "import * as policy from '@rlflow/policy';\nvoid policy;")).not.toEqual([]);
    expect(await layeringErrors('apps/trainer/src/engines.ts', code)).toEqual([]);
    expect(await layeringErrors('apps/trainer/src/config/layering-probe.ts', "import { tokenizer, BACKEND_NAMES } from '@rlflow/policy';\nvoid [tokenizer, BACKEND_NAMES];")).toEqual([]);
    expect(await layeringErrors('apps/trainer/src/pipeline/layering-probe.ts', "import { estimateAdvantages } from '@rlflow/advantage';\nvoid estimateAdvantages;")).toEqual([]);
  });

  it('lets a test import any library', async () => {
    expect(await layeringErrors('libs/clipping/src/layering-probe.test.ts', "import { tokenizer } from '@rlflow/policy';\nvoid tokenizer;")).toEqual([]);
  });
});
