// The executor interface: what the training loop needs from a backend. The float64 reference
// executor (reference-executor.ts) and the WebGPU executor implement it with the same semantics,
// so a Trainer, a checkpoint or a test can swap one for the other.
//
// A program is a net (forward IR graph), the instantiation it was lowered for, a loss and an
// optimizer. A training step over a batch computes
//   ℓ_i = loss(net(x_i), y_i) per example (see compiler/autodiff/loss.ts),
//   L   = (1/B) Σ_i ℓ_i,  g = ∂L/∂θ  (from the one-graph training step of buildTrainingStep),
// then applies the optimizer update to every parameter with `step` = the updates already applied,
// and increments `step`. It returns the batch-mean loss *before* the update.
import type { LossKind } from '../../compiler/autodiff/loss.js';
import type { Graph } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import type { Tensor } from '../reference/tensor.js';
import type { OptimizerConfig, OptimizerState } from './optimizers.js';

export interface TrainProgram {
  net: Graph;
  inst: Instantiation;
  loss: LossKind;
  optimizer: OptimizerConfig;
}

/** Everything a step depends on besides the data: what a checkpoint stores (with the data RNG). */
export interface TrainState {
  /** Flat row-major values of every param, by name. */
  params: Map<string, Float64Array>;
  optimizer: OptimizerState;
  /** Number of optimizer updates applied so far. */
  step: number;
}

/** A batch: every net input with shape [B, ...], and the target with the net output's shape [B, ...]. */
export interface Batch {
  inputs: Map<string, Tensor>;
  target: Tensor;
}

export interface Executor {
  /** Which backend runs the program (e.g. `reference`, `webgpu: <adapter>`), for reports. */
  readonly backend: string;
  /** The net's output on a batch of inputs, shape [B, ...]. */
  forward(inputs: ReadonlyMap<string, Tensor>): Promise<Tensor>;
  /**
   * One optimizer step on the batch; returns the batch-mean loss before the update. The next step
   * may be asked for before this one resolves (steps apply in call order); await every step before
   * `forward`, `readState` or `writeState`.
   */
  trainStep(batch: Batch): Promise<number>;
  /** A copy of the current state (params, optimizer state, step). */
  readState(): Promise<TrainState>;
  /** Replaces the state (e.g. from a checkpoint); later steps continue from it exactly. */
  writeState(state: TrainState): Promise<void>;
  /** Releases device resources (a no-op for the reference executor). */
  dispose(): void;
}

/** Creates an executor for a program, starting from `state`. */
export type ExecutorFactory = (program: TrainProgram, state: TrainState) => Promise<Executor>;

export function cloneState(state: TrainState): TrainState {
  return {
    params: new Map([...state.params].map(([k, v]) => [k, Float64Array.from(v)])),
    optimizer: { slots: new Map([...state.optimizer.slots].map(([k, v]) => [k, v.map((s) => Float64Array.from(s))])) },
    step: state.step,
  };
}
