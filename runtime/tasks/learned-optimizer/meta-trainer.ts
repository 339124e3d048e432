// The outer loop of meta-training: PES estimates of the meta-gradient, clipped by global norm,
// applied to φ by Adam (paper §6.2: outer Adam lr 1e-4, clipping 1.0, as UNF and
// learned_optimization do). Adam moves every coordinate by about its rate per step, signal or ES
// noise alike, so at the large rates a CPU budget of a few hundred steps needs φ drifts; a cosine
// schedule lets it travel early and settle by the last step.
import { adam, optimizerUpdate, type LrSchedule } from '../../train/optimizers.js';
import { PesEstimator, type PesOptions, type PesSnapshot, type UnrollProblem } from './pes.js';

export interface MetaTrainerOptions {
  pes: PesOptions;
  outerLr: number;
  /** The outer rate's schedule over the outer steps (absent: constant). */
  outerSchedule?: LrSchedule;
  /** Global-norm clip of the estimate before the Adam step. */
  clip: number;
}

export interface MetaTrainerState<S> {
  phi: Float64Array;
  adamMoments: [Float64Array, Float64Array];
  outerStep: number;
  estimator: PesSnapshot<S>;
}

/** `g` scaled down to norm `maxNorm` if it is longer (a copy). */
export function clipByGlobalNorm(g: Float64Array, maxNorm: number): Float64Array {
  const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
  return norm > maxNorm ? g.map((x) => (x * maxNorm) / norm) : Float64Array.from(g);
}

export class PesMetaTrainer<S> {
  readonly phi: Float64Array;
  private readonly moments: [Float64Array, Float64Array];
  private readonly estimator: PesEstimator<S>;
  private step: number;

  constructor(problem: UnrollProblem<S>, readonly options: MetaTrainerOptions, phi0: Float64Array, saved?: MetaTrainerState<S>) {
    this.phi = Float64Array.from(saved?.phi ?? phi0);
    this.moments = saved ? [Float64Array.from(saved.adamMoments[0]), Float64Array.from(saved.adamMoments[1])] : [new Float64Array(phi0.length), new Float64Array(phi0.length)];
    this.step = saved?.outerStep ?? 0;
    this.estimator = new PesEstimator(problem, options.pes, saved?.estimator);
  }

  get outerStep(): number {
    return this.step;
  }

  /** One outer step; returns the truncation's mean loss (the meta-training curve). */
  async outerUpdate(): Promise<number> {
    const { gradient, meanLoss } = await this.estimator.estimate(this.phi);
    optimizerUpdate(adam({ lr: this.options.outerLr, schedule: this.options.outerSchedule }), this.phi, clipByGlobalNorm(gradient, this.options.clip), this.moments, this.step);
    this.step += 1;
    return meanLoss;
  }

  state(): MetaTrainerState<S> {
    return { phi: Float64Array.from(this.phi), adamMoments: [Float64Array.from(this.moments[0]), Float64Array.from(this.moments[1])], outerStep: this.step, estimator: this.estimator.snapshot() };
  }
}
