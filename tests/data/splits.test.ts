import { describe, expect, it } from 'vitest';
import { checkSplitSizes, generateCurvatureData, splitCurvatureData, trainingSubset } from '../../runtime/data/index.js';
import { DataError } from '../../runtime/targets/errors.js';
import { dataConfig, siren } from './fixtures.js';

describe('curvature splits', () => {
  it('takes test, then validation, then the training pool, from the front', () => {
    const data = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    const s = splitCurvatureData(data, { test: 3, validation: 2 }, [2, 5]);
    expect([s.test.start, s.test.count, s.validation.start, s.validation.count, s.train.start, s.train.count]).toEqual([0, 3, 3, 2, 5, 5]);
    const sub = trainingSubset(s.train, 2);
    expect([sub.name, sub.start, sub.count]).toEqual(['train', 5, 2]);
  });

  it('a larger training pool keeps the test and validation sets', () => {
    const data = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    const a = splitCurvatureData(data, { test: 3, validation: 2 }, [2]);
    const b = splitCurvatureData(data, { test: 3, validation: 2 }, [7]);
    expect(b.test).toEqual(a.test);
    expect(b.validation).toEqual(a.validation);
  });

  it('too few models is a DataError that names the numbers and the fix', () => {
    let caught: unknown = null;
    try {
      checkSplitSizes(12, { test: 5, validation: 4 }, [2, 4]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DataError);
    const e = caught as DataError;
    expect(e.code).toBe('data/too-few-models');
    expect(e.message).toBe('the data has 12 models, but the splits need 13: 5 test + 4 validation + 4 training (the largest of train_sizes)');
    expect(e.hint).toBe('raise `models` in random_targets(...) to at least 13, or shrink `splits` or `train_sizes`');
    expect(() => checkSplitSizes(13, { test: 5, validation: 4 }, [2, 4])).not.toThrow();
    const data = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    expect(() => splitCurvatureData(data, { test: 5, validation: 4 }, [4])).toThrow(DataError);
    expect(() => trainingSubset(splitCurvatureData(data, { test: 5, validation: 4 }, [3]).train, 4)).toThrow(/outside the pool of 3/);
  });
});
