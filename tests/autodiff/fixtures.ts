// Shared test fixtures: a small MLP target, random tensors, and a GradMetaNet-like net built by
// hand with the graph builder (posenc concat → 4-term set layer → pool → DeepSets layer → pair readout).
import { GraphBuilder } from '../../compiler/ir/graph-builder.js';
import type { Graph, ValueId } from '../../compiler/ir/ops.js';
import type { Instantiation, TensorType } from '../../compiler/ir/types.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { tensor, type Tensor } from '../../runtime/reference/index.js';
import type { Rng } from '../../runtime/util/rng.js';
export { randomParams } from '../../runtime/verify/harness.js';

/** widths [2, 3, 4, 1]: fixed input and output layers, two hidden layers (N = 10, P = 33). */
export const layout = mlpLayout('T', { kind: 'mlp', widths: [2, 3, 4, 1], activation: { kind: 'relu' }, init: 'kaiming' });
export const inst: Instantiation = { targets: new Map([['T', layout]]) };

export const SET = { name: 'b', size: 3 };
export const gradsType = (c: number): TensorType => ({ set: SET, site: { kind: 'neurons', target: 'T' }, channels: c });
export const neuronsType = (c: number): TensorType => ({ set: null, site: { kind: 'neurons', target: 'T' }, channels: c });
export const weightsType = (c: number): TensorType => ({ set: null, site: { kind: 'params', target: 'T' }, channels: c });

export function randomTensor(rng: Rng, shape: number[], scale = 1): Tensor {
  return tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale));
}


/** Σ of four linear maps of x, its set mean, its site mean and its total mean (Hartford et al.). */
function setLayer(g: GraphBuilder, x: ValueId, width: number, name: string): ValueId {
  const terms = [
    g.linear(x, width, `${name}.id`),
    g.linear(g.reduce('mean', x, ['set']), width, `${name}.set`, false),
    g.linear(g.reduce('mean', x, ['site']), width, `${name}.site`, false),
    g.linear(g.reduce('mean', x, ['set', 'site']), width, `${name}.all`, false),
  ];
  return terms.reduce((a, t) => g.binary('add', a, t));
}

/** grads(T, b)[2] → weights(T)[1], S_b-invariant and hidden-neuron equivariant. */
export function gradMetaNetLike(width = 5, pe = 4): Graph {
  const g = new GraphBuilder('gmn_like', inst);
  const grads = g.input('grads', gradsType(2));
  const x0 = g.concat([grads, g.const({ kind: 'posenc', target: 'T', dim: pe, hiddenIds: 'segment' })]);
  const x1 = g.unary('relu', setLayer(g, x0, width, 'set1'));
  // pool Γ_b → Γ: mean over the set plus the global mean
  const pooled = g.binary('add',
    g.linear(g.reduce('mean', x1, ['set']), width, 'pool.set'),
    g.linear(g.reduce('mean', x1, ['set', 'site']), width, 'pool.all', false));
  const z0 = g.unary('relu', pooled);
  // DeepSets over neurons
  const z = g.unary('tanh', g.binary('add', g.linear(z0, width, 'ds.id'), g.linear(g.reduce('mean', z0, ['site']), width, 'ds.all', false)));
  // pair readout
  const w = g.unary('relu', g.binary('add', g.linear(g.gather(z, 'rows'), width, 'pair.rows'), g.linear(g.gather(z, 'cols'), width, 'pair.cols', false)));
  const v = g.unary('relu', g.linear(g.gather(z, 'rows'), width, 'pair.bias'));
  const out = g.select(g.const({ kind: 'bias_mask', target: 'T' }), g.linear(v, 1, 'out.bias'), g.linear(w, 1, 'out.weight'));
  return g.finish(out);
}
