/**
 * The character tokenizer of the built-in policy: one token per character of a fixed alphabet
 * (digits, lowercase and uppercase letters, space and the punctuation that English questions
 * about shapes, colours, counts, bar charts and sequences need) plus special tokens. `<` and
 * `>` are not characters of the alphabet, so a `<` in text always opens a special token's
 * literal (`<think>`, `</answer>`, ...) and encoding is unambiguous; `decode(encode(s)) = s`
 * for every string over the alphabet and the special literals.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';

export const SPECIAL_TOKENS = ['<pad>', '<eos>', '<image>', '<think>', '</think>', '<answer>', '</answer>'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export const PAD_ID = 0;
export const EOS_ID = 1;
export const IMAGE_ID = 2;
export const THINK_ID = 3;
export const END_THINK_ID = 4;
export const ANSWER_ID = 5;
export const END_ANSWER_ID = 6;

export const ALPHABET =
  '0123456789' + 'abcdefghijklmnopqrstuvwxyz' + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' + ` .,?!:;'"()-+*/=%`;

export const VOCAB_SIZE = SPECIAL_TOKENS.length + ALPHABET.length;

/** Token ids the policy never generates (its head masks them): padding and the image marker. */
export const UNGENERATABLE_IDS: readonly number[] = [PAD_ID, IMAGE_ID];

const charToId = new Map<string, number>([...ALPHABET].map((ch, i) => [ch, SPECIAL_TOKENS.length + i]));
const specialToId = new Map<string, number>(SPECIAL_TOKENS.map((s, i) => [s, i]));

const tokenText = (id: number): string | undefined =>
  id < SPECIAL_TOKENS.length ? SPECIAL_TOKENS[id] : ALPHABET[id - SPECIAL_TOKENS.length];

export class Tokenizer {
  readonly vocabSize = VOCAB_SIZE;
  readonly padId = PAD_ID;
  readonly eosId = EOS_ID;
  readonly imageId = IMAGE_ID;

  /** Token ids of `text`; a character outside the alphabet is an error naming its index. */
  encode(text: string): E.Either<StageError, number[]> {
    const ids: number[] = [];
    let i = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '<') {
        const close = text.indexOf('>', i);
        const literal = close < 0 ? undefined : text.slice(i, close + 1);
        const id = literal === undefined ? undefined : specialToId.get(literal);
        if (id === undefined) {
          return E.left(
            new StageError('tokenizer.encode', 'text', i, 'invalid', `'<' at ${i} does not open a special token (${SPECIAL_TOKENS.join(' ')})`),
          );
        }
        ids.push(id);
        i = close + 1;
        continue;
      }
      const id = charToId.get(ch);
      if (id === undefined) {
        return E.left(new StageError('tokenizer.encode', 'text', i, 'invalid', `character ${JSON.stringify(ch)} is not in the alphabet`));
      }
      ids.push(id);
      i++;
    }
    return E.right(ids);
  }

  /** The text of `ids`, special tokens written as their literals; an unknown id is an error naming its index. */
  decode(ids: readonly number[]): E.Either<StageError, string> {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const piece = Number.isInteger(id) && id >= 0 ? tokenText(id) : undefined;
      if (piece === undefined) return E.left(new StageError('tokenizer.decode', 'ids', i, 'out-of-range', `is ${id}, expected a token id in [0, ${VOCAB_SIZE})`));
      text += piece;
    }
    return E.right(text);
  }

  /** The text of a generated response: up to (not including) the first end-of-sequence, padding dropped. */
  decodeResponse(ids: readonly number[]): E.Either<StageError, string> {
    const end = ids.indexOf(EOS_ID);
    return this.decode((end < 0 ? ids : ids.slice(0, end)).filter((id) => id !== PAD_ID));
  }
}

export const tokenizer = new Tokenizer();
