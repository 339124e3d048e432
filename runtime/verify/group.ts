// Random elements of a graph's symmetry group: a permutation of every set axis, and for every
// target a permutation of each permuted neuron segment — the same one for segments that share a
// group id (a transformer's residual stream) — with fixed segments untouched; the params of the
// target are permuted by the induced action.
import type { AxisName, Graph } from '../../compiler/ir/ops.js';
import type { Instantiation, SetAxis } from '../../compiler/ir/types.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { Rng } from '../util/rng.js';
import { identity, inducedParamMap, type Transform } from './action.js';

/** Every set axis of the graph's values, by name. */
export function setAxes(graph: Graph): Map<string, SetAxis> {
  const axes = new Map<string, SetAxis>();
  for (const node of graph.nodes) if (node.type.set !== null) axes.set(node.type.set.name, node.type.set);
  return axes;
}

/** A random group element; `axes` says which groups act (the set, the neuron permutations, or both). */
export function sampleGroupElement(graph: Graph, inst: Instantiation, rng: Rng, axes: readonly AxisName[] = ['set', 'site']): Transform {
  const g: Transform = { set: new Map(), neurons: new Map(), params: new Map() };
  for (const [name, axis] of setAxes(graph)) {
    g.set.set(name, axes.includes('set') ? Int32Array.from(rng.permutation(axis.size)) : identity(axis.size));
  }
  for (const [name, layout] of inst.targets) {
    const neurons = axes.includes('site') ? neuronPermutation(layout, rng) : identity(layout.neuronCount);
    g.neurons.set(name, neurons);
    g.params.set(name, inducedParamMap(layout, neurons));
  }
  return g;
}

function neuronPermutation(layout: TargetLayout, rng: Rng): Int32Array {
  const src = identity(layout.neuronCount);
  const byGroup = new Map<string, number[]>();
  for (const s of layout.segments) {
    if (s.group === null) continue;
    let perm = byGroup.get(s.group);
    if (perm === undefined) {
      perm = rng.permutation(s.size);
      byGroup.set(s.group, perm);
    }
    if (perm.length !== s.size) throw new Error(`internal: segments of group ${s.group} differ in size`);
    for (let j = 0; j < s.size; j++) src[s.offset + j] = s.offset + perm[j]!;
  }
  return src;
}
