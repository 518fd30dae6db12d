/**
 * A test double of the engine contract for local evaluation: `sample` answers from a script —
 * row g of prompt p gets the text `respond({ prompt, promptIndex, sample: g, request })` returns,
 * encoded with the built-in tokenizer and ended by end-of-sequence (cut at `maxNewTokens`) — and
 * every request is recorded. Deterministic: the same script and request give the same samples.
 * The training methods are not used by the evaluator; each resolves to a StageError saying so.
 */
import * as E from 'fp-ts/lib/Either.js';
import { matrix, StageError } from '@rlflow/core';
import type { Engine, EngineCapabilities, EngineInfo, EngineResult, PromptInput, SampleRequest, Samples } from '@rlflow/engine';
import { EOS_ID, tokenizer } from '@rlflow/policy';

export interface ScriptCall {
  readonly prompt: PromptInput;
  readonly promptIndex: number;
  readonly sample: number;
  readonly request: SampleRequest;
}

export interface ScriptedEngine extends Engine {
  /** Every `sample` request, in order. */
  readonly requests: readonly SampleRequest[];
}

export const SCRIPTED_INFO: EngineInfo = {
  engine: 'scripted',
  model: 'script',
  device: 'none',
  imageSize: 32,
  maxPromptTokens: 48,
  maxResponseTokens: 10,
  parameterCount: 0,
};

const NO_CAPABILITIES: EngineCapabilities = { entropy: false, entropyWeights: false, maskedImages: false, reference: false, tokenBudget: null };

const notUsed = <A>(method: string): EngineResult<A> => Promise.resolve(E.left(new StageError('scripted-engine', method, null, 'invalid', 'not used by this fake')));

export const scriptedEngine = (respond: (call: ScriptCall) => string, info: Partial<EngineInfo> = {}): ScriptedEngine => {
  const requests: SampleRequest[] = [];
  const engineInfo: EngineInfo = { ...SCRIPTED_INFO, ...info };
  const sample = async (request: SampleRequest): EngineResult<Samples> => {
    requests.push(request);
    const width = request.sampling.maxNewTokens;
    const tokens: number[][] = [];
    for (const [promptIndex, prompt] of request.prompts.entries()) {
      for (let g = 0; g < request.samplesPerPrompt; g++) {
        const encoded = tokenizer.encode(respond({ prompt, promptIndex, sample: g, request }));
        if (E.isLeft(encoded)) return E.left(new StageError('scripted-engine', 'script', tokens.length, 'invalid', encoded.left.detail));
        tokens.push([...encoded.right, EOS_ID].slice(0, width));
      }
    }
    const mask = new Float64Array(tokens.length * width);
    tokens.forEach((row, b) => mask.fill(1, b * width, b * width + row.length));
    return E.right({
      tokens,
      lengths: tokens.map((row) => row.length),
      finished: tokens.map((row) => row[row.length - 1] === EOS_ID),
      logprobs: matrix(tokens.length, width, new Float64Array(tokens.length * width)),
      samplerLogprobs: matrix(tokens.length, width, new Float64Array(tokens.length * width)),
      mask: matrix(tokens.length, width, mask),
    });
  };
  return {
    info: engineInfo,
    capabilities: NO_CAPABILITIES,
    requests,
    sample,
    forward: () => notUsed('forward'),
    forwardBackward: () => notUsed('forwardBackward'),
    optimStep: () => notUsed('optimStep'),
    steps: () => 0,
    save: () => notUsed('save'),
    load: () => notUsed('load'),
    savePolicy: () => notUsed('savePolicy'),
    liveResources: () => 0,
    dispose: async () => undefined,
  };
};
