/**
 * One raw record (a parsed JSON line or a Parquet row) → a `DatasetItem`, or the issue that
 * stops it. Each mapped column is decoded with io-ts, so an issue names the column and what
 * was found. Text may arrive as UTF-8 bytes (Parquet BYTE_ARRAY without a string annotation);
 * ids and answers may be strings, numbers or 64-bit integers (bigint). The image column holds a
 * relative path, raw bytes, or a Hugging Face `{bytes, path}` struct (bytes as binary, or
 * base64 text in JSON); bytes win over the path. The answer is checked against its type:
 * a choice answer becomes an option letter (choice.ts), a numeric answer must parse.
 */
import { readFile } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { AnswerType, PromptItem } from '../suite/problem.js';
import { choiceLetterOf } from '../reward/choice.js';
import { parseNumberStrict } from '../reward/numeric.js';
import { decodeImage, resizeImage } from './image.js';
import type { IssueKind, RecordIssue, RecordLocation } from './issues.js';
import { AnswerTypeCodec, type ResolvedOptions } from './options.js';
import { resolveInsideRoot } from './paths.js';

export type DatasetItem = PromptItem & { readonly source: RecordLocation };

const Bytes = new t.Type<Uint8Array, Uint8Array, unknown>(
  'bytes',
  (u): u is Uint8Array => u instanceof Uint8Array,
  (u, c) => (u instanceof Uint8Array ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const BigIntCodec = new t.Type<bigint, bigint, unknown>(
  'bigint',
  (u): u is bigint => typeof u === 'bigint',
  (u, c) => (typeof u === 'bigint' ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const Text = t.union([t.string, Bytes], 'text');
const Scalar = t.union([t.string, t.number, BigIntCodec, Bytes], 'string | number');
const Choices = t.union([t.array(t.union([t.string, t.number, Bytes])), t.null], 'list of options');
const ImageStruct = t.partial({ bytes: t.union([Bytes, t.string, t.null]), path: t.union([t.string, t.null]) }, '{bytes, path}');
const ImageRef = t.union([t.string, Bytes, ImageStruct], 'image path, bytes or {bytes, path}');

type Fail = (kind: IssueKind, detail: string, field?: string) => RecordIssue;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing';
  if (u instanceof Uint8Array) return `${u.length} bytes`;
  if (typeof u === 'bigint') return `${u}n`;
  const json = JSON.stringify(u, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  return json === undefined ? String(u) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
};

/** Decodes `row[column]` with io-ts; the issue names the column, the expected type and what was found. */
const decodeColumn = <A>(codec: t.Type<A, unknown, unknown>, row: Readonly<Record<string, unknown>>, column: string, fail: Fail): E.Either<RecordIssue, A> => {
  const result = codec.decode(row[column]);
  return E.isRight(result) ? E.right(result.right) : E.left(fail('invalid-record', `${column}: expected ${codec.name}, found ${describe(row[column])}`, column));
};

const optionalColumn = <A>(codec: t.Type<A, unknown, unknown>, row: Readonly<Record<string, unknown>>, column: string, fail: Fail): E.Either<RecordIssue, A | undefined> =>
  row[column] === undefined || row[column] === null ? E.right(undefined) : decodeColumn(codec, row, column, fail);

const asText = (value: string | number | bigint | Uint8Array, column: string, fail: Fail): E.Either<RecordIssue, string> => {
  if (!(value instanceof Uint8Array)) return E.right(String(value));
  try {
    return E.right(utf8.decode(value));
  } catch {
    return E.left(fail('invalid-record', 'bytes are not valid UTF-8 text', column));
  }
};

const sequence = <A>(items: ReadonlyArray<E.Either<RecordIssue, A>>): E.Either<RecordIssue, A[]> => {
  const out: A[] = [];
  for (const item of items) {
    if (E.isLeft(item)) return item;
    out.push(item.right);
  }
  return E.right(out);
};

const imageBytes = async (
  ref: t.TypeOf<typeof ImageRef>,
  options: ResolvedOptions,
  column: string,
  fail: Fail,
): Promise<E.Either<RecordIssue, Uint8Array>> => {
  let path: string | undefined;
  if (typeof ref === 'string') path = ref;
  else if (ref instanceof Uint8Array) return ref.length > 0 ? E.right(ref) : E.left(fail('missing-image', 'image bytes are empty', column));
  else {
    if (ref.bytes instanceof Uint8Array && ref.bytes.length > 0) return E.right(ref.bytes);
    if (typeof ref.bytes === 'string' && ref.bytes.length > 0) return E.right(new Uint8Array(Buffer.from(ref.bytes, 'base64')));
    path = ref.path ?? undefined;
  }
  if (path === undefined) return E.left(fail('missing-image', 'the record has neither image bytes nor an image path', column));
  const resolved = await resolveInsideRoot(options.root, path);
  if (E.isLeft(resolved)) return E.left(fail(resolved.left.kind, resolved.left.detail, column));
  try {
    return E.right(new Uint8Array(await readFile(resolved.right)));
  } catch (error) {
    return E.left(fail('missing-image', `image ${JSON.stringify(path)} cannot be read: ${error instanceof Error ? error.message : String(error)}`, column));
  }
};

const inferAnswerType = (answer: string, choices: readonly string[] | undefined): AnswerType => {
  if (choices !== undefined) return 'choice';
  const n = parseNumberStrict(answer);
  if (n === undefined) return 'text';
  return Number.isInteger(n.value) && n.decimals === 0 && !n.percent && !answer.includes('/') ? 'integer' : 'number';
};

/** The answer in the form the verifiers compare: a choice answer as its option letter. */
const canonicalAnswer = (answer: string, answerType: AnswerType, choices: readonly string[] | undefined, column: string, fail: Fail): E.Either<RecordIssue, string> => {
  switch (answerType) {
    case 'choice': {
      const letter = choiceLetterOf(answer, choices);
      return letter === undefined
        ? E.left(fail('bad-answer', `answer ${JSON.stringify(answer)} is neither an option letter nor one of the choices`, column))
        : E.right(letter);
    }
    case 'integer':
    case 'number':
      return parseNumberStrict(answer) === undefined ? E.left(fail('bad-answer', `answer ${JSON.stringify(answer)} is not a number`, column)) : E.right(answer.trim());
    case 'text':
      return answer.trim().length === 0 ? E.left(fail('bad-answer', 'answer is empty', column)) : E.right(answer.trim());
  }
};

/** Decodes one raw record; `defaultId` names it when it has no id column. */
export const toDatasetItem = async (
  raw: unknown,
  location: RecordLocation,
  defaultId: string,
  options: ResolvedOptions,
): Promise<E.Either<RecordIssue, DatasetItem>> => {
  const fail: Fail = (kind, detail, field) => ({ ...location, kind, detail, ...(field === undefined ? {} : { field }) });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return E.left(fail('invalid-record', `expected an object, found ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw)}`));
  }
  const row = raw as Readonly<Record<string, unknown>>;
  const m = options.mapping;
  if (row[m.image] === undefined || row[m.image] === null) return E.left(fail('missing-image', 'the record has no image', m.image));
  const question = E.chain((v: string | Uint8Array) => asText(v, m.question, fail))(decodeColumn(Text, row, m.question, fail));
  if (E.isLeft(question)) return question;
  const rawAnswer = E.chain((v: string | number | bigint | Uint8Array) => asText(v, m.answer, fail))(decodeColumn(Scalar, row, m.answer, fail));
  if (E.isLeft(rawAnswer)) return rawAnswer;
  const imageRef = decodeColumn(ImageRef, row, m.image, fail);
  if (E.isLeft(imageRef)) return imageRef;
  const rawChoices = optionalColumn(Choices, row, m.choices, fail);
  if (E.isLeft(rawChoices)) return rawChoices;
  const choiceTexts = rawChoices.right === undefined || rawChoices.right === null ? E.right([]) : sequence(rawChoices.right.map((c) => asText(c, m.choices, fail)));
  if (E.isLeft(choiceTexts)) return choiceTexts;
  const choices = choiceTexts.right.length === 0 ? undefined : choiceTexts.right;
  const rawId = optionalColumn(Scalar, row, m.id, fail);
  if (E.isLeft(rawId)) return rawId;
  const id = rawId.right === undefined ? E.right(defaultId) : asText(rawId.right, m.id, fail);
  if (E.isLeft(id)) return id;
  const columnType = optionalColumn(AnswerTypeCodec, row, m.answerType, fail);
  if (E.isLeft(columnType)) return columnType;
  const answerType = options.answerType ?? columnType.right ?? inferAnswerType(rawAnswer.right, choices);
  const answer = canonicalAnswer(rawAnswer.right, answerType, choices, m.answer, fail);
  if (E.isLeft(answer)) return answer;
  const bytes = await imageBytes(imageRef.right, options, m.image, fail);
  if (E.isLeft(bytes)) return bytes;
  const decoded = decodeImage(bytes.right, options.background);
  if (E.isLeft(decoded)) return E.left(fail('bad-image', decoded.left.message, m.image));
  return E.right({
    id: id.right,
    question: question.right,
    answer: answer.right,
    answerType,
    ...(choices === undefined ? {} : { choices }),
    image: resizeImage(options.imageWidth, options.imageHeight, options.resize)(decoded.right),
    source: location,
  });
};
