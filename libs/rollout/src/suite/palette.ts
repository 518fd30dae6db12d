/**
 * The suite's colours: saturated hues on a black background, far apart so a 5×5 patch of
 * one is never confused with another at 32×32. White is kept for glyphs and axes.
 */
export type ColorName = 'red' | 'green' | 'blue' | 'yellow' | 'cyan' | 'pink';

export type Rgb = readonly [number, number, number];

export const COLOR_NAMES: readonly ColorName[] = ['red', 'green', 'blue', 'yellow', 'cyan', 'pink'];

export const COLORS: Readonly<Record<ColorName, Rgb>> = {
  red: [1, 0.1, 0.1],
  green: [0.1, 0.85, 0.1],
  blue: [0.2, 0.35, 1],
  yellow: [1, 0.9, 0],
  cyan: [0, 0.9, 0.9],
  pink: [1, 0.3, 0.85],
};

export const WHITE: Rgb = [1, 1, 1];
export const GREY: Rgb = [0.5, 0.5, 0.5];
export const BLACK: Rgb = [0, 0, 0];
