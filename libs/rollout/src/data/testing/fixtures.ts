/**
 * The contents of the committed dataset fixtures under libs/rollout/fixtures/, built by
 * `npx tsx libs/rollout/fixtures/build-fixtures.ts`. Layout (paths relative to fixtures/):
 * - outside.png: an image outside the dataset root, the target of escaping paths;
 * - dataset/images/{red,green,alpha}.png, photo.jpg, corrupt.png (PNG signature, then junk);
 * - dataset/valid.jsonl, dataset/broken.jsonl (one fault per line, listed in BROKEN_JSONL);
 * - dataset/valid.parquet, dataset/broken.parquet (one fault per row, listed in BROKEN_PARQUET).
 */
import jpeg from 'jpeg-js';
import { encodePng, encodeRgba8Png } from '../image.js';
import type { RgbImage } from '../../suite/problem.js';
import type { IssueKind } from '../issues.js';
import { writeParquet, type ParquetColumn } from './parquet-writer.js';

const solid = (width: number, height: number, rgb: readonly [number, number, number]): RgbImage => {
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgb, p * 3);
  return { width, height, data };
};

/** A 16×16 JPEG: red rising left to right, blue top to bottom. */
const photoJpeg = (): Uint8Array => {
  const size = 16;
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) rgba.set([Math.round((255 * x) / (size - 1)), 128, Math.round((255 * y) / (size - 1)), 255], (y * size + x) * 4);
  }
  return new Uint8Array(jpeg.encode({ width: size, height: size, data: rgba }, 95).data);
};

/** A 2×1 PNG: an opaque black pixel and a fully transparent black one. */
const alphaPng = (): Uint8Array => encodeRgba8Png(2, 1, Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 0]));

export const RED_PNG = (): Uint8Array => encodePng(solid(8, 8, [1, 0, 0]));
export const GREEN_PNG = (): Uint8Array => encodePng(solid(4, 6, [0, 1, 0]));
/** PNG signature followed by bytes that are not a PNG stream. */
export const CORRUPT_PNG = (): Uint8Array => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]);

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

