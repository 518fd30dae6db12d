import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CODEC } from '@rlflow/rollout';
import { DEFAULT_CONFIG, type TrainConfig } from '../config/index.js';
import { datasetSource, loadRunCodec, loadRunPrompts } from './prompts.js';

const ROOT = join(import.meta.dirname, '../../../..');
const VALID = join(ROOT, 'libs/rollout/fixtures/dataset/valid.jsonl');
const with_ = (patch: (c: TrainConfig) => TrainConfig): TrainConfig => patch(DEFAULT_CONFIG);

describe('the run prompts', () => {
  it('datasetSource: each run of n items is a permutation of them, the same for the same seed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 12 }), fc.nat(), fc.integer({ min: 1, max: 3 }), (items, seed, rounds) => {
        const take = (s: number): number[] => {
          const source = datasetSource(items, s);
          return Array.from({ length: items.length * rounds }, () => source.next().value);
        };
        const drawn = take(seed);
        expect(take(seed)).toEqual(drawn);
        for (let r = 0; r < rounds; r++) expect([...drawn.slice(r * items.length, (r + 1) * items.length)].sort()).toEqual([...items].sort());
      }),
      { numRuns: 50 },
    );
  });

  it('loads rollout.dataset and eval.dataset resized to the engine input, and names the field of a bad file', async () => {
    const prompts = await loadRunPrompts(with_((c) => ({ ...c, rollout: { ...c.rollout, dataset: VALID }, eval: { ...c.eval, dataset: VALID } })), BUILTIN_CODEC, 16);
    expect(prompts.train?.map((i) => [i.id, i.image.width, i.image.height])[0]).toEqual(['q1', 16, 16]);
    expect(prompts.heldOut).toHaveLength(5);
    await expect(loadRunPrompts(with_((c) => ({ ...c, eval: { ...c.eval, dataset: join(ROOT, 'nowhere.jsonl') } })), BUILTIN_CODEC, 16)).rejects.toThrow(/^eval\.dataset: /);
    const none = await loadRunPrompts(DEFAULT_CONFIG, BUILTIN_CODEC, 16);
    expect([none.train, none.heldOut]).toEqual([null, null]);
  });

  it('remote.tokenizer: the built-in codec without it, refused for the built-in engine, errors naming the field', async () => {
    expect(await loadRunCodec(DEFAULT_CONFIG)).toBe(BUILTIN_CODEC);
    const tokenizer = join(ROOT, 'fixtures/tokenizers/qwen-vl-tiny');
    await expect(loadRunCodec(with_((c) => ({ ...c, remote: { ...c.remote, tokenizer } })))).rejects.toThrow(/^remote\.tokenizer: .*engine tfjs/);
    const codec = await loadRunCodec(with_((c) => ({ ...c, engine: 'tinker', remote: { ...c.remote, tokenizer } })));
    expect(codec.source).toBe(tokenizer);
    await expect(loadRunCodec(with_((c) => ({ ...c, engine: 'tinker', remote: { ...c.remote, tokenizer: join(ROOT, 'fixtures') } })))).rejects.toThrow(/^remote\.tokenizer: .*tokenizer\.json: cannot be read/);
  });
});
