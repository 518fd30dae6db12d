/**
 * The body of a chat-completions reply, decoded with io-ts at the boundary: JSON that does not
 * parse, a missing or empty `choices`, or fields of the wrong type are a `malformed` failure that
 * names what was wrong, never an exception.
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { decodeWith } from '@rlflow/core';

const NullableString = t.union([t.string, t.null]);

const Choice = t.intersection([
  t.type({ message: t.intersection([t.type({ content: NullableString }), t.partial({ role: t.string })]) }),
  t.partial({ finish_reason: NullableString, index: t.number }),
]);

const Usage = t.partial({ prompt_tokens: t.number, completion_tokens: t.number, total_tokens: t.number });

interface NonEmptyChoicesBrand {
  readonly NonEmptyChoices: unique symbol;
}
const NonEmptyChoices = t.brand(
  t.array(Choice),
  (choices): choices is t.Branded<Array<t.TypeOf<typeof Choice>>, NonEmptyChoicesBrand> => choices.length > 0,
  'NonEmptyChoices',
);

export const ChatCompletionReply = t.intersection([
  t.type({ choices: NonEmptyChoices }),
  t.partial({ model: t.string, usage: t.union([Usage, t.null]) }),
]);
export type ChatCompletionReply = t.TypeOf<typeof ChatCompletionReply>;

export interface TokenUsage {
  readonly promptTokens?: number;
  readonly completionTokens?: number;
}

/** What a successful request yields: the first choice's text (null content reads as ""). */
export interface Completion {
  readonly content: string;
  readonly finishReason: string | null;
  readonly model: string | null;
  readonly usage: TokenUsage | null;
}

const toCompletion = (reply: ChatCompletionReply): Completion => {
  const first = reply.choices[0]!;
  const usage = reply.usage ?? null;
  return {
    content: first.message.content ?? '',
    finishReason: first.finish_reason ?? null,
    model: reply.model ?? null,
    usage:
      usage === null
        ? null
        : {
            ...(usage.prompt_tokens === undefined ? {} : { promptTokens: usage.prompt_tokens }),
            ...(usage.completion_tokens === undefined ? {} : { completionTokens: usage.completion_tokens }),
          },
  };
};

const parseJson = (text: string): E.Either<string, unknown> =>
  E.tryCatch(
    () => JSON.parse(text) as unknown,
    (error) => `reply is not JSON (${error instanceof Error ? error.message : String(error)}): ${text.slice(0, 80)}`,
  );

/** Decodes a reply body; the Left is a one-line description of the problem. */
export const decodeCompletion = (body: string): E.Either<string, Completion> =>
  pipe(
    parseJson(body),
    E.chain((json) =>
      pipe(
        decodeWith(ChatCompletionReply, 'chat completion reply')(json),
        E.mapLeft((error) => error.message),
      ),
    ),
    E.map(toCompletion),
  );
