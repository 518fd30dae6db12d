import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { TestScheduler } from 'rxjs/testing';
import { StageError } from './errors.js';
import { stageOperator, unwrap, type Stage } from './stream.js';

const halve: Stage<number, number> = (x) =>
  Number.isFinite(x) ? E.right(x / 2) : E.left(new StageError('halve', 'x', null, 'not-finite', `is ${x}`));

describe('stageOperator', () => {
  it('maps each value through the stage', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-|', { a: 2, b: 4 }).pipe(stageOperator(halve))).toBe('a-b-|', { a: 1, b: 2 });
    });
  });

  it('errors the stream with the typed StageError', () => {
    const err = new StageError('halve', 'x', null, 'not-finite', 'is NaN');
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-c|', { a: 2, b: Number.NaN, c: 4 }).pipe(stageOperator(halve))).toBe('a-#', { a: 1 }, err);
    });
  });

  it('unwraps rights and throws lefts', () => {
    expect(unwrap(E.right(3))).toBe(3);
    expect(() => unwrap(halve(Number.NaN))).toThrow(StageError);
  });
});
