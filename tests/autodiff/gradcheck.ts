// Central finite differences against the backward graph, in float64 on the reference executor.
// With a random cotangent u, φ(θ, x) = Σ u·f(θ, x); the backward graph's gradients must match
// (φ(v + h) − φ(v − h)) / 2h entry by entry (a random subset of entries for large tensors).
import { buildBackward } from '../../compiler/autodiff/index.js';
import type { Graph } from '../../compiler/ir/ops.js';
import { batchedValues } from '../../compiler/ir/batch.js';
import { shapeOf, type Instantiation } from '../../compiler/ir/types.js';
import { executeGraph, tensor, type Tensor } from '../../runtime/reference/index.js';
import type { Rng } from '../../runtime/util/rng.js';

const H = 1e-5;

/** The largest relative error over every param and every input of `graph`. */
export function gradCheckError(graph: Graph, inst: Instantiation, inputs: Map<string, Tensor>, params: Map<string, Float64Array>, rng: Rng, maxEntries = 24): number {
  const inputNames = [...graph.inputs.keys()];
  const backward = buildBackward(graph, inst, { inputs: inputNames });
  // the cotangent input is batched; an unbatched output is paired with Σ_batch u
  const batch = inputs.values().next().value?.shape[0] ?? 1;
  const outShape = shapeOf(graph.nodes[graph.output]!.type, inst);
  const u = tensor([batch, ...outShape], Array.from({ length: batch * outShape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
  const weights = batchedValues(graph).get(graph.output)! ? u.data : sumOverBatch(u.data, batch);
  const phi = (ins: Map<string, Tensor>, ps: Map<string, Float64Array>): number => {
    const y = executeGraph(graph, inst, ins, ps).output.data;
    let acc = 0;
    for (let i = 0; i < y.length; i++) acc += weights[i]! * y[i]!;
    return acc;
  };
  const run = executeGraph(backward.graph, inst, new Map([...inputs, ['cotangent', u]]), params);

  let worst = 0;
  const check = (analytic: Float64Array, data: Float64Array, evaluate: () => number): void => {
    const entries = data.length <= maxEntries ? [...data.keys()] : Array.from({ length: maxEntries }, () => rng.int(data.length));
    let scale = 0;
    const errors: number[] = [];
    for (const k of entries) {
      const saved = data[k]!;
      data[k] = saved + H;
      const plus = evaluate();
      data[k] = saved - H;
      const minus = evaluate();
      data[k] = saved;
      const numeric = (plus - minus) / (2 * H);
      scale = Math.max(scale, Math.abs(numeric), Math.abs(analytic[k]!));
      errors.push(Math.abs(numeric - analytic[k]!));
    }
    for (const e of errors) worst = Math.max(worst, e / Math.max(scale, 1e-3));
  };
  for (const [name, p] of params) {
    const analytic = run.outputs.get(`grad:${name}`)!.data;
    check(analytic, p, () => phi(inputs, params));
  }
  for (const name of inputNames) {
    const analytic = run.outputs.get(`input_grad:${name}`)!.data;
    check(expandBatch(analytic, inputs.get(name)!.data.length), inputs.get(name)!.data, () => phi(inputs, params));
  }
  return worst;
}

function sumOverBatch(u: Float64Array, batch: number): Float64Array {
  const n = u.length / batch;
  const out = new Float64Array(n);
  for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) out[i] += u[b * n + i]!;
  return out;
}

/** An input gradient that came out unbatched (the same for every example) repeated to the input's size. */
function expandBatch(g: Float64Array, size: number): Float64Array {
  if (g.length === size) return g;
  return Float64Array.from({ length: size }, (_, i) => g[i % g.length]!);
}
