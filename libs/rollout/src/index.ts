export * from './suite/problem.js';
export * from './suite/palette.js';
export { SHAPE_KINDS, SHAPE_SIZE, type ShapeKind } from './suite/raster.js';
export { GLYPHS, GLYPH_WIDTH, GLYPH_HEIGHT, GLYPH_ADVANCE } from './suite/font.js';
export { COUNTING_LEVELS } from './suite/families/counting.js';
export { COMPARISON_LEVELS } from './suite/families/comparison.js';
export { ARITHMETIC_LEVELS } from './suite/families/arithmetic.js';
export { CHART_LEVELS } from './suite/families/chart.js';
export { PATTERN_LEVELS } from './suite/families/pattern.js';
export type { Draft, FamilyGenerator } from './suite/families/draft.js';
export * from './suite/split.js';
export * from './suite/generate.js';
export * from './suite/prompt.js';

export * from './reward/format.js';
export * from './reward/extract.js';
export * from './reward/numeric.js';
export * from './reward/choice.js';
export * from './reward/text.js';
export * from './reward/verify.js';
export * from './reward/score.js';

export * from './data/image.js';
export * from './data/paths.js';
export * from './data/issues.js';
export * from './data/options.js';
export { toDatasetItem, type DatasetItem } from './data/record.js';
export type { LoadedDataset } from './data/collect.js';
export * from './data/jsonl.js';
export * from './data/parquet.js';
export * from './data/load.js';

export * from './stream/index.js';

export * from './text/codec.js';
export * from './text/hf.js';
