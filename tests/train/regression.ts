// A small regression problem with a known optimum: a DeepSets net on sets of 4 points in R^3,
// trained to reproduce a *teacher* net of the same architecture (so the minimum loss is exactly 0).
import { GraphBuilder } from '../../compiler/ir/graph-builder.js';
import type { Graph } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import type { Dataset } from '../../runtime/train/trainer.js';
import { Rng } from '../../runtime/util/rng.js';

export const inst: Instantiation = { targets: new Map() };

export function deepSets(): Graph {
  const g = new GraphBuilder('deepsets', inst);
  const x = g.input('x', { set: { name: 'b', size: 4 }, site: null, channels: 3 });
  const h = g.unary('tanh', g.linear(x, 8, 'phi'));
  return g.finish(g.linear(g.reduce('mean', h, ['set']), 1, 'rho'));
}

/** `n` random sets labelled by a teacher with its own random parameters. */
export function teacherData(net: Graph, n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = tensor([n, 4, 3], Array.from({ length: n * 12 }, () => rng.normal()));
  const teacher = new Map<string, Float64Array>();
  for (const node of net.nodes) {
    // unsaturated hidden units (scale 0.5) and a strong readout (scale 2): a well-spread target
    const scale = node.op.op === 'param' && node.op.name.startsWith('rho') ? 2 : 0.5;
    if (node.op.op === 'param') teacher.set(node.op.name, Float64Array.from({ length: node.op.shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale));
  }
  const target = executeGraph(net, inst, new Map([['x', x]]), teacher).output;
  return { inputs: new Map([['x', x]]), target };
}