const jsonl = (records: readonly unknown[]): string => `${records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;

export const VALID_JSONL = (): string =>
  jsonl([
    { id: 'q1', question: 'how many red shapes?', answer: '3', image: 'images/red.png' },
    { id: 'q2', question: 'which colour?', choices: ['red', 'green'], answer: 'green', image: { path: 'images/green.png', bytes: null } },
    { id: 7, question: 'what is shown?', answer: 'A photo', image: { bytes: base64(RED_PNG()), path: 'ignored.png' } },
    { question: 'value?', answer: 0.75, image: 'images/photo.jpg', answer_type: 'number' },
    { id: 'q5', question: 'which?', choices: ['3', '5'], answer: 'B', image: 'images/alpha.png' },
  ]);

/** Line → the issue it must raise (line numbers are 1-based). Line 9 is blank; lines 1 and 10 are valid. */
export const BROKEN_JSONL: Readonly<Record<number, { readonly kind: IssueKind; readonly field?: string }>> = {
  2: { kind: 'bad-json' },
  3: { kind: 'invalid-record', field: 'question' },
  4: { kind: 'invalid-record', field: 'answer' },
  5: { kind: 'missing-image', field: 'image' },
  6: { kind: 'image-outside-root', field: 'image' },
  7: { kind: 'bad-image', field: 'image' },
  8: { kind: 'image-outside-root', field: 'image' },
  11: { kind: 'bad-answer', field: 'answer' },
  12: { kind: 'duplicate-id' },
  13: { kind: 'invalid-record', field: 'choices' },
  14: { kind: 'invalid-record' },
};

export const BROKEN_JSONL_TEXT = (): string =>
  jsonl([
    { id: 'b1', question: 'ok?', answer: '1', image: 'images/red.png' },
    '{"id": "b2", "question": "cut off", "answer": ',
    { id: 'b3', answer: '1', image: 'images/red.png' },
    { id: 'b4', question: 'wrong type', answer: { value: 1 }, image: 'images/red.png' },
    { id: 'b5', question: 'no such file', answer: '1', image: 'images/nope.png' },
    { id: 'b6', question: 'escapes', answer: '1', image: '../outside.png' },
    { id: 'b7', question: 'corrupt', answer: '1', image: 'images/corrupt.png' },
    { id: 'b8', question: 'absolute', answer: '1', image: '/etc/passwd' },
    '',
    { id: 'b10', question: 'ok too', answer: 'B', choices: ['x', 'y'], image: 'images/green.png' },
    { id: 'b11', question: 'bad option', answer: 'purple', choices: ['red', 'green'], image: 'images/red.png' },
    { id: 'b1', question: 'same id', answer: '2', image: 'images/red.png' },
    { id: 'b13', question: 'choices', answer: 'A', choices: 'red,green', image: 'images/red.png' },
    '[1, 2, 3]',
  ]);

export const PARQUET_COLUMNS: readonly ParquetColumn[] = [
  { kind: 'int64', name: 'id', optional: false },
  { kind: 'string', name: 'question', optional: true },
  { kind: 'string', name: 'answer', optional: true },
  { kind: 'list', name: 'choices', optional: true },
  {
    kind: 'struct',
    name: 'image',
    optional: true,
    fields: [
      { kind: 'binary', name: 'bytes' },
      { kind: 'string', name: 'path' },
    ],
  },
];

export const VALID_PARQUET = (): Uint8Array =>
  writeParquet(PARQUET_COLUMNS, [
    { id: 10n, question: 'how many?', answer: '3', choices: null, image: { bytes: RED_PNG(), path: 'red.png' } },
    { id: 11n, question: 'which colour?', answer: 'green', choices: ['red', 'green'], image: { bytes: GREEN_PNG(), path: null } },
    { id: 12n, question: 'from a path', answer: '4/5', choices: [], image: { bytes: null, path: 'images/photo.jpg' } },
  ]);

/** Row (0-based) → the issue it must raise; rows 0 and 5 are valid. */
export const BROKEN_PARQUET: Readonly<Record<number, { readonly kind: IssueKind; readonly field?: string }>> = {
  1: { kind: 'invalid-record', field: 'question' },
  2: { kind: 'bad-image', field: 'image' },
  3: { kind: 'image-outside-root', field: 'image' },
  4: { kind: 'missing-image', field: 'image' },
};

export const BROKEN_PARQUET_BYTES = (): Uint8Array =>
  writeParquet(PARQUET_COLUMNS, [
    { id: 0n, question: 'fine', answer: '1', choices: null, image: { bytes: RED_PNG(), path: null } },
    { id: 1n, question: null, answer: '1', choices: null, image: { bytes: RED_PNG(), path: null } },
    { id: 2n, question: 'corrupt bytes', answer: '1', choices: null, image: { bytes: CORRUPT_PNG(), path: null } },
    { id: 3n, question: 'escapes', answer: '1', choices: null, image: { bytes: null, path: '../outside.png' } },
    { id: 4n, question: 'no image', answer: '1', choices: null, image: null },
    { id: 5n, question: 'fine too', answer: 'y', choices: ['x', 'y'], image: { bytes: GREEN_PNG(), path: null } },
  ]);

/** Every fixture file, by path relative to libs/rollout/fixtures/. */
export const fixtureFiles = (): ReadonlyArray<readonly [string, string | Uint8Array]> => [
  ['outside.png', RED_PNG()],
  ['dataset/images/red.png', RED_PNG()],
  ['dataset/images/green.png', GREEN_PNG()],
  ['dataset/images/alpha.png', alphaPng()],
  ['dataset/images/photo.jpg', photoJpeg()],
  ['dataset/images/corrupt.png', CORRUPT_PNG()],
  ['dataset/valid.jsonl', VALID_JSONL()],
  ['dataset/broken.jsonl', BROKEN_JSONL_TEXT()],
  ['dataset/valid.parquet', VALID_PARQUET()],
  ['dataset/broken.parquet', BROKEN_PARQUET_BYTES()],
];
