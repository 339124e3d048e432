// The learned update rule (paper §6.2; Harrison et al. 2022, UNF):
//   v ← μ·v + (1 − μ)·∇,   θ ← θ − α·(v + β·tanh(F_ϕ(features))),
// with α, β stored as logs and μ as log(1 − μ), so that meta-gradient steps keep α, β > 0 and
// μ < 1. β = 0 (no F_ϕ) is the learnable SGD with momentum (SGDM). The nominal momentum v is
// separate from the six feature momenta. Float64 here: the oracle of the device kernels.
// Why tanh: ES noise under outer Adam moves every coordinate of ϕ by ~lr per outer step whatever
// the signal, which inflated F_ϕ's output ~1000× in 20 steps (RMS 0.016 → 26 for DS on the
// CIFAR-10 stand-in), so β·F_ϕ outgrew the momentum term and blew base networks up. Bounded by
// tanh, the learned part moves a parameter by at most α·β per step, a scale PES sets through log β
// alone (the bounded-update idea of Harrison et al. 2022); near zero, where F_ϕ starts, tanh is the
// identity, so the rule at initialisation is unchanged.
import { MOMENTUM_DECAYS } from './features.js';

/** The rule's meta-learned scalars, as the meta-optimizer sees them. */
export interface RuleScalars {
  logAlpha: number;
  /** log(1 − μ). */
  logOneMinusMu: number;
  logBeta: number;
}

/** The paper's initialisation: α 0.1, μ 0.9, β 0.001. */
export const PAPER_RULE = { alpha: 0.1, mu: 0.9, beta: 0.001 } as const;

export function ruleScalars(init: { alpha: number; mu: number; beta: number }): RuleScalars {
  if (!(init.alpha > 0) || !(init.beta > 0) || !(init.mu < 1)) throw new RangeError(`the rule needs α > 0, β > 0 and μ < 1 (got α ${init.alpha}, μ ${init.mu}, β ${init.beta})`);
  return { logAlpha: Math.log(init.alpha), logOneMinusMu: Math.log(1 - init.mu), logBeta: Math.log(init.beta) };
}

export function ruleValues(s: RuleScalars): { alpha: number; mu: number; beta: number } {
  return { alpha: Math.exp(s.logAlpha), mu: 1 - Math.exp(s.logOneMinusMu), beta: Math.exp(s.logBeta) };
}

/** One inner run's optimizer state: θ, the nominal momentum, the six feature momenta, the step. */
export interface RuleState {
  theta: Float64Array;
  momentum: Float64Array;
  momenta: Float64Array[];
  step: number;
  /** The six per-slot EMAs of the gradient sets (gradient-sets.ts), for GradMetaNet-augmented optimizers. */
  setEmas?: Float64Array[];
}

export function initialRuleState(theta: Float64Array): RuleState {
  return {
    theta: Float64Array.from(theta),
    momentum: new Float64Array(theta.length),
    momenta: MOMENTUM_DECAYS.map(() => new Float64Array(theta.length)),
    step: 0,
  };
}

/** The momentum half of a step: v and the six feature momenta take in ∇ (in place). */
export function accumulateGradient(state: RuleState, grad: Float64Array, scalars: RuleScalars): void {
  const mu = ruleValues(scalars).mu;
  for (let i = 0; i < grad.length; i++) state.momentum[i] = mu * state.momentum[i]! + (1 - mu) * grad[i]!;
  MOMENTUM_DECAYS.forEach((d, k) => {
    const m = state.momenta[k]!;
    for (let i = 0; i < grad.length; i++) m[i] = d * m[i]! + (1 - d) * grad[i]!;
  });
}

/** The update half: θ ← θ − α(v + β·tanh(direction)), `undefined` direction = SGDM; counts the step. */
export function applyUpdate(state: RuleState, scalars: RuleScalars, direction: Float64Array | undefined): void {
  const { alpha, beta } = ruleValues(scalars);
  for (let i = 0; i < state.theta.length; i++) {
    const learned = direction === undefined ? 0 : beta * Math.tanh(direction[i]!);
    state.theta[i] = state.theta[i]! - alpha * (state.momentum[i]! + learned);
  }
  state.step += 1;
}
