import { describe, expect, it } from 'vitest';
import { batchInputs, batchLabels, denormaliseLabels, fitNormalisation, generateCurvatureData, splitCurvatureData, type CurvatureData, type Split } from '../../runtime/data/index.js';
import { DataError } from '../../runtime/targets/errors.js';
import { dataConfig, maxRelDiff, siren } from './fixtures.js';

const NAMES = ['grads', 'weight_grads', 'mean_grad', 'theta'];
const sizes = { test: 3, validation: 2 };

function splits(data: CurvatureData) {
  return splitCurvatureData(data, sizes, [7]);
}

function allIndices(split: Split): number[] {
  return Array.from({ length: split.count }, (_, k) => k);
}

/** Mean and population std of the values of `data` selected by `pick`, the textbook way. */
function naive(data: Float64Array, pick: (i: number) => boolean): { mean: number; std: number; count: number } {
  let sum = 0;
  let count = 0;
  data.forEach((v, i) => { if (pick(i)) { sum += v; count++; } });
  const mean = sum / count;
  let sq = 0;
  data.forEach((v, i) => { if (pick(i)) sq += (v - mean) ** 2; });
  return { mean, std: Math.sqrt(sq / count), count };
}

describe('curvature normalisation (§4.4)', () => {
  it('statistics come from the training split only: changing test and validation data changes nothing', () => {
    const data = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    const before = fitNormalisation(splits(data).train, NAMES);
    const P = siren.paramCount;
    const perModel = data.points * siren.neuronCount * 2;
    const damaged: CurvatureData = {
      ...data,
      grads: data.grads.map((v, i) => (i < 5 * perModel ? v * 100 + 7 : v)),
      theta: data.theta.map((v, i) => (i < 5 * P ? -v * 50 : v)),
      labels: data.labels.map((v, i) => (i < 5 * P ? v + 1000 : v)),
    };
    const after = fitNormalisation(splits(damaged).train, NAMES);
    expect(after).toEqual(before);
    expect(() => fitNormalisation(splits(data).test, NAMES)).toThrow(DataError);
  });

  it('per-layer Γ statistics, per-block Θ statistics and the global label statistics match a direct computation', () => {
    const data = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    const { train } = splits(data);
    const norm = fitNormalisation(train, NAMES);
    const raw = batchInputs(train, allIndices(train), NAMES, null);
    const grads = raw.get('grads')!.data;
    const N2 = siren.neuronCount * 2;
    const layers = norm.inputs.get('grads')!;
    expect(layers.map((s) => s.name)).toEqual(['layer0', 'layer1', 'layer2', 'layer3']);
    for (const seg of siren.segments) {
      const expected = naive(grads, (i) => i % N2 >= 2 * seg.offset && i % N2 < 2 * (seg.offset + seg.size));
      const got = layers.find((s) => s.name === seg.name)!;
      expect(expected.count).toBe(train.count * data.points * seg.size * 2);
      expect(got.mean).toBeCloseTo(expected.mean, 10);
      // The output layer's factors are ∂f/∂f = 1 everywhere: constant, so only centred.
      expect(got.std).toBeCloseTo(expected.std === 0 ? 1 : expected.std, 10);
    }
    expect(layers[3]!.mean).toBe(1);
    for (const name of ['weight_grads', 'mean_grad', 'theta'] as const) {
      const values = raw.get(name)!.data;
      const blocks = norm.inputs.get(name)!;
      expect(blocks.map((s) => s.name)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
      for (const b of blocks) {
        const expected = naive(values, (i) => i % siren.paramCount >= b.start && i % siren.paramCount < b.end);
        expect(b.mean).toBeCloseTo(expected.mean, 9);
        // ∂f/∂b_L = 1 for every input: a constant block, only centred.
        expect(b.std).toBeCloseTo(b.name === 'b3' && name !== 'theta' ? 1 : expected.std, 9);
      }
    }
    const labels = naive(batchLabels(train, allIndices(train), null).data, () => true);
    expect(norm.labels.mean).toBeCloseTo(labels.mean, 9);
    expect(norm.labels.std).toBeCloseTo(labels.std, 9);
  });

  it('standardised training inputs have zero mean and unit std per layer / block, and labels globally', () => {
    const data = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    const { train } = splits(data);
    const norm = fitNormalisation(train, NAMES);
    const inputs = batchInputs(train, allIndices(train), NAMES, norm);
    const grads = inputs.get('grads')!.data;
    const N2 = siren.neuronCount * 2;
    for (const seg of siren.segments.slice(0, 3)) {
      const s = naive(grads, (i) => i % N2 >= 2 * seg.offset && i % N2 < 2 * (seg.offset + seg.size));
      expect(Math.abs(s.mean)).toBeLessThan(1e-9);
      expect(s.std).toBeCloseTo(1, 9);
    }
    const out = siren.segments[3]!;
    expect(naive(grads, (i) => i % N2 >= 2 * out.offset).std).toBe(0);
    for (const name of ['weight_grads', 'mean_grad', 'theta'] as const) {
      const values = inputs.get(name)!.data;
      for (const block of siren.params) {
        const end = block.offset + block.rows * (block.cols ?? 1);
        const s = naive(values, (i) => i % siren.paramCount >= block.offset && i % siren.paramCount < end);
        expect(Math.abs(s.mean)).toBeLessThan(1e-9);
        expect(s.std).toBeCloseTo(block.name === 'b3' && name !== 'theta' ? 0 : 1, 9);
      }
    }
    const labels = naive(batchLabels(train, allIndices(train), norm).data, () => true);
    expect(Math.abs(labels.mean)).toBeLessThan(1e-9);
    expect(labels.std).toBeCloseTo(1, 9);
  });

  it('denormaliseLabels maps normalised labels (and predictions) back to raw units', () => {
    const data = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    const { train, test } = splits(data);
    const norm = fitNormalisation(train, ['grads']);
    const raw = batchLabels(test, allIndices(test), null).data;
    const back = denormaliseLabels(norm, batchLabels(test, allIndices(test), norm).data);
    expect(maxRelDiff(back, raw)).toBeLessThan(1e-12);
    expect(maxRelDiff(denormaliseLabels(norm, Float64Array.of(0, 1)), [norm.labels.mean, norm.labels.mean + norm.labels.std])).toBe(0);
  });
});
