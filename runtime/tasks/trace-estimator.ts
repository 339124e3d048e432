// The standard estimator of tr F (paper appendix G.1's invariant target): the same formula as the
// label, mean_i ‖∇_θ f(x_i)‖², over the b points of the input set instead of the label's fresh
// points. It is the trace of the diagonal that `standard_estimator` (std/baselines.gmn) computes,
// but taken from the rank-1 factors in O(N) per point: that net reads Θ_b, b × P numbers per
// example, out of reach for a target of a million parameters. A fisher_trace task reports it, and
// its least-squares recalibration, as reference lines without a net in its model list.
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { hasScalarOutput } from '../data/labels.js';
import type { Split } from '../data/splits.js';
import { meanSquaredGradientNorm } from '../targets/gradient-norms.js';
import type { TaskConfig } from './task-config.js';

/** The estimator's name in results and reports. */
export const TRACE_ESTIMATOR = 'trace_estimator';

/**
 * Whether a task reports the estimator: its label is tr F, and each point's output gradient is one
 * rank-1 gradient (a scalar output), so the stored factors are the per-example gradients whose
 * squared norms tr F averages.
 */
export function hasTraceEstimator(config: TaskConfig, target: TargetLayout): boolean {
  return config.label === 'fisher_trace' && target.spec.kind === 'mlp' && hasScalarOutput(target);
}

/** The estimate of every example of `split`, in raw label units, from its stored Γ_b. */
export function traceEstimates(split: Split): Float64Array {
  const { data } = split;
  return Float64Array.from({ length: split.count }, (_, k) => meanSquaredGradientNorm(data.layout, data.grads, data.points, (split.start + k) * data.points));
}
