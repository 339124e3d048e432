import { describe, expect, it } from 'vitest';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { generateCurvatureData, sampleModel } from '../../runtime/data/index.js';
import { mlpGradients, mlpPerExampleGradients } from '../../runtime/targets/mlp.js';
import { bytesOf, dataConfig, maxRelDiff, siren } from './fixtures.js';

/** diag F by brute force: each label point's gradient alone (single-example path), squared, averaged. */
function bruteForceDiagonal(theta: Float64Array, points: Float64Array, count: number): Float64Array {
  const P = siren.paramCount;
  const diag = new Float64Array(P);
  for (let k = 0; k < count; k++) {
    const one = mlpGradients(siren, { count: 1, inputs: points.subarray(k, k + 1), theta }, { kind: 'output' });
    const grad = mlpPerExampleGradients(siren, one);
    for (let p = 0; p < P; p++) diag[p] += (grad[p]! * grad[p]!) / count;
  }
  return diag;
}

describe('curvature data generation', () => {
  it('is deterministic: the same seed gives the same bytes, another seed other data', () => {
    const a = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    const b = generateCurvatureData(siren, dataConfig(), 'fisher_diag');
    const c = generateCurvatureData(siren, dataConfig({ seed: 4 }), 'fisher_diag');
    for (const key of ['theta', 'mixture', 'grads', 'labels'] as const) {
      expect(bytesOf(a[key]).equals(bytesOf(b[key]))).toBe(true);
      expect(bytesOf(a[key]).equals(bytesOf(c[key]))).toBe(false);
    }
  });

  it('growing `models` keeps the first models identical', () => {
    const small = generateCurvatureData(siren, dataConfig({ models: 5 }), 'fisher_diag');
    const large = generateCurvatureData(siren, dataConfig({ models: 12 }), 'fisher_diag');
    for (const key of ['theta', 'mixture', 'grads', 'labels'] as const) {
      expect(bytesOf(large[key].subarray(0, small[key].length)).equals(bytesOf(small[key]))).toBe(true);
    }
  });

  it('changing `points` leaves θ, p and the label unchanged', () => {
    const a = generateCurvatureData(siren, dataConfig({ points: 8 }), 'fisher_diag');
    const b = generateCurvatureData(siren, dataConfig({ points: 16 }), 'fisher_diag');
    expect(bytesOf(a.theta).equals(bytesOf(b.theta))).toBe(true);
    expect(bytesOf(a.mixture).equals(bytesOf(b.mixture))).toBe(true);
    expect(bytesOf(a.labels).equals(bytesOf(b.labels))).toBe(true);
  });

  it('the fisher_diag label equals squared single-example output gradients averaged over the fresh points', () => {
    const config = dataConfig();
    const data = generateCurvatureData(siren, config, 'fisher_diag');
    const P = siren.paramCount;
    for (const i of [0, 7]) {
      const model = sampleModel(siren, config, i);
      expect(maxRelDiff(data.theta.subarray(i * P, (i + 1) * P), model.theta)).toBeLessThan(1e-7);
      const expected = bruteForceDiagonal(model.theta, model.labelInputs, config.labelPoints);
      expect(maxRelDiff(data.labels.subarray(i * P, (i + 1) * P), expected)).toBeLessThan(1e-6);
      expect(Math.max(...expected)).toBeGreaterThan(0);
    }
  });

  it('the input set is Γ_b of ∇_θ f at the model\'s points: expanding it gives the per-example gradients', () => {
    const config = dataConfig();
    const data = generateCurvatureData(siren, config, 'fisher_diag');
    const model = sampleModel(siren, config, 2);
    const perPoint = mlpPerExampleGradients(siren, mlpGradients(siren, { count: config.points, inputs: model.inputs, theta: model.theta }, { kind: 'output' }));
    const size = config.points * siren.neuronCount * 2;
    const stored = data.grads.subarray(2 * size, 3 * size);
    const fromStored = mlpPerExampleGradients(siren, { count: config.points, outputs: new Float64Array(config.points), losses: new Float64Array(config.points), factors: Float64Array.from(stored) });
    expect(maxRelDiff(fromStored, perPoint)).toBeLessThan(1e-6);
  });

  it('empirical_fisher_diag coincides with fisher_diag; the trace sums it; obd_saliency is θ² ⊙ diag F', () => {
    const config = dataConfig({ models: 4 });
    const P = siren.paramCount;
    const diag = generateCurvatureData(siren, config, 'fisher_diag');
    const emp = generateCurvatureData(siren, config, 'empirical_fisher_diag');
    const trace = generateCurvatureData(siren, config, 'fisher_trace');
    const obd = generateCurvatureData(siren, config, 'obd_saliency');
    expect(maxRelDiff(emp.labels, diag.labels)).toBeLessThan(1e-6);
    expect(trace.labelWidth).toBe(1);
    for (let i = 0; i < config.models; i++) {
      const row = diag.labels.subarray(i * P, (i + 1) * P);
      const theta = sampleModel(siren, config, i).theta;
      expect(maxRelDiff([trace.labels[i]!], [row.reduce((a, b) => a + b, 0)])).toBeLessThan(1e-5);
      expect(maxRelDiff(obd.labels.subarray(i * P, (i + 1) * P), row.map((f, p) => theta[p]! * theta[p]! * f))).toBeLessThan(1e-5);
    }
  });

  it('mixture inputs: p ~ U[0,1] per model and each coordinate falls in [-1, 0] with probability p', () => {
    const wide = mlpLayout('Wide', { kind: 'mlp', widths: [3, 4, 1], activation: { kind: 'sine', omega0: 1 }, init: 'gaussian' });
    const config = dataConfig({ labelPoints: 4000, points: 4 });
    const ps: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { mixture: p, labelInputs } = sampleModel(wide, config, i);
      ps.push(p);
      expect(labelInputs.every((x) => x >= -1 && x < 1)).toBe(true);
      const left = labelInputs.filter((x) => x < 0).length / labelInputs.length;
      // 12000 Bernoulli(p) draws: 5 standard deviations at most 0.023.
      expect(Math.abs(left - p)).toBeLessThan(5 * Math.sqrt(p * (1 - p) / labelInputs.length) + 1e-9);
    }
    expect(Math.min(...ps)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ps)).toBeLessThan(1);
    expect(new Set(ps).size).toBe(20);
  });

  it('uniform inputs: U[-1, 1] for every model, no mixture parameter', () => {
    const config = dataConfig({ inputs: 'uniform', labelPoints: 4000 });
    const { mixture, labelInputs } = sampleModel(siren, config, 0);
    expect(mixture).toBeNaN();
    expect(labelInputs.every((x) => x >= -1 && x < 1)).toBe(true);
    const left = labelInputs.filter((x) => x < 0).length / labelInputs.length;
    expect(Math.abs(left - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / labelInputs.length));
  });

  it('rejects a target it cannot generate with a DataError', () => {
    const vector = mlpLayout('V', { kind: 'mlp', widths: [1, 3, 2], activation: { kind: 'tanh' }, init: 'gaussian' });
    expect(() => generateCurvatureData(vector, dataConfig(), 'fisher_diag')).toThrow(/scalar output/);
  });
});
