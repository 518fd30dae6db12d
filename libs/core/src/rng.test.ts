import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng, deriveSeed, hashString } from './rng.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = Rng.fromSeed(seed);
        const b = Rng.fromSeed(seed);
        const c = Rng.fromSeed((seed + 1) >>> 0);
        const xs = Array.from({ length: 8 }, () => a.nextU32());
        expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
        expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
      }),
      { numRuns: 50 },
    );
  });

  it('restores exactly from its state', () => {
    const rng = Rng.fromSeed(7);
    for (let i = 0; i < 13; i++) rng.next();
    const copy = Rng.fromState(rng.state());
    expect(Array.from({ length: 20 }, () => copy.next())).toEqual(Array.from({ length: 20 }, () => rng.next()));
  });

  it('draws floats in [0, 1) with mean near 1/2 and integers in range', () => {
    const rng = Rng.fromSeed(1);
    const xs = Array.from({ length: 20000 }, () => rng.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.01);
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), (n) => {
      const k = rng.int(n);
      return Number.isInteger(k) && k >= 0 && k < n;
    }));
  });

  it('draws standard normals', () => {
    const rng = Rng.fromSeed(3);
    const xs = Array.from({ length: 20000 }, () => rng.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('shuffles into a permutation', () => {
    fc.assert(fc.property(fc.array(fc.integer()), fc.nat(), (items, seed) => {
      const shuffled = Rng.fromSeed(seed).shuffle(items);
      expect([...shuffled].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
    }));
  });

  it('rejects invalid seeds and states', () => {
    expect(() => Rng.fromSeed(1.5)).toThrow(/not an integer/);
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/invalid state/);
    expect(() => Rng.fromSeed(1).int(0)).toThrow(/positive integer/);
  });

  it('derives distinct, stable sub-stream seeds', () => {
    expect(deriveSeed(1, 'rollout')).toBe(deriveSeed(1, 'rollout'));
    expect(deriveSeed(1, 'rollout')).not.toBe(deriveSeed(1, 'eval'));
    expect(deriveSeed(1, 'rollout')).not.toBe(deriveSeed(2, 'rollout'));
    expect(hashString('')).toBe(0x811c9dc5);
  });
});
