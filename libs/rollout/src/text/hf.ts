/**
 * A model's own tokenizer and chat template from a local Hugging Face tokenizer folder
 * (tokenizer.json, tokenizer_config.json, optionally chat_template.jinja), through
 * @huggingface/tokenizers and @huggingface/jinja; nothing is fetched.
 *
 * The prompt of an item is the chat template rendered over
 *   messages = [{ role: "user", content: [{ type: "image" }, { type: "text", text: problemPrompt(item) }] }]
 * with add_generation_prompt = true, encoded without added special tokens (the template writes
 * them). Qwen2-VL, Qwen2.5-VL and Qwen3-VL templates write the image as
 * `<|vision_start|><|image_pad|><|vision_end|>`: the one `<|image_pad|>` token (the codec's
 * `imageToken`) marks where the engine puts the image chunk of expected_tokens positions. A
 * rendered prompt without exactly one image token is refused.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { decodeWith, readJson, DecodeError } from '@rlflow/core';
import { problemPrompt } from '../suite/prompt.js';
import { codecError, untilEos, type TextCodec } from './codec.js';

const STAGE = 'tokenizer.hf';
export const DEFAULT_IMAGE_TOKEN = '<|image_pad|>';
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

/** A token as tokenizer_config.json writes it: the string, or an AddedToken object with its content. */
const TokenText = t.union([t.string, t.type({ content: t.string })]);
const NamedTemplate = t.type({ name: t.string, template: t.string });

/** The fields of tokenizer_config.json this codec reads (others are ignored). */
export const TokenizerConfigFile = t.intersection([
  t.type({ eos_token: TokenText }),
  t.partial({
    chat_template: t.union([t.string, t.array(NamedTemplate)]),
    bos_token: t.union([TokenText, t.null]),
    pad_token: t.union([TokenText, t.null]),
  }),
]);
export type TokenizerConfigFile = t.TypeOf<typeof TokenizerConfigFile>;

const TokenizerFile = t.type({ model: t.type({ type: t.string }) });

const tokenText = (token: t.TypeOf<typeof TokenText>): string => (typeof token === 'string' ? token : token.content);

const readText = async (path: string): Promise<E.Either<DecodeError, string | undefined>> => {
  try {
    return E.right(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return E.right(undefined);
    return E.left(new DecodeError(path, [`cannot be read: ${error instanceof Error ? error.message : String(error)}`]));
  }
};

export interface HfCodecOptions {
  /** The token that marks the image (default `<|image_pad|>`). */
  readonly imageToken?: string;
}

/** The chat template: tokenizer_config.json's `chat_template` (a string, or the one named "default"), else chat_template.jinja. */
const chatTemplate = async (dir: string, config: TokenizerConfigFile): Promise<E.Either<DecodeError, string>> => {
  const configPath = join(dir, TOKENIZER_CONFIG_FILE);
  if (typeof config.chat_template === 'string') return E.right(config.chat_template);
  if (Array.isArray(config.chat_template)) {
    const named = config.chat_template.find((c) => c.name === 'default');
    return named === undefined ? E.left(new DecodeError(configPath, ['chat_template: a list without a template named "default"'])) : E.right(named.template);
  }
  const file = await readText(join(dir, CHAT_TEMPLATE_FILE));
  if (E.isLeft(file)) return file;
  return file.right === undefined ? E.left(new DecodeError(configPath, [`chat_template: missing, and there is no ${CHAT_TEMPLATE_FILE} beside it`])) : E.right(file.right);
};

/** The codec of the tokenizer folder `dir`; errors name the file and the field. */
export const loadHfCodec = async (dir: string, options: HfCodecOptions = {}): Promise<E.Either<DecodeError, TextCodec>> => {
  const tokenizerPath = join(dir, TOKENIZER_FILE);
  const configPath = join(dir, TOKENIZER_CONFIG_FILE);
  const tokenizerJson = await readJson(tokenizerPath);
  if (E.isLeft(tokenizerJson)) return tokenizerJson;
  const tokenizerShape = decodeWith(TokenizerFile, tokenizerPath)(tokenizerJson.right);
  if (E.isLeft(tokenizerShape)) return tokenizerShape;
  const configJson = await readJson(configPath);
  if (E.isLeft(configJson)) return configJson;
  const config = decodeWith(TokenizerConfigFile, configPath)(configJson.right);
  if (E.isLeft(config)) return config;
  const templateText = await chatTemplate(dir, config.right);
  if (E.isLeft(templateText)) return templateText;

  let tokenizer: Tokenizer;
  let template: Template;
  try {
    tokenizer = new Tokenizer(tokenizerJson.right as object, configJson.right as object);
  } catch (error) {
    return E.left(new DecodeError(tokenizerPath, [`is not a tokenizer the @huggingface/tokenizers library reads: ${error instanceof Error ? error.message : String(error)}`]));
  }
  try {
    template = new Template(templateText.right);
  } catch (error) {
    return E.left(new DecodeError(configPath, [`chat_template: does not parse: ${error instanceof Error ? error.message : String(error)}`]));
  }
  const eosText = tokenText(config.right.eos_token);
  const eos = tokenizer.token_to_id(eosText);
  if (eos === undefined) return E.left(new DecodeError(configPath, [`eos_token: ${JSON.stringify(eosText)} is not a token of ${tokenizerPath}`]));
  const imageText = options.imageToken ?? DEFAULT_IMAGE_TOKEN;
  const image = tokenizer.token_to_id(imageText);
  if (image === undefined) return E.left(new DecodeError(tokenizerPath, [`the image token ${JSON.stringify(imageText)} is not a token of it`]));
  const specials = new Set(tokenizer.get_added_tokens_decoder().keys());

  const codec: TextCodec = {
    source: dir,
    eosTokenId: eos,
    imageTokenId: image,
    encodePrompt: (item) => {
      let text: string;
      try {
        text = template.render({
          messages: [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: problemPrompt(item) }] }],
          add_generation_prompt: true,
          ...(config.right.bos_token === undefined || config.right.bos_token === null ? {} : { bos_token: tokenText(config.right.bos_token) }),
          eos_token: eosText,
        });
      } catch (error) {
        return E.left(codecError(STAGE, 'chat_template', `${configPath}: rendering failed: ${error instanceof Error ? error.message : String(error)}`));
      }
      const ids: number[] = [...tokenizer.encode(text, { add_special_tokens: false }).ids];
      const images = ids.filter((id: number) => id === image).length;
      if (images !== 1) return E.left(codecError(STAGE, 'chat_template', `${configPath}: the rendered prompt holds ${images} ${imageText} tokens, expected exactly 1 (the image's place)`));
      return E.right(ids);
    },
    decodeResponse: (tokens) => {
      const bad = tokens.findIndex((id) => !Number.isSafeInteger(id) || id < 0 || (tokenizer.id_to_token(id) === undefined && !specials.has(id)));
      if (bad >= 0) return E.left(codecError(STAGE, 'tokens', `is ${tokens[bad]}, not a token id of ${tokenizerPath}`, bad));
      const text = untilEos(tokens, eos);
      return E.right(text.length === 0 ? '' : tokenizer.decode([...text], { skip_special_tokens: true }));
    },
  };
  return E.right(codec);
};
