import { describe, expect, it } from 'vitest';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { DataError, packRows } from '../../runtime/targets/errors.js';
import { empiricalFisherDiagonal } from '../../runtime/targets/fisher.js';
import { mlpGradients, mlpOutputModel } from '../../runtime/targets/mlp.js';
import { initMlp } from '../../runtime/targets/mlp-init.js';
import { transformerGradients } from '../../runtime/targets/transformer.js';
import { Rng } from '../../runtime/util/rng.js';
import { setup, T } from './transformer-fixture.js';

const layout = mlpLayout('Net', { kind: 'mlp', widths: [3, 4, 5], activation: { kind: 'relu' }, init: 'kaiming' });
const theta = initMlp(layout, new Rng(1));
const inputs = Float64Array.from({ length: 4 * 3 }, (_, i) => i / 10);

/** The DataError thrown by `f`, so tests can assert its fields exactly. */
function dataError(f: () => unknown): DataError {
  try {
    f();
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected a DataError');
}

describe('bad data stops with a message naming the batch element and the fix', () => {
  it('a row of the wrong input dimension', () => {
    const e = dataError(() => packRows([[1, 2, 3], [1, 2, 3], [1, 2]], 3, 'inputs'));
    expect(e.code).toBe('data/wrong-dimension');
    expect(e.element).toBe(2);
    expect(e.message).toBe('inputs of batch element 2 have dimension 2, but the target expects 3');
    expect(e.hint).toMatch(/exactly 3 inputs/);
  });

  it('a packed batch of the wrong input dimension', () => {
    const e = dataError(() => mlpGradients(layout, { count: 4, inputs: new Float64Array(8), theta }, { kind: 'cross_entropy', labels: [0, 1, 2, 3] }));
    expect(e.code).toBe('data/wrong-dimension');
    expect(e.message).toBe('inputs have dimension 2, but the target expects 3 per batch element');
  });

  it('a label out of range, for a classifier and for a transformer target', () => {
    const e = dataError(() => mlpGradients(layout, { count: 4, inputs, theta }, { kind: 'cross_entropy', labels: [0, 5, 1, 2] }));
    expect(e.code).toBe('data/label-out-of-range');
    expect(e.element).toBe(1);
    expect(e.message).toBe('label of batch element 1 is 5, outside the 5 classes 0..4');
    expect(e.hint).toMatch(/widen the target's output layer/);
    const { layout: tl, theta: tt, tokens, targets } = setup('pre', 1);
    const bad = [...targets];
    bad[T + 3] = 11;
    const t = dataError(() => transformerGradients(tl, { sequences: 3, length: T, tokens, theta: tt }, bad));
    expect(t.message).toBe('target 3 of sequence 1 is 11, outside the vocabulary 0..10');
    expect(t.element).toBe(1);
    expect(t.hint).toBe('fix sequence 1, or declare the target with vocab: 12 or more');
  });

  it('a fractional label and a non-integer token', () => {
    expect(dataError(() => mlpGradients(layout, { count: 4, inputs, theta }, { kind: 'cross_entropy', labels: [0, 1, 2.5, 3] })).element).toBe(2);
    const { layout: tl, theta: tt, tokens, targets } = setup('post', 2);
    const bad = [...tokens];
    bad[0] = 0.5;
    const e = dataError(() => transformerGradients(tl, { sequences: 3, length: T, tokens: bad, theta: tt }, targets));
    expect(e.message).toBe('token 0 of sequence 0 is 0.5, outside the vocabulary 0..10');
  });

  it('NaN in inputs, regression targets and observed targets', () => {
    const x = Float64Array.from(inputs);
    x[7] = NaN;
    const e = dataError(() => mlpGradients(layout, { count: 4, inputs: x, theta }, { kind: 'cross_entropy', labels: [0, 1, 2, 3] }));
    expect(e.code).toBe('data/not-finite');
    expect(e.element).toBe(2);
    expect(e.message).toBe('inputs of batch element 2 contain NaN (at position 1)');
    expect(e.hint).toBe('drop or repair batch element 2: inputs must be finite numbers');
    const y = new Float64Array(4 * 5);
    y[19] = Infinity;
    expect(dataError(() => mlpGradients(layout, { count: 4, inputs, theta }, { kind: 'mse', targets: y })).message)
      .toBe('regression targets of batch element 3 contain Infinity (at position 4)');
    const model = mlpOutputModel(layout, { count: 4, inputs, theta });
    expect(dataError(() => empiricalFisherDiagonal(model, { kind: 'gaussian', targets: y })).element).toBe(3);
  });

  it('a θ of the wrong size, and the output loss of a non-scalar target', () => {
    expect(dataError(() => mlpGradients(layout, { count: 4, inputs, theta: new Float64Array(7) }, { kind: 'output' })).code).toBe('data/wrong-parameter-count');
    const e = dataError(() => mlpGradients(layout, { count: 4, inputs, theta }, { kind: 'output' }));
    expect(e.code).toBe('data/output-not-scalar');
    expect(e.message).toBe('the output loss needs a scalar output, but the target has 5 outputs');
  });

  it('a non-finite parameter, named by block and, for per-example θ, by batch element', () => {
    const shared = Float64Array.from(theta);
    shared[layout.params[2]!.offset + 5] = NaN;
    const e = dataError(() => mlpGradients(layout, { count: 4, inputs, theta: shared }, { kind: 'output' }));
    expect(e.message).toBe('θ has NaN in parameter block W2 (entry 5)');
    expect(e.element).toBeNull();
    const perExample = new Float64Array(4 * layout.paramCount);
    perExample[2 * layout.paramCount + 1] = -Infinity;
    const f = dataError(() => mlpGradients(layout, { count: 4, inputs, theta: perExample }, { kind: 'cross_entropy', labels: [0, 1, 2, 3] }));
    expect(f.message).toBe('θ of batch element 2 has -Infinity in parameter block W1 (entry 1)');
    expect(f.element).toBe(2);
  });

  it('sequences longer than the target reads', () => {
    const { layout: tl, theta: tt } = setup('pre', 3);
    const e = dataError(() => transformerGradients(tl, { sequences: 1, length: 9, tokens: new Array(9).fill(0), theta: tt }, new Array(9).fill(0)));
    expect(e.message).toBe('sequences of 9 tokens do not fit T, which reads at most 8');
    expect(e.hint).toMatch(/seq: 9/);
  });
});
