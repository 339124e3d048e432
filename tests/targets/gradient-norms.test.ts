// ‖∇_θ‖² from rank-1 factors (runtime/targets/gradient-norms.ts) against the naive sum of squares of
// the P-long per-example gradients, and the fisher_trace label built on it against Σ diag F.
import { describe, expect, it } from 'vitest';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { curvatureLabel } from '../../runtime/data/labels.js';
import { fisherTrace, trueFisherDiagonal } from '../../runtime/targets/fisher.js';
import { meanSquaredGradientNorm, squaredGradientNorms } from '../../runtime/targets/gradient-norms.js';
import { mlpGradients, mlpOutputModel, mlpPerExampleGradients } from '../../runtime/targets/mlp.js';
import { initMlp } from '../../runtime/targets/mlp-init.js';
import { Rng } from '../../runtime/util/rng.js';

const layout = mlpLayout('Norms', { kind: 'mlp', widths: [2, 5, 4, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
const count = 7;

function sample(seed: number): { theta: Float64Array; inputs: Float64Array } {
  const rng = new Rng(seed);
  return { theta: initMlp(layout, rng), inputs: Float64Array.from({ length: count * 2 }, () => 2 * rng.uniform() - 1) };
}

describe('squared gradient norms from rank-1 factors', () => {
  it('equal the sum of squares of each per-example gradient in Θ', () => {
    const grads = mlpGradients(layout, { count, ...sample(1) }, { kind: 'output' });
    const perExample = mlpPerExampleGradients(layout, grads);
    const P = layout.paramCount;
    const naive = Array.from({ length: count }, (_, i) => perExample.subarray(i * P, (i + 1) * P).reduce((s, v) => s + v * v, 0));
    const norms = squaredGradientNorms(layout, grads.factors, count);
    naive.forEach((n, i) => expect(norms[i]).toBeCloseTo(n, 9));
    expect(Math.min(...naive)).toBeGreaterThan(0);
    // An item range reads the right rows: the last three items alone.
    expect(meanSquaredGradientNorm(layout, grads.factors, 3, count - 3)).toBeCloseTo((naive[4]! + naive[5]! + naive[6]!) / 3, 9);
  });

  it('give the fisher_trace label, which equals the sum of the true Fisher diagonal', () => {
    const { theta, inputs } = sample(2);
    const viaDiagonal = fisherTrace(trueFisherDiagonal(mlpOutputModel(layout, { count, inputs, theta }), 'gaussian'));
    const label = curvatureLabel(layout, 'fisher_trace', theta, inputs, count);
    expect(label).toHaveLength(1);
    expect(label[0]! / viaDiagonal).toBeCloseTo(1, 12);
  });
});
