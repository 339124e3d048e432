// A base task of learned optimization (a network, its data and loss) and the PES inner problem it
// makes with a learned optimizer: every particle is one run of the base network under its own φ.
// The float64 problem loops over particles; a device problem runs them as one batch.
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import { ParticleSets } from '../../particles/particle-sets.js';
import { Rng } from '../../util/rng.js';
import type { ParamTensor } from './features.js';
import type { LearnedOptimizer } from './learned-optimizer.js';
import type { UnrollProblem } from './pes.js';
import { initialRuleState, type RuleState } from './update-rule.js';

export interface TrainBatch {
  loss: number;
  grad: Float64Array;
  /** The per-example rank-1 factors of the batch ([b, N, 2], targets/mlp.ts): GradMetaNet's input. */
  factors: Float64Array;
}

/**
 * An image-MLP task's data as a device runner reads it: the MLP, images [count, inputs] with labels,
 * and the batch; `trainLoss` draws a batch as `batch` calls of `rng.int(train.count)`, in order.
 */
export interface ImageTaskData {
  kind: 'image';
  layout: TargetLayout;
  inputs: number;
  batch: number;
  train: { images: Float32Array; labels: Uint8Array; count: number };
  /** The test examples the test loss averages over. */
  test: { images: Float32Array; labels: Uint8Array; count: number };
}

/**
 * A language-model task's data as a device runner reads it: the transformer, the training bytes and
 * the test windows; `trainLoss` draws a batch as `batch` calls of `rng.int(train.count)` (window
 * starts: count = bytes − seq), in order, each window predicting the byte after every position.
 */
export interface TextTaskData {
  kind: 'text';
  layout: TargetLayout;
  batch: number;
  train: { bytes: Uint8Array; count: number };
  /** The test windows the test loss averages over: tokens and next-byte targets, [count, seq] each. */
  test: { tokens: Uint8Array; targets: Uint8Array; count: number };
}

/** A task's data in the form a device runner reads (device-target.ts). */
export type DeviceTaskForm = ImageTaskData | TextTaskData;

export interface InnerTask {
  name: string;
  paramCount: number;
  /** The parameter tensors (the features are normalised per tensor). */
  tensors: readonly ParamTensor[];
  /** A fresh initialisation of the base network. */
  initialTheta(rng: Rng): Float64Array;
  /** The mean loss of a training batch drawn from `data`, its gradient and the batch's Γ_b [b, N, 2]. */
  trainLoss(theta: Float64Array, data: Rng): TrainBatch;
  /** The loss on the held-out set (the evaluation metric). */
  testLoss(theta: Float64Array): number;
  /** Present on the tasks that can also run on the device (image MLPs, the LM: device-problem.ts). */
  device?: DeviceTaskForm;
}

export class LearnedOptimizerProblem implements UnrollProblem<RuleState> {
  readonly metaSize: number;

  constructor(
    readonly task: InnerTask,
    readonly optimizer: LearnedOptimizer,
  ) {
    this.metaSize = optimizer.metaSize;
  }

  initialState(rng: Rng): RuleState {
    return initialRuleState(this.task.initialTheta(rng));
  }

  unroll(states: readonly RuleState[], metas: ParticleSets, steps: number, dataSeeds: readonly number[]): { states: RuleState[]; losses: Float64Array } {
    const losses = new Float64Array(states.length);
    const out = states.map((s, j) => {
      const state = structuredClone(s);
      const data = new Rng(dataSeeds[j >> 1]!);
      for (let t = 0; t < steps; t++) {
        const { loss, grad, factors } = this.task.trainLoss(state.theta, data);
        losses[j] = losses[j]! + loss / steps;
        this.optimizer.step(state, grad, metas.row(j), this.task.tensors, factors);
      }
      return state;
    });
    return { states: out, losses };
  }
}
