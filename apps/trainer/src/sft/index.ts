export { defaultSftConfig, demoSftConfig, DEMO_POLICY_CONFIG, DEMO_SFT_STEPS, SFT_RECIPES, SFT_RECIPE_NAMES, isSftRecipe, sftRecipeOfInit, type SftRecipe, sftConfigHash, canonicalJson, SftConfigCodec, SFT_POLICY_CONFIG, SFT_STEPS, SFT_FORMAT, type SftConfig, type SftEvalConfig } from './config.js';
export { sftBatches, solutionSequence } from './data.js';
export { trainSft, type SftStep, type SftTraining } from './train.js';
export { readSftRecord, SftRecordCodec, RECORD_FILE, CHECKPOINT_DIR, type SftRecord, type SftEvaluation } from './record.js';
export { ensureSftCheckpoint, storedSft, sftCacheDir, defaultCacheRoot, type EnsureSftOptions, type SftCheckpoint, type SftError } from './store.js';
export { createSftProgress, formatSftLine, type SftProgress, type SftProgressOptions } from './progress.js';
export { formatSftReport } from './report.js';
