// The curvature labels of one model, from its θ and the fresh label points, through the targets
// module (runtime/targets/fisher.ts, mlp.ts). The input gradients of this task are gradients of the
// model *output*, ∇_θ f(x): the Gaussian-likelihood case, where F = mean_k ∇f(x_k)∇f(x_k)ᵀ.
//   fisher_diag             diag F, the exact Gaussian expectation (trueFisherDiagonal)
//   empirical_fisher_diag   mean_k (∇_θ ℓ_k)² with ℓ_k = f(x_k), the per-example gradients of the
//                           output itself: with no observed y in this setting it *coincides* with
//                           diag F (computed along the per-example-gradient path, so the two agree
//                           as a check)
//   fisher_trace            tr F = Σ_p diag F[p] = mean_k ‖∇_θ f(x_k)‖²  (one number per model; for a
//                           scalar output from the rank-1 factors, O(N) per point instead of O(P))
//   obd_saliency            θ² ⊙ diag F  (Optimal Brain Damage, without the ½)
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { LabelKind } from '../tasks/task-config.js';
import { fisherTrace, obdSaliency, trueFisherDiagonal } from '../targets/fisher.js';
import { meanSquaredGradientNorm } from '../targets/gradient-norms.js';
import { mlpGradients, mlpOutputModel, mlpPerExampleGradients } from '../targets/mlp.js';

/** Numbers per model of a label: 1 for the trace, else one per parameter. */
export function labelWidth(layout: TargetLayout, kind: LabelKind): number {
  return kind === 'fisher_trace' ? 1 : layout.paramCount;
}

/** The label of the model with parameters `theta` ([P]) on `count` points `inputs` ([count, d_0]). */
export function curvatureLabel(layout: TargetLayout, kind: LabelKind, theta: Float64Array, inputs: Float64Array, count: number): Float64Array {
  const batch = { count, inputs, theta };
  if (kind === 'empirical_fisher_diag') {
    const perExample = mlpPerExampleGradients(layout, mlpGradients(layout, batch, { kind: 'output' }));
    return meanOfSquares(perExample, count, layout.paramCount);
  }
  if (kind === 'fisher_trace' && hasScalarOutput(layout)) {
    return Float64Array.of(meanSquaredGradientNorm(layout, mlpGradients(layout, batch, { kind: 'output' }).factors, count));
  }
  const diagonal = trueFisherDiagonal(mlpOutputModel(layout, batch), 'gaussian');
  switch (kind) {
    case 'fisher_diag': return diagonal;
    case 'fisher_trace': return Float64Array.of(fisherTrace(diagonal));
    case 'obd_saliency': return obdSaliency(theta, diagonal);
  }
}

/** One output: each point's output gradient is exactly one rank-1 factor pair per layer. */
export function hasScalarOutput(layout: TargetLayout): boolean {
  return layout.segments[layout.segments.length - 1]!.size === 1;
}

/** mean over rows of the squares, [rows, width] → [width]. */
function meanOfSquares(values: Float64Array, rows: number, width: number): Float64Array {
  const out = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) {
      const v = values[r * width + c]!;
      out[c] += v * v;
    }
  }
  for (let c = 0; c < width; c++) out[c] /= rows;
  return out;
}
