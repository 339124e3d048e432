// Squared norms of rank-1 gradients, ‖∇_θ‖², straight from their factors: every weight block's
// gradient g aᵀ has ‖g aᵀ‖² = ‖g‖²‖a‖² and every bias block's is ‖g‖², so one pass over the N
// neurons replaces the P-long gradient (P ≈ N² for wide MLPs). This is what makes tr F, and its
// standard estimator, affordable for targets of a million parameters (paper appendix G.1).
import type { TargetLayout } from '../../compiler/spaces/target.js';

/** ‖∇_θ‖² of each of `items` rank-1 gradients given as factors [items, N, 2] (channel 0 = a, 1 = g). */
export function squaredGradientNorms(layout: TargetLayout, factors: ArrayLike<number>, items: number, firstItem = 0): Float64Array {
  const N = layout.neuronCount;
  const segments = layout.segments.length;
  const sumA = new Float64Array(segments);
  const sumG = new Float64Array(segments);
  const out = new Float64Array(items);
  for (let t = 0; t < items; t++) {
    const base = (firstItem + t) * N * 2;
    layout.segments.forEach((segment, s) => {
      let a = 0;
      let g = 0;
      for (let j = segment.offset; j < segment.offset + segment.size; j++) {
        a += factors[base + 2 * j]! ** 2;
        g += factors[base + 2 * j + 1]! ** 2;
      }
      sumA[s] = a;
      sumG[s] = g;
    });
    let norm = 0;
    for (const block of layout.params) norm += sumG[block.rowSegment]! * (block.colSegment === null ? 1 : sumA[block.colSegment]!);
    out[t] = norm;
  }
  return out;
}

/** The mean of ‖∇_θ‖² over `items` rank-1 gradients: tr F of the Gaussian Fisher of those points. */
export function meanSquaredGradientNorm(layout: TargetLayout, factors: ArrayLike<number>, items: number, firstItem = 0): number {
  const norms = squaredGradientNorms(layout, factors, items, firstItem);
  return norms.reduce((a, b) => a + b, 0) / items;
}
