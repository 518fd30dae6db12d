/**
 * The seed of prompt p's random stream in `Engine.sample` (contract.ts): an engine draws the G
 * samples of prompt p from `promptSeed(seed, p)`, so a prompt's samples do not depend on the
 * other prompts of the request, and an engine that samples prompt by prompt (a remote one,
 * one request per prompt) gives the same rows as one that samples the batch at once.
 *
 *   promptSeed(s, p) = (s + p · 0x9E3779B1) mod 2³²,   promptSeed(s, 0) = s
 *
 * (0x9E3779B1: the 32-bit golden-ratio constant, so nearby prompts get far-apart seeds.)
 */
export const promptSeed = (seed: number, p: number): number => (seed + Math.imul(p, 0x9e3779b1)) >>> 0;
