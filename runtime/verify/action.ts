// Transformations of the IR's spaces and how they act on tensors.
//
// A transformation is given by *source maps*: the transformed tensor at position i holds the original
// at position src[i]. It acts on the set axis (one map per set variable, by name) and on the site
// axis (neurons(T) or params(T), one map per target); fixed sites and channels are never touched.
// Group elements (group.ts) and the non-group transformations of the sensitivity check
// (sensitivity.ts) are both transformations, so one function applies them all.
import type { Instantiation, TensorType } from '../../compiler/ir/types.js';
import { shapeOf } from '../../compiler/ir/types.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { Tensor } from '../reference/tensor.js';

export interface Transform {
  /** By set-variable name. */
  set: Map<string, Int32Array>;
  /** By target name: positions of neurons(T). */
  neurons: Map<string, Int32Array>;
  /** By target name: positions of params(T). */
  params: Map<string, Int32Array>;
}

/** g·x for a tensor of `type` (with a leading batch axis when `batched`). */
export function applyTransform(x: Tensor, type: TensorType, batched: boolean, g: Transform, inst: Instantiation): Tensor {
  const shape = shapeOf(type, inst);
  const B = batched ? x.shape[0]! : 1;
  const S = type.set === null ? 1 : type.set.size;
  const T = type.site === null ? 1 : shape[type.set === null ? 0 : 1]!;
  const C = type.channels;
  const setSrc = type.set === null ? null : g.set.get(type.set.name) ?? null;
  const site = type.site;
  const siteSrc = site === null || site.kind === 'fixed' ? null : (site.kind === 'neurons' ? g.neurons : g.params).get(site.target) ?? null;
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const s0 = setSrc === null ? s : setSrc[s]!;
      for (let t = 0; t < T; t++) {
        const t0 = siteSrc === null ? t : siteSrc[t]!;
        const from = ((b * S + s0) * T + t0) * C;
        out.set(x.data.subarray(from, from + C), ((b * S + s) * T + t) * C);
      }
    }
  }
  return { data: out, shape: [...x.shape] };
}

/**
 * The action on params(T) induced by a neuron map: W'_l[p, q] = W_l[src(p), src(q)], b'_l[p] = b_l[src(p)]
 * (i.e. W' = P_l W P_{l−1}ᵀ). `rowsOnly` keeps the columns in place: the decoupled, non-group
 * transformation of the sensitivity check.
 */
export function inducedParamMap(layout: TargetLayout, neuronSrc: Int32Array, rowsOnly = false): Int32Array {
  const src = new Int32Array(layout.paramCount);
  for (const block of layout.params) {
    const rowBase = layout.segments[block.rowSegment]!.offset;
    const width = block.cols ?? 1;
    const colBase = block.colSegment === null ? 0 : layout.segments[block.colSegment]!.offset;
    for (let p = 0; p < block.rows; p++) {
      const p0 = neuronSrc[rowBase + p]! - rowBase;
      for (let q = 0; q < width; q++) {
        const q0 = block.colSegment === null || rowsOnly ? q : neuronSrc[colBase + q]! - colBase;
        src[block.offset + p * width + q] = block.offset + p0 * width + q0;
      }
    }
  }
  return src;
}

export function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
