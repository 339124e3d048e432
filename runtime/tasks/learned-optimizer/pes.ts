// Persistent Evolution Strategies (Vicol, Metz, Sohl-Dickstein 2021; ../shared/spec/pes.md): an
// unbiased estimate of the meta-gradient of an unrolled inner problem from truncated unrolls.
// N antithetic pairs each keep two inner runs (s⁺ under φ + ε, s⁻ under φ − ε, fed the same
// batches) and an accumulator ξ of every perturbation since the pair's run last restarted; the
// estimate is (1 / 2Nσ²) Σᵢ ξᵢ (L⁺ᵢ − L⁻ᵢ). With `accumulate: false` ξ is the last ε alone:
// truncated ES, biased because it ignores how earlier perturbations shaped the current state.
// All 2N runs of a truncation go to the problem in one `unroll` call, so a device problem can
// serve every particle with one dispatch series (asynchronously: it awaits the device's readback).
import { ParticleSets } from '../../particles/particle-sets.js';
import { Rng, type RngState } from '../../util/rng.js';

/** An inner problem whose runs are batched over particles. */
export interface UnrollProblem<S> {
  /** The number of meta-parameters φ. */
  readonly metaSize: number;
  /** A fresh inner run (a new initialisation of the base network). */
  initialState(rng: Rng): S;
  /**
   * Advances every run `steps` inner steps, run j under meta-parameters `metas.row(j)`; runs 2i and
   * 2i + 1 (a pair) draw their batches from `dataSeeds[i]`. Returns the new states and each run's
   * mean loss over the steps (the loss each step's gradient is taken of).
   */
  unroll(states: readonly S[], metas: ParticleSets, steps: number, dataSeeds: readonly number[]): Unrolled<S> | Promise<Unrolled<S>>;
}

/** The runs after an unroll and each run's mean loss over its steps. */
export interface Unrolled<S> {
  states: S[];
  losses: Float64Array;
}

export interface PesOptions {
  pairs: number;
  /** K: inner steps per truncation. */
  truncation: number;
  /** T: inner steps before a run restarts; a multiple of K. */
  horizon: number;
  sigma: number;
  /** PES (true) or truncated ES (false). */
  accumulate: boolean;
  /** Start each pair at a random truncation of its first horizon, so resets do not line up. */
  stagger: boolean;
  seed: number;
}

interface PairState<S> {
  plus: S;
  minus: S;
  xi: Float64Array;
  /** Inner steps taken since the pair's run (re)started, counting a staggered offset. */
  step: number;
}

export interface PesSnapshot<S> {
  rng: RngState;
  pairs: PairState<S>[];
}

export interface PesEstimate {
  gradient: Float64Array;
  /** Each pair's term; `gradient` is their mean (for variance and confidence intervals). */
  pairGradients: Float64Array[];
  /** The mean loss over all runs of the truncation, at the perturbed meta-parameters. */
  meanLoss: number;
}

export class PesEstimator<S> {
  private readonly rng: Rng;
  private pairs: PairState<S>[];

  /** A fresh estimator, or (with `saved`, from `snapshot`) one that continues where it was saved. */
  constructor(
    private readonly problem: UnrollProblem<S>,
    readonly options: PesOptions,
    saved?: PesSnapshot<S>,
  ) {
    const { pairs, truncation, horizon, sigma } = options;
    if (!(pairs >= 1 && truncation >= 1 && horizon % truncation === 0 && horizon >= truncation)) {
      throw new RangeError(`PES needs pairs ≥ 1 and a horizon that is a positive multiple of the truncation (pairs ${pairs}, truncation ${truncation}, horizon ${horizon})`);
    }
    if (!(sigma > 0)) throw new RangeError(`PES needs σ > 0 (got ${sigma})`);
    if (saved !== undefined) {
      if (saved.pairs.length !== pairs) throw new RangeError(`the saved estimator has ${saved.pairs.length} pairs, the options ${pairs}`);
      const copy = structuredClone(saved);
      this.rng = Rng.fromState(copy.rng);
      this.pairs = copy.pairs;
      return;
    }
    this.rng = new Rng(options.seed);
    this.pairs = Array.from({ length: pairs }, () => this.freshPair(options.stagger ? truncation * this.rng.int(horizon / truncation) : 0));
  }

  private freshPair(step: number): PairState<S> {
    const start = this.problem.initialState(this.rng);
    // Both runs of a pair start from the same initialisation (structuredClone: the problem's states are plain data).
    return { plus: start, minus: structuredClone(start), xi: new Float64Array(this.problem.metaSize), step };
  }

  /** One truncation of every pair under meta-parameters φ: the meta-gradient estimate. */
  async estimate(phi: Float64Array): Promise<PesEstimate> {
    const { truncation, horizon, sigma, accumulate } = this.options;
    if (phi.length !== this.problem.metaSize) throw new RangeError(`φ has ${phi.length} entries, the problem ${this.problem.metaSize}`);
    this.pairs = this.pairs.map((p) => (p.step >= horizon ? this.freshPair(0) : p));
    const noises = this.pairs.map(() => Float64Array.from({ length: phi.length }, () => sigma * this.rng.normal()));
    const dataSeeds = this.pairs.map(() => this.rng.nextU32());
    const { states, losses } = await this.problem.unroll(this.pairs.flatMap((p) => [p.plus, p.minus]), ParticleSets.antithetic(phi, noises), truncation, dataSeeds);
    const pairGradients = this.pairs.map((pair, i) => {
      const eps = noises[i]!;
      for (let k = 0; k < eps.length; k++) pair.xi[k] = (accumulate ? pair.xi[k]! : 0) + eps[k]!;
      pair.plus = states[2 * i]!;
      pair.minus = states[2 * i + 1]!;
      pair.step += truncation;
      const scale = (losses[2 * i]! - losses[2 * i + 1]!) / (2 * sigma * sigma);
      return pair.xi.map((x) => x * scale);
    });
    const gradient = new Float64Array(phi.length);
    for (const g of pairGradients) for (let k = 0; k < g.length; k++) gradient[k] = gradient[k]! + g[k]! / pairGradients.length;
    return { gradient, pairGradients, meanLoss: losses.reduce((a, b) => a + b, 0) / losses.length };
  }

  /** Everything needed to continue the same sequence of estimates (for checkpoints). */
  snapshot(): PesSnapshot<S> {
    return structuredClone({ rng: this.rng.state(), pairs: this.pairs });
  }
}
