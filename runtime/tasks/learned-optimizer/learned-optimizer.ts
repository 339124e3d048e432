// A learned optimizer as a point φ of meta-parameter space: the rule's scalars (log α, log(1 − μ),
// and log β when there is an F_ϕ) followed by F_ϕ's parameters ϕ. SGDM is the rule alone. `step`
// is one inner step of a base network under φ, in float64.
import type { Rng } from '../../util/rng.js';
import { standardFeatures, type ParamTensor } from './features.js';
import { initialNetParams, updateDirection, type UpdateNet } from './update-net.js';
import { accumulateGradient, applyUpdate, ruleScalars, type RuleScalars, type RuleState } from './update-rule.js';

export class LearnedOptimizer {
  /** How many of φ's leading entries are rule scalars. */
  readonly scalarCount: number;
  readonly metaSize: number;

  constructor(
    readonly label: string,
    /** F_ϕ, or undefined for SGDM. */
    readonly net: UpdateNet | undefined,
  ) {
    this.scalarCount = net === undefined ? 2 : 3;
    this.metaSize = this.scalarCount + (net?.paramCount ?? 0);
  }

  /** φ at initialisation: the rule's initial α, μ, β and F_ϕ's own initialisation. */
  initialMeta(rule: { alpha: number; mu: number; beta: number }, rng: Rng): Float64Array {
    const s = ruleScalars(rule);
    const phi = new Float64Array(this.metaSize);
    phi.set(this.net === undefined ? [s.logAlpha, s.logOneMinusMu] : [s.logAlpha, s.logOneMinusMu, s.logBeta]);
    if (this.net !== undefined) phi.set(initialNetParams(this.net, rng), this.scalarCount);
    return phi;
  }

  scalars(phi: Float64Array): RuleScalars {
    return { logAlpha: phi[0]!, logOneMinusMu: phi[1]!, logBeta: this.net === undefined ? -Infinity : phi[2]! };
  }

  /** One inner step in place: momenta take in ∇, then θ moves by the rule (with F_ϕ's direction). */
  step(state: RuleState, grad: Float64Array, phi: Float64Array, tensors: readonly ParamTensor[]): void {
    const scalars = this.scalars(phi);
    accumulateGradient(state, grad, scalars);
    const direction = this.net === undefined
      ? undefined
      : updateDirection(this.net, phi.subarray(this.scalarCount), standardFeatures({ theta: state.theta, grad, momenta: state.momenta }, state.step, tensors));
    applyUpdate(state, scalars, direction);
  }
}
