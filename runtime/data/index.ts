// The curvature task's data: generation, the on-disk cache, splits, normalisation and batches.
export { generateCurvatureData, modelSampler, sampleModel, type CurvatureData, type ModelSample, type ModelSampler, type Progress } from './curvature.js';
export { cacheDir, DEFAULT_CACHE_ROOT, GENERATOR_VERSION, loadCurvatureData, type CachedData, type CacheOptions, type CacheOutcome } from './cache.js';
export { checkSplitSizes, splitCurvatureData, trainingSubset, type CurvatureSplits, type Split, type SplitName, type SplitSizes } from './splits.js';
export { denormaliseLabels, fitNormalisation, standardise, type Normalisation, type RangeStats } from './normalisation.js';
export { batchInputs, batchLabels } from './batches.js';
export { INPUT_NAMES, inputLayout, type InputLayout, type InputName } from './inputs.js';
export { curvatureLabel, labelWidth } from './labels.js';
export { drawMixtureWeight, sampleInputs, type InputFamily } from './input-distribution.js';
