// Test, validation and training examples, taken in that order from the generated models: the test
// set comes first so that growing the training pool (or `models`) never changes it. A training set
// of size n is the first n examples of the pool, so the sizes of a sample-efficiency sweep are nested.
import { DataError } from '../targets/errors.js';
import type { CurvatureData } from './curvature.js';

export type SplitName = 'test' | 'validation' | 'train';

/** A contiguous run of models of a dataset; example k of the split is model `start + k`. */
export interface Split {
  name: SplitName;
  data: CurvatureData;
  start: number;
  count: number;
}

export interface CurvatureSplits {
  test: Split;
  validation: Split;
  /** The training pool: max(trainSizes) examples. */
  train: Split;
}

export interface SplitSizes {
  test: number;
  validation: number;
}

/** Throws a DataError unless `models` covers test + validation + max(trainSizes). Cheap: call it before generating. */
export function checkSplitSizes(models: number, sizes: SplitSizes, trainSizes: readonly number[]): void {
  const maxTrain = Math.max(0, ...trainSizes);
  const needed = sizes.test + sizes.validation + maxTrain;
  if (models < needed) {
    throw new DataError('data/too-few-models',
      `the data has ${models} models, but the splits need ${needed}: ${sizes.test} test + ${sizes.validation} validation + ${maxTrain} training (the largest of train_sizes)`,
      `raise \`models\` in random_targets(...) to at least ${needed}, or shrink \`splits\` or \`train_sizes\``);
  }
}

export function splitCurvatureData(data: CurvatureData, sizes: SplitSizes, trainSizes: readonly number[]): CurvatureSplits {
  checkSplitSizes(data.models, sizes, trainSizes);
  const maxTrain = Math.max(0, ...trainSizes);
  return {
    test: { name: 'test', data, start: 0, count: sizes.test },
    validation: { name: 'validation', data, start: sizes.test, count: sizes.validation },
    train: { name: 'train', data, start: sizes.test + sizes.validation, count: maxTrain },
  };
}

/** The training set of one sweep size: the first `size` examples of the pool. */
export function trainingSubset(pool: Split, size: number): Split {
  if (!Number.isInteger(size) || size < 1 || size > pool.count) {
    throw new DataError('data/bad-train-size', `training-set size ${size} is outside the pool of ${pool.count} training examples`,
      `use train_sizes between 1 and ${pool.count}`);
  }
  return { ...pool, count: size };
}
