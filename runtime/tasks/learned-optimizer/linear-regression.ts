// The 2-parameter linear regression of the paper's Figure 8: f(x) = θ·x with x ∈ R² drawn from an
// equal mixture of Gaussians centred at (1, 2) and (2, 1), target always 0, loss mean (θ·x)². Its
// curvature E[xxᵀ] is far from diagonal, so per-coordinate steps zig-zag. The paper does not give
// the mixture's spread or the initialisation; here each component has std 0.5 and θ₀ ~ N(0, I).
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import { Rng } from '../../util/rng.js';
import type { InnerTask } from './inner-task.js';

const CENTRES = [[1, 2], [2, 1]] as const;
const SPREAD = 0.5;

function sample(rng: Rng): [number, number] {
  const c = CENTRES[rng.int(2)]!;
  return [c[0] + SPREAD * rng.normal(), c[1] + SPREAD * rng.normal()];
}

/** The expected loss θᵀ E[xxᵀ] θ, in closed form (the test loss). */
export function regressionExpectedLoss(theta: ArrayLike<number>): number {
  // E[xxᵀ] = mean of c cᵀ over the centres + SPREAD² I.
  const s = SPREAD * SPREAD;
  const xx = (1 * 1 + 2 * 2) / 2 + s;
  const xy = (1 * 2 + 2 * 1) / 2;
  return xx * theta[0]! ** 2 + 2 * xy * theta[0]! * theta[1]! + xx * theta[1]! ** 2;
}

export function linearRegressionTask(batch: number): InnerTask {
  return {
    name: 'linear_regression',
    paramCount: 2,
    tensors: [{ offset: 0, size: 2 }],
    initialTheta: (rng) => Float64Array.of(rng.normal(), rng.normal()),
    trainLoss(theta, data) {
      let loss = 0;
      const grad = new Float64Array(2);
      // Γ_b as for an MLP [2, 1] (targets/mlp.ts): (x, x) on the inputs, (∂ℓ/∂f, ∂ℓ/∂f) on the output.
      const factors = new Float64Array(batch * 3 * 2);
      for (let i = 0; i < batch; i++) {
        const x = sample(data);
        const r = theta[0]! * x[0] + theta[1]! * x[1];
        loss += (r * r) / batch;
        grad[0] = grad[0]! + (2 * r * x[0]) / batch;
        grad[1] = grad[1]! + (2 * r * x[1]) / batch;
        factors.set([x[0], x[0], x[1], x[1], 2 * r, 2 * r], i * 6);
      }
      return { loss, grad, factors };
    },
    testLoss: regressionExpectedLoss,
  };
}

/** The regression as a target layout (one 1×2 weight, no bias) for lowering F_ϕ. */
export const REGRESSION_LAYOUT: TargetLayout = {
  name: 'LinearRegression',
  spec: { kind: 'mlp', widths: [2, 1], activation: { kind: 'relu' }, init: 'gaussian' },
  segments: [{ name: 'layer0', offset: 0, size: 2, group: null }, { name: 'layer1', offset: 2, size: 1, group: null }],
  neuronCount: 3,
  params: [{ name: 'W1', offset: 0, rows: 1, cols: 2, rowSegment: 1, colSegment: 0 }],
  paramCount: 2,
};
