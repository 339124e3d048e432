// A learned optimizer as a point φ of meta-parameter space: the rule's scalars (log α, log(1 − μ),
// and log β when there is an F_ϕ) followed by F_ϕ's parameters ϕ (GradMetaNet_ψ's among them when
// F_ϕ reads gradient sets). SGDM is the rule alone. `step` is one inner step of a base network
// under φ, in float64.
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import type { Rng } from '../../util/rng.js';
import { optimizerLabel, type UpdateNetConfig } from './config.js';
import { MOMENTUM_DECAYS, standardFeatures, type ParamTensor } from './features.js';
import { gradientSets } from './gradient-sets.js';
import { initialNetParams, lowerUpdateNet, updateDirection, UpdateNetShapeError, type UpdateNet } from './update-net.js';
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

  /** Does F_ϕ read the batch's decomposed per-example gradients (GradMetaNet)? */
  get readsGradientSets(): boolean {
    return this.net?.gradsInput !== undefined;
  }

  /**
   * One inner step in place: momenta (and the gradient sets' EMAs) take in ∇ (and Γ_b), then θ
   * moves by the rule with F_ϕ's direction. `factors` is the batch's Γ_b [b, N, 2].
   */
  step(state: RuleState, grad: Float64Array, phi: Float64Array, tensors: readonly ParamTensor[], factors?: Float64Array): void {
    const scalars = this.scalars(phi);
    accumulateGradient(state, grad, scalars);
    let direction: Float64Array | undefined;
    if (this.net !== undefined) {
      let sets: Float64Array | undefined;
      if (this.net.gradsInput !== undefined) {
        if (factors === undefined) throw new Error(`internal: ${this.label} needs the batch's gradient factors`);
        state.setEmas ??= MOMENTUM_DECAYS.map(() => new Float64Array(factors.length));
        sets = gradientSets(factors, state.setEmas);
      }
      direction = updateDirection(this.net, phi.subarray(this.scalarCount), standardFeatures({ theta: state.theta, grad, momenta: state.momenta }, state.step, tensors), sets);
    }
    applyUpdate(state, scalars, direction);
  }
}

/** The optimizer an `optimizers:` entry names, F_ϕ lowered for `layout` with gradient sets of `setSize`. */
export function optimizerFor(program: ResolvedProgram, module: ResolvedModule, o: UpdateNetConfig, setSize: number, layout: TargetLayout): LearnedOptimizer {
  if (o.net === 'sgdm') return new LearnedOptimizer('sgdm', undefined);
  try {
    return new LearnedOptimizer(optimizerLabel(o), lowerUpdateNet({ program, module, net: o.net, args: o.args, target: layout, setSize }));
  } catch (e) {
    if (e instanceof UpdateNetShapeError) throw new DiagnosticError([error('run/bad-update-net', e.message, o.span, 'see `std/optimizers.gmn` for the two shapes')]);
    throw e;
  }
}
