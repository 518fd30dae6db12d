import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CODEC, loadHfCodec, type TextCodec } from '../index.js';

const FIXTURE = join(import.meta.dirname, '../../../../fixtures/tokenizers/qwen-vl-tiny');

const load = async (dir = FIXTURE): Promise<TextCodec> => {
  const codec = await loadHfCodec(dir);
  if (E.isLeft(codec)) throw codec.left;
  return codec.right;
};

const withConfig = async (edit: (config: Record<string, unknown>) => void, run: (dir: string) => Promise<void>): Promise<void> => {
  const dir = await mkdtemp(join(tmpdir(), 'rlflow-tok-'));
  try {
    await copyFile(join(FIXTURE, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const config = JSON.parse(await readFile(join(FIXTURE, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    edit(config);
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

describe('the Hugging Face codec (fixtures/tokenizers/qwen-vl-tiny)', () => {
  it('renders the Qwen-VL chat template with the image in the user turn, as one <|image_pad|> between the vision markers', async () => {
    const codec = await load();
    const ids = codec.encodePrompt({ question: 'How many circles?', choices: ['2', '3'] });
    if (E.isLeft(ids)) throw ids.left;
    const text = JSON.parse(await readFile(join(FIXTURE, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; content: string }[] };
    const special = new Map(text.added_tokens.map((t) => [t.content, t.id]));
    const at = ids.right.indexOf(special.get('<|image_pad|>')!);
    expect(codec.imageTokenId).toBe(special.get('<|image_pad|>'));
    expect(codec.eosTokenId).toBe(special.get('<|im_end|>'));
    expect(ids.right[at - 1]).toBe(special.get('<|vision_start|>'));
    expect(ids.right[at + 1]).toBe(special.get('<|vision_end|>'));
    expect(ids.right.filter((id) => id === codec.imageTokenId)).toHaveLength(1);
    expect(ids.right[0]).toBe(special.get('<|im_start|>'));
    // The prompt text after the image, then the end of the user turn and the assistant's header.
    const after = codec.decodeResponse(ids.right.slice(at + 2));
    expect(after).toEqual(E.right('How many circles? A:2 B:3'));
    const all = codec.decodeResponse([...ids.right.slice(at + 2), ...ids.right.slice(ids.right.indexOf(codec.eosTokenId) + 1)]);
    expect(all).toEqual(E.right('How many circles? A:2 B:3'));
  });

  it('round-trips any text through encode and decode (byte-level BPE), stopping at <|im_end|>', async () => {
    const codec = await load();
    const encode = (s: string): number[] => {
      const ids = codec.encodePrompt({ question: s });
      if (E.isLeft(ids)) throw ids.left;
      const pad = ids.right.indexOf(codec.imageTokenId!);
      return ids.right.slice(pad + 2, ids.right.indexOf(codec.eosTokenId, pad));
    };
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('<|')), (s) => {
        const ids = encode(s);
        expect(codec.decodeResponse(ids)).toEqual(E.right(s));
        expect(codec.decodeResponse([...ids, codec.eosTokenId, ...encode('tail')])).toEqual(E.right(s));
      }),
      { numRuns: 60 },
    );
    expect(codec.decodeResponse(encode('<think>the answer</think><answer>B</answer>'))).toEqual(E.right('<think>the answer</think><answer>B</answer>'));
  });

  it('refuses an id outside the vocabulary, naming the index', async () => {
    const codec = await load();
    const decoded = codec.decodeResponse([97, 10_000]);
    expect(E.isLeft(decoded) && [decoded.left.field, decoded.left.index]).toEqual(['tokens', 1]);
  });

  it('names the file and the field of a bad tokenizer_config.json', async () => {
    await withConfig(
      (config) => { config['eos_token'] = 7; },
      async (dir) => {
        const codec = await loadHfCodec(dir);
        expect(E.isLeft(codec) && codec.left.message).toMatch(/tokenizer_config\.json.*eos_token/);
      },
    );
    await withConfig(
      (config) => { delete config['chat_template']; },
      async (dir) => {
        const codec = await loadHfCodec(dir);
        expect(E.isLeft(codec) && codec.left.message).toMatch(/tokenizer_config\.json: chat_template: missing, and there is no chat_template\.jinja/);
      },
    );
    await withConfig(
      (config) => { config['eos_token'] = '<|nope|>'; },
      async (dir) => {
        const codec = await loadHfCodec(dir);
        expect(E.isLeft(codec) && codec.left.message).toMatch(/eos_token: "<\|nope\|>" is not a token/);
      },
    );
    await withConfig(
      (config) => { config['chat_template'] = '{{ messages[0].content[1].text }}'; },
      async (dir) => {
        const codec = await loadHfCodec(dir);
        if (E.isLeft(codec)) throw codec.left;
        const ids = codec.right.encodePrompt({ question: 'q' });
        expect(E.isLeft(ids) && ids.left.detail).toMatch(/holds 0 <\|image_pad\|> tokens, expected exactly 1/);
      },
    );
    const missing = await loadHfCodec(join(FIXTURE, 'nowhere'));
    expect(E.isLeft(missing) && missing.left.message).toMatch(/nowhere\/tokenizer\.json: cannot be read/);
  });

  it('the built-in codec is the character tokenizer, image outside the tokens', () => {
    expect(BUILTIN_CODEC.imageTokenId).toBeNull();
    const ids = BUILTIN_CODEC.encodePrompt({ question: 'how many?' });
    if (E.isLeft(ids)) throw ids.left;
    expect(BUILTIN_CODEC.decodeResponse([...ids.right, BUILTIN_CODEC.eosTokenId])).toEqual(E.right('how many?'));
  });
});
