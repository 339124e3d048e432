// Parameter initialisation from each param's ParamInit, drawn from a seeded Rng in graph order (so a
// seed fixes every initial value).
import type { Graph, ParamInit } from '../../compiler/ir/ops.js';
import type { Rng } from '../util/rng.js';

export function initParams(graph: Graph, rng: Rng): Map<string, Float64Array> {
  const params = new Map<string, Float64Array>();
  for (const node of graph.nodes) {
    if (node.op.op !== 'param' || params.has(node.op.name)) continue;
    params.set(node.op.name, initValues(node.op.init, node.op.shape.reduce((a, b) => a * b, 1), rng));
  }
  return params;
}

function initValues(init: ParamInit, size: number, rng: Rng): Float64Array {
  switch (init.kind) {
    case 'zeros': return new Float64Array(size);
    case 'ones': return new Float64Array(size).fill(1);
    case 'uniform_fan_in': {
      const bound = 1 / Math.sqrt(init.fanIn);
      return Float64Array.from({ length: size }, () => rng.range(-bound, bound));
    }
  }
}
