// Non-group transformations for the sensitivity check (as in NFN): an equivariant net must *not* be
// equivariant to these, or its equivariance would be vacuous (e.g. a net that ignores neuron
// identity altogether, or one that cannot tell a weight's row from its column).
//   fixed-neurons  permute the neurons of every fixed segment (inputs, outputs) of size ≥ 2, params
//                  by the induced action: a relabelling of the target that changes its function.
//   decoupled      permute one hidden segment l together with the rows of W_l and b_l, but not the
//                  coupled columns of W_{l+1}.
import type { Graph } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { Rng } from '../util/rng.js';
import { identity, inducedParamMap, type Transform } from './action.js';
import { setAxes } from './group.js';

export type SensitivityKind = 'fixed-neurons' | 'decoupled';

export interface NonGroupTransform {
  kind: SensitivityKind;
  transform: Transform;
}

/** The applicable non-group transformations of the graph's targets (none when there is no target). */
export function nonGroupTransforms(graph: Graph, inst: Instantiation, rng: Rng): NonGroupTransform[] {
  const out: NonGroupTransform[] = [];
  const base = (): Transform => ({
    set: new Map([...setAxes(graph)].map(([name, axis]) => [name, identity(axis.size)])),
    neurons: new Map([...inst.targets].map(([name, l]) => [name, identity(l.neuronCount)])),
    params: new Map([...inst.targets].map(([name, l]) => [name, identity(l.paramCount)])),
  });
  const fixed = base();
  let anyFixed = false;
  for (const [name, layout] of inst.targets) {
    const src = fixed.neurons.get(name)!;
    for (const s of layout.segments) {
      if (s.group !== null || s.size < 2) continue;
      permuteSegment(src, s.offset, s.size, rng);
      anyFixed = true;
    }
    fixed.params.set(name, inducedParamMap(layout, src));
  }
  if (anyFixed) out.push({ kind: 'fixed-neurons', transform: fixed });

  const decoupled = base();
  let anyDecoupled = false;
  for (const [name, layout] of inst.targets) {
    const l = coupledHiddenSegment(layout);
    if (l === null) continue;
    const src = decoupled.neurons.get(name)!;
    permuteSegment(src, layout.segments[l]!.offset, layout.segments[l]!.size, rng);
    decoupled.params.set(name, inducedParamMap(layout, src, true));
    anyDecoupled = true;
  }
  if (anyDecoupled) out.push({ kind: 'decoupled', transform: decoupled });
  return out;
}

/** A permuted segment of size ≥ 2 that is both the rows of one block and the columns of another. */
function coupledHiddenSegment(layout: TargetLayout): number | null {
  const index = layout.segments.findIndex((s, i) => s.group !== null && s.size >= 2
    && layout.params.some((p) => p.rowSegment === i) && layout.params.some((p) => p.colSegment === i));
  return index < 0 ? null : index;
}

/** A random permutation of [offset, offset + size) that is not the identity. */
function permuteSegment(src: Int32Array, offset: number, size: number, rng: Rng): void {
  let perm = rng.permutation(size);
  while (perm.every((v, i) => v === i)) perm = rng.permutation(size);
  for (let j = 0; j < size; j++) src[offset + j] = offset + perm[j]!;
}
