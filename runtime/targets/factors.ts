// From rank-1 factors Γ ([items, N, 2]: channel 0 = a, channel 1 = g) to gradients in Θ.
// For every weight block ∇W[p, q] = Σ_t Γ[t, row p, 1] · Γ[t, col q, 0] and every bias block
// ∇b[p] = Σ_t Γ[t, row p, 1], the sum running over the items of one example (1 for an MLP, the
// tokens of a sequence for a transformer, the positions of an image for a CNN). LayerNorm gains are not of this form; transformers fill
// them from their own backward pass (runtime/targets/transformer.ts).
import type { LayoutBlocks } from '../../compiler/spaces/target.js';

/**
 * Per-example gradients [examples, P] from factors of `examples · itemsPerExample` items (items of
 * one example contiguous). Blocks for which `skip` returns true are left at 0.
 */
export function gradientsFromFactors(
  layout: LayoutBlocks,
  factors: Float64Array,
  examples: number,
  itemsPerExample = 1,
  skip: (blockIndex: number) => boolean = () => false,
): Float64Array {
  const N = layout.neuronCount;
  const P = layout.paramCount;
  const out = new Float64Array(examples * P);
  layout.params.forEach((block, k) => {
    if (skip(k)) return;
    const rowBase = layout.segments[block.rowSegment]!.offset;
    const colBase = block.colSegment === null ? -1 : layout.segments[block.colSegment]!.offset;
    for (let e = 0; e < examples; e++) {
      const dst = e * P + block.offset;
      for (let t = e * itemsPerExample; t < (e + 1) * itemsPerExample; t++) {
        const item = t * N * 2;
        for (let p = 0; p < block.rows; p++) {
          const g = factors[item + (rowBase + p) * 2 + 1]!;
          if (block.cols === null) {
            out[dst + p] += g;
            continue;
          }
          if (g === 0) continue;
          const row = dst + p * block.cols;
          const a = item + colBase * 2;
          for (let q = 0; q < block.cols; q++) out[row + q] += g * factors[a + q * 2]!;
        }
      }
    }
  });
  return out;
}

/** The mean over examples of per-example gradients [examples, P]: the batch-loss gradient ∇_B. */
export function meanGradient(perExample: Float64Array, examples: number, paramCount: number): Float64Array {
  const out = new Float64Array(paramCount);
  for (let e = 0; e < examples; e++) for (let p = 0; p < paramCount; p++) out[p] += perExample[e * paramCount + p]!;
  for (let p = 0; p < paramCount; p++) out[p] /= examples;
  return out;
}
