// An inner problem whose meta-objective is known in closed form: θ ∈ R², meta-parameters φ ∈ R³
// shift every step, θ ← θ − η(Aθ − b − ζ) + Mφ, and a step's loss is ½θᵀAθ − (b + ζ)ᵀθ with batch
// noise ζ ~ N(0, 0.1²I) drawn from the pair's data seed. The dynamics are linear in φ, so the
// meta-objective F(φ) = (1/K) Σ_{t<T} E ℓ_t is quadratic in φ: Gaussian smoothing changes it by a
// constant, and ∇F is exact from the forward sensitivities J_{t+1} = (I − ηA)J_t + M.
import type { UnrollProblem } from '../../runtime/tasks/learned-optimizer/pes.js';
import type { ParticleSets } from '../../runtime/particles/particle-sets.js';
import { Rng } from '../../runtime/util/rng.js';

const A = [[2, 0.5], [0.5, 1]] as const;
const B = [1, -1] as const;
const ETA = 0.1;
const M = [[0.1, 0, 0.05], [0, 0.1, -0.05]] as const;
const THETA0 = [1, 1] as const;

export interface LqState {
  theta: [number, number];
}

function grad(theta: readonly number[], zeta: readonly number[]): [number, number] {
  return [0, 1].map((r) => A[r]![0]! * theta[0]! + A[r]![1]! * theta[1]! - B[r]! - zeta[r]!) as [number, number];
}

function loss(theta: readonly number[], zeta: readonly number[]): number {
  const quad = 0.5 * (theta[0]! * (A[0][0] * theta[0]! + A[0][1] * theta[1]!) + theta[1]! * (A[1][0] * theta[0]! + A[1][1] * theta[1]!));
  return quad - (B[0] + zeta[0]!) * theta[0]! - (B[1] + zeta[1]!) * theta[1]!;
}

function step(theta: readonly number[], phi: ArrayLike<number>, zeta: readonly number[]): [number, number] {
  const g = grad(theta, zeta);
  return [0, 1].map((r) => theta[r]! - ETA * g[r]! + M[r]![0]! * phi[0]! + M[r]![1]! * phi[1]! + M[r]![2]! * phi[2]!) as [number, number];
}

export const linearQuadratic: UnrollProblem<LqState> = {
  metaSize: 3,
  initialState: (rng) => ({ theta: [THETA0[0] + 0.1 * rng.normal(), THETA0[1] + 0.1 * rng.normal()] }),
  unroll(states, metas: ParticleSets, steps, dataSeeds) {
    const losses = new Float64Array(states.length);
    const out = states.map((s, j) => {
      const data = new Rng(dataSeeds[j >> 1]!);
      const phi = metas.row(j);
      let theta: [number, number] = [...s.theta];
      for (let t = 0; t < steps; t++) {
        const zeta = [0.1 * data.normal(), 0.1 * data.normal()];
        losses[j] = losses[j]! + loss(theta, zeta) / steps;
        theta = step(theta, phi, zeta);
      }
      return { theta };
    });
    return { states: out, losses };
  },
};

/** F(φ) and ∇F(φ) for horizon T and truncation K (noise-free means; see the header). */
export function lqObjective(phi: ArrayLike<number>, horizon: number, truncation: number): { value: number; gradient: Float64Array } {
  let theta: [number, number] = [THETA0[0], THETA0[1]];
  let J = [[0, 0, 0], [0, 0, 0]];
  let value = 0;
  const gradient = new Float64Array(3);
  for (let t = 0; t < horizon; t++) {
    value += loss(theta, [0, 0]) / truncation;
    const g = grad(theta, [0, 0]);
    for (let k = 0; k < 3; k++) gradient[k] = gradient[k]! + (J[0]![k]! * g[0] + J[1]![k]! * g[1]) / truncation;
    J = [0, 1].map((r) => [0, 1, 2].map((k) => J[r]![k]! - ETA * (A[r]![0]! * J[0]![k]! + A[r]![1]! * J[1]![k]!) + M[r]![k]!));
    theta = step(theta, phi, [0, 0]);
  }
  return { value, gradient };
}
