// Evaluation as the paper does it (§6.2 "Metric"): Adam with its learning rate tuned on a grid
// reaches its best test loss L* after N* steps; every other optimizer is scored by the steps it
// needs to reach L* (step-reduction factor N* ÷ steps) and by its best test loss within the horizon,
// mean ± std over seeds. Curves are test losses recorded every `every` inner steps (and at step 0).
import { adam, optimizerUpdate } from '../../train/optimizers.js';
import { Rng } from '../../util/rng.js';
import type { InnerTask, TrainBatch } from './inner-task.js';
import type { LearnedOptimizer } from './learned-optimizer.js';
import { initialRuleState } from './update-rule.js';

export interface Curve {
  steps: number[];
  losses: number[];
}

export interface CurveOptions {
  horizon: number;
  every: number;
  seed: number;
  /** When given, receives θ at every step (0..horizon): the trajectory of Figure 8. */
  trajectory?: number[][];
}

/** The same initialisation and batches for every optimizer evaluated with one seed. */
function seeded(task: InnerTask, seed: number): { theta: Float64Array; data: Rng } {
  const rng = new Rng(seed);
  return { theta: task.initialTheta(rng), data: rng.fork() };
}

function record(task: InnerTask, options: CurveOptions, step: (theta: Float64Array, batch: TrainBatch, t: number) => void): Curve {
  const { theta, data } = seeded(task, options.seed);
  const curve: Curve = { steps: [0], losses: [task.testLoss(theta)] };
  options.trajectory?.push([...theta]);
  for (let t = 1; t <= options.horizon; t++) {
    step(theta, task.trainLoss(theta, data), t - 1);
    options.trajectory?.push([...theta]);
    if (t % options.every === 0 || t === options.horizon) {
      curve.steps.push(t);
      curve.losses.push(task.testLoss(theta));
    }
  }
  return curve;
}

export function adamCurve(task: InnerTask, lr: number, options: CurveOptions): Curve {
  const config = adam({ lr });
  const slots = [new Float64Array(task.paramCount), new Float64Array(task.paramCount)];
  return record(task, options, (theta, batch, t) => optimizerUpdate(config, theta, batch.grad, slots, t));
}

export function learnedCurve(task: InnerTask, optimizer: LearnedOptimizer, phi: Float64Array, options: CurveOptions): Curve {
  const { theta } = seeded(task, options.seed);
  const state = initialRuleState(theta);
  return record(task, options, (th, batch) => {
    state.theta = th;
    optimizer.step(state, batch.grad, phi, task.tensors, batch.factors);
  });
}

/** The lowest recorded loss and the first step that reached it (Adam's L* and N*). */
export function bestPoint(curve: Curve): { loss: number; step: number } {
  let best = 0;
  curve.losses.forEach((l, i) => {
    if (l < curve.losses[best]!) best = i;
  });
  return { loss: curve.losses[best]!, step: curve.steps[best]! };
}

/** The first recorded step whose loss is at most `target`, or undefined if none is. */
export function stepsToReach(curve: Curve, target: number): number | undefined {
  const i = curve.losses.findIndex((l) => l <= target);
  return i < 0 ? undefined : curve.steps[i];
}

/** The grid learning rate whose best test loss, averaged over `seeds`, is lowest. */
export function tuneAdam(task: InnerTask, lrs: readonly number[], seeds: readonly number[], options: Omit<CurveOptions, 'seed'>): { lr: number; meanBest: number }[] {
  return lrs.map((lr) => ({ lr, meanBest: seeds.reduce((a, seed) => a + bestPoint(adamCurve(task, lr, { ...options, seed })).loss, 0) / seeds.length }));
}

export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, std };
}

export interface OptimizerScore {
  label: string;
  /** N* ÷ steps per seed; undefined where the optimizer never reached L*. */
  reductions: (number | undefined)[];
  bestLosses: number[];
}

/** Scores `curves[seed]` of one optimizer against Adam's curves for the same seeds. */
export function scoreAgainstAdam(label: string, curves: readonly Curve[], adamCurves: readonly Curve[]): OptimizerScore {
  return {
    label,
    reductions: curves.map((c, i) => {
      const { loss, step } = bestPoint(adamCurves[i]!);
      const steps = stepsToReach(c, loss);
      return steps === undefined ? undefined : step / Math.max(steps, 1);
    }),
    bestLosses: curves.map((c) => bestPoint(c).loss),
  };
}
