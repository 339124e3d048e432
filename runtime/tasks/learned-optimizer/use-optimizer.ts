// Training a network with a meta-trained optimizer, next to Adam: the base task's data and loss on
// its own target or another MLP of the file (the paper's width transfer, Table 10: UNF's np layer,
// DS and GradMetaNet have as many parameters on any width, so φ carries over), from the same
// initialisation and batches for both (evaluation.ts).
import type { ResolvedModule, ResolvedProgram } from '../../../compiler/resolve/resolve.js';
import { baseTaskLayout, gradientSetSize, loadBaseTask } from './base-task.js';
import type { BaseTaskConfig, UpdateNetConfig } from './config.js';
import { adamCurve, bestPoint, learnedCurve, stepsToReach, type Curve } from './evaluation.js';
import { optimizerFor } from './learned-optimizer.js';
import { HintedError } from '../../util/hinted-error.js';

export interface UseRequest {
  program: ResolvedProgram;
  module: ResolvedModule;
  base: BaseTaskConfig;
  entry: UpdateNetConfig;
  phi: readonly number[];
  /** Another MLP target of the file to train instead of the base task's. */
  target?: string;
  steps: number;
  seed: number;
  adamLr: number;
  stage(line: string): void;
}

export interface UseResult {
  optimizer: string;
  target: string;
  params: number;
  learned: Curve;
  adam: Curve;
  /** Adam's best test loss L* and the step N* it was first reached. */
  adamBest: { loss: number; step: number };
  /** The learned optimizer's first step at or below L* (undefined: never within `steps`). */
  learnedSteps: number | undefined;
}

/** The φ of another size than the optimizer has on the chosen target (its parameters depend on it). */
export class TransferError extends HintedError {
  constructor(message: string) {
    super(message, "--target takes an MLP of the file with as many layers as the image task's (an optimizer's parameter count depends on the depth, not the widths)");
  }
}

export function useOptimizer(req: UseRequest): UseResult {
  if (req.target !== undefined && req.base.kind === 'linear_regression') {
    throw new TransferError(`${req.entry.net} was meta-trained on the 2-D regression, which has no target to replace`);
  }
  const layout = baseTaskLayout(req.module, req.base, req.target);
  const optimizer = optimizerFor(req.program, req.module, req.entry, gradientSetSize(req.base, layout), layout);
  if (optimizer.metaSize !== req.phi.length) {
    throw new TransferError(`${optimizer.label} has ${optimizer.metaSize} meta-parameters on ${layout.name}, the trained φ ${req.phi.length}`);
  }
  const task = loadBaseTask(req.base, layout, req.stage);
  const options = { horizon: req.steps, every: 1, seed: req.seed };
  const learned = learnedCurve(task, optimizer, Float64Array.from(req.phi), options);
  const adam = adamCurve(task, req.adamLr, options);
  const adamBest = bestPoint(adam);
  return { optimizer: optimizer.label, target: layout.name, params: layout.paramCount, learned, adam, adamBest, learnedSteps: stepsToReach(learned, adamBest.loss) };
}
