import { describe, expect, it } from 'vitest';
import { batchInputs, batchLabels, fitNormalisation, generateCurvatureData, sampleModel, splitCurvatureData } from '../../runtime/data/index.js';
import { DataError } from '../../runtime/targets/errors.js';
import { meanGradient } from '../../runtime/targets/factors.js';
import { mlpGradients, mlpPerExampleGradients } from '../../runtime/targets/mlp.js';
import { dataConfig, maxRelDiff, siren } from './fixtures.js';

const config = dataConfig();
const N = siren.neuronCount;
const P = siren.paramCount;
const b = config.points;

describe('curvature batches', () => {
  it('gives each input by name with the executors\' shapes, in the order of the indices', () => {
    const data = generateCurvatureData(siren, config, 'fisher_diag');
    const { validation } = splitCurvatureData(data, { test: 3, validation: 4 }, [5]);
    const inputs = batchInputs(validation, [2, 0], ['grads', 'weight_grads', 'mean_grad', 'theta'], null);
    expect(inputs.get('grads')!.shape).toEqual([2, b, N, 2]);
    expect(inputs.get('weight_grads')!.shape).toEqual([2, b, P, 1]);
    expect(inputs.get('mean_grad')!.shape).toEqual([2, P, 1]);
    expect(inputs.get('theta')!.shape).toEqual([2, P, 1]);
    expect(inputs.get('grads')!.data).toBeInstanceOf(Float64Array);
    const size = b * N * 2;
    expect(Array.from(inputs.get('grads')!.data.subarray(0, size))).toEqual(Array.from(data.grads.subarray(5 * size, 6 * size)));
    expect(Array.from(inputs.get('theta')!.data.subarray(P))).toEqual(Array.from(data.theta.subarray(3 * P, 4 * P)));
    const labels = batchLabels(validation, [2, 0], null);
    expect(labels.shape).toEqual([2, P, 1]);
    expect(Array.from(labels.data.subarray(0, P))).toEqual(Array.from(data.labels.subarray(5 * P, 6 * P)));
  });

  it('weight_grads expanded on the fly equal the targets module\'s full per-example gradients; mean_grad their mean', () => {
    const data = generateCurvatureData(siren, config, 'fisher_diag');
    const { train } = splitCurvatureData(data, { test: 3, validation: 4 }, [5]);
    const inputs = batchInputs(train, [1], ['weight_grads', 'mean_grad'], null);
    const model = sampleModel(siren, config, train.start + 1);
    const expected = mlpPerExampleGradients(siren, mlpGradients(siren, { count: b, inputs: model.inputs, theta: model.theta }, { kind: 'output' }));
    expect(maxRelDiff(inputs.get('weight_grads')!.data, expected)).toBeLessThan(1e-5);
    expect(maxRelDiff(inputs.get('mean_grad')!.data, meanGradient(expected, b, P))).toBeLessThan(1e-5);
  });

  it('the trace label is one number per example, [B, 1]', () => {
    const data = generateCurvatureData(siren, config, 'fisher_trace');
    const { test } = splitCurvatureData(data, { test: 3, validation: 4 }, [5]);
    const labels = batchLabels(test, [0, 1, 2], null);
    expect(labels.shape).toEqual([3, 1]);
    expect(Array.from(labels.data)).toEqual(Array.from(data.labels.subarray(0, 3)));
  });

  it('an unknown input name or an index outside the split is a DataError that says what exists', () => {
    const data = generateCurvatureData(siren, config, 'fisher_diag');
    const { test, train } = splitCurvatureData(data, { test: 3, validation: 4 }, [5]);
    let caught: unknown = null;
    try {
      batchInputs(test, [0], ['gradients'], null);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).message).toBe('the curvature data has no input `gradients`');
    expect((caught as DataError).hint).toBe('name the net\'s input one of: grads, weight_grads, mean_grad, theta');
    expect(() => batchInputs(test, [3], ['grads'], null)).toThrow('example 3 is outside the test split of 3 examples');
    const norm = fitNormalisation(train, ['grads']);
    expect(() => batchInputs(test, [0], ['theta'], norm)).toThrow(/fitted without input `theta`/);
  });
});
