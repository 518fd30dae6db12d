import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { builtinLossDatum, datumSequence, FLOAT32_RGBA, modelInputPrompt, promptModelInput, responseOffset, sequenceDatum, type ImageGeometry } from './datum.js';

const SIZE = 8;
const sequence = fc.record({
  image: fc.float32Array({ minLength: SIZE * SIZE * 3, maxLength: SIZE * SIZE * 3, min: 0, max: 1, noNaN: true }),
  promptTokens: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 6 }),
  responseTokens: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 6 }),
});

describe('sequences as Tinker data', () => {
  it('round-trips a sequence and its weights; float32-rgba keeps every pixel, png8 rounds to 8 bits', () => {
    fc.assert(
      fc.property(sequence, fc.boolean(), (s, exact) => {
        const geometry: ImageGeometry = { imageSize: SIZE, imageTokens: 4, imageEncoding: exact ? FLOAT32_RGBA : 'png8' };
        const weights = s.responseTokens.map((_, j) => (j % 3) - 1.5);
        const datum = sequenceDatum(geometry, s, weights);
        const length = geometry.imageTokens + s.promptTokens.length + s.responseTokens.length - 1;
        expect(datum.loss_fn_inputs['target_tokens']!.data).toHaveLength(length);
        const back = datumSequence('test', 'data[0]', geometry, datum);
        expect(E.isRight(back)).toBe(true);
        const { sequence: out, weights: w } = (back as E.Right<{ sequence: typeof s; weights: number[] }>).right;
        expect([out.promptTokens, out.responseTokens]).toEqual([s.promptTokens, s.responseTokens]);
        expect(w).toEqual(weights.map((x) => Math.fround(x)));
        const expected = exact ? Array.from(s.image) : Array.from(s.image, (x) => Math.fround(Math.round(x * 255) / 255));
        expect(Array.from(out.image)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('reads the response start from the weights when the text comes in one chunk (the SDK way)', () => {
    const geometry: ImageGeometry = { imageSize: SIZE, imageTokens: 4 };
    const s = { image: new Float32Array(SIZE * SIZE * 3), promptTokens: [1, 2, 3], responseTokens: [4, 5] };
    const datum = sequenceDatum(geometry, s, [1, 1]);
    const [image, prompt, response] = datum.model_input.chunks as [unknown, { tokens: number[] }, { tokens: number[] }];
    const merged = { ...datum, model_input: { chunks: [image, { type: 'encoded_text', tokens: [...prompt.tokens, ...response.tokens] }] } } as typeof datum;
    const back = datumSequence('test', 'data[0]', geometry, merged);
    expect(E.isRight(back) && [back.right.sequence.promptTokens, back.right.sequence.responseTokens]).toEqual([[1, 2, 3], [4, 5]]);
    expect(responseOffset(geometry, 3)).toBe(6);
  });

  it('refuses a wrong image size, an image that is not first, and targets that are not the inputs shifted', () => {
    const geometry: ImageGeometry = { imageSize: SIZE, imageTokens: 4 };
    const prompt = { image: new Float32Array(SIZE * SIZE * 3), promptTokens: [1, 2] };
    const other = modelInputPrompt('test', 'prompt', { imageSize: 16, imageTokens: 4 }, promptModelInput(geometry, prompt));
    expect(E.isLeft(other) && other.left.field).toBe('prompt.chunks[0].data');
    const textFirst = modelInputPrompt('test', 'prompt', geometry, { chunks: [{ type: 'encoded_text', tokens: [1] }] });
    expect(E.isLeft(textFirst) && textFirst.left.field).toBe('prompt.chunks[0]');
    const datum = sequenceDatum(geometry, { ...prompt, responseTokens: [3, 4, 5] }, [1, 1, 1]);
    datum.loss_fn_inputs['target_tokens']!.data[geometry.imageTokens + 2] = 9;
    const bad = datumSequence('test', 'data[0]', geometry, datum);
    expect(E.isLeft(bad) && bad.left.field).toBe('data[0].loss_fn_inputs.target_tokens');
  });

  it("puts the image in the image token's place (a chat template's <|image_pad|>), with targets and weights after I + |p| − 1 prompt positions", () => {
    const PAD = 99;
    fc.assert(
      fc.property(sequence, fc.nat(6), (s, at) => {
        const geometry: ImageGeometry = { imageSize: SIZE, imageTokens: 5, imageTokenId: PAD };
        const cut = Math.min(at, s.promptTokens.length);
        const promptTokens = [...s.promptTokens.slice(0, cut), PAD, ...s.promptTokens.slice(cut)];
        const weights = s.responseTokens.map((_, j) => j + 1);
        const datum = sequenceDatum(geometry, { ...s, promptTokens }, weights);
        const chunks = datum.model_input.chunks;
        const imageAt = chunks.findIndex((c) => c.type === 'image');
        expect(chunks[imageAt]).toMatchObject({ type: 'image', format: 'png', expected_tokens: 5 });
        const text = (c: (typeof chunks)[number]): number[] => (c.type === 'encoded_text' ? [...c.tokens] : []);
        expect(chunks.slice(0, imageAt).flatMap(text)).toEqual(s.promptTokens.slice(0, cut));
        expect(chunks.slice(imageAt + 1).flatMap(text)).toEqual([...s.promptTokens.slice(cut), ...s.responseTokens.slice(0, -1)]);
        const offset = responseOffset(geometry, promptTokens.length);
        expect(offset).toBe(5 + promptTokens.length - 2);
        const length = 5 + promptTokens.length - 1 + s.responseTokens.length - 1;
        expect(datum.loss_fn_inputs['target_tokens']!.data).toHaveLength(length);
        expect(datum.loss_fn_inputs['target_tokens']!.data.slice(offset)).toEqual(s.responseTokens);
        expect(datum.loss_fn_inputs['weights']!.data.slice(offset)).toEqual(weights);
        expect(datum.loss_fn_inputs['weights']!.data.slice(0, offset).every((w) => w === 0)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('RL built-in loss data', () => {
  it('puts the behaviour log-probs and advantages at the response positions, 0 on the image and prompt, and keeps the sequence', () => {
    fc.assert(
      fc.property(sequence, (s) => {
        const geometry: ImageGeometry = { imageSize: SIZE, imageTokens: 4 };
        const logp = s.responseTokens.map((_, j) => -0.25 * (j + 1));
        const advantages = s.responseTokens.map((_, j) => (j % 2 === 0 ? 0.5 : -1.5));
        const datum = builtinLossDatum(geometry, s, logp, advantages);
        expect(Object.keys(datum.loss_fn_inputs)).toEqual(['target_tokens', 'logprobs', 'advantages']);
        const offset = responseOffset(geometry, s.promptTokens.length);
        const length = offset + s.responseTokens.length;
        expect(datum.loss_fn_inputs['logprobs']!.data).toEqual([...new Array<number>(offset).fill(0), ...logp]);
        expect(datum.loss_fn_inputs['advantages']!.data).toEqual([...new Array<number>(offset).fill(0), ...advantages]);
        expect(datum.loss_fn_inputs['target_tokens']!.data.slice(offset)).toEqual(s.responseTokens);
        expect(datum.loss_fn_inputs['target_tokens']!.data).toHaveLength(length);
        expect(datum.model_input).toEqual(sequenceDatum(geometry, s, logp).model_input);
      }),
      { numRuns: 30 },
    );
  });
});
