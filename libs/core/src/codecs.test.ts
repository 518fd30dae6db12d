import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { decodeWith } from './io.js';
import { literalUnion } from './codecs.js';

describe('literalUnion', () => {
  const modes = ['fixed', 'aaac'] as const;
  const Mode = literalUnion(modes);

  it('accepts exactly the listed values and returns them unchanged', () => {
    for (const mode of modes) expect(Mode.decode(mode)).toEqual(E.right(mode));
    fc.assert(
      fc.property(fc.anything(), (u) => {
        expect(Mode.is(u)).toBe(u === 'fixed' || u === 'aaac');
        expect(E.isRight(Mode.decode(u))).toBe(Mode.is(u));
      }),
      { numRuns: 300 },
    );
    expect(Mode.encode('aaac')).toBe('aaac');
  });

  it('names the values it expects, or the name it is given', () => {
    expect(Mode.name).toBe('one of "fixed", "aaac"');
    expect(literalUnion([1, 2, 3]).name).toBe('one of 1, 2, 3');
    expect(literalUnion(['ok', 'error'], 'JournalStatus').name).toBe('JournalStatus');
    const result = decodeWith(t.type({ clip: t.type({ mode: Mode }) }), 'run.yaml')({ clip: { mode: 'fixd' } });
    expect(E.isLeft(result) && result.left.problems).toEqual(['clip.mode: expected one of "fixed", "aaac", found "fixd"']);
  });

  it('tells numbers from their strings, and refuses everything when the list is empty', () => {
    const Level = literalUnion([1, 2]);
    expect(Level.is(1)).toBe(true);
    expect(Level.is('1')).toBe(false);
    expect(literalUnion(['1']).is(1)).toBe(false);
    expect(literalUnion<string>([]).is('')).toBe(false);
  });

  it('reads a registry keyed by name', () => {
    const registry = { grpo: 1, rloo: 2 } as const;
    const Name = literalUnion(Object.keys(registry) as (keyof typeof registry)[]);
    expect(Name.is('rloo')).toBe(true);
    expect(Name.is('toString')).toBe(false);
  });
});
