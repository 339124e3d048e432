// The Executor on the float64 reference executor: the training step is the one graph from
// buildTrainingStep, run on the batch with `loss_cotangent` = 1/B, followed by the float64
// optimizer update of every parameter.
import { buildTrainingStep, STEP_COTANGENT, STEP_LOSS, STEP_TARGET } from '../../compiler/autodiff/loss.js';
import type { Graph } from '../../compiler/ir/ops.js';
import { executeGraph } from '../reference/execute.js';
import { tensor, type Tensor } from '../reference/tensor.js';
import { cloneState, type Batch, type Executor, type ExecutorFactory, type TrainProgram, type TrainState } from './executor.js';
import { clipGradients, optimizerUpdate } from './optimizers.js';

export class ReferenceExecutor implements Executor {
  readonly backend = 'reference (float64)';
  private readonly step: Graph;
  private state: TrainState;

  constructor(private readonly program: TrainProgram, state: TrainState) {
    this.step = buildTrainingStep(program.net, program.inst, program.loss).graph;
    this.state = cloneState(state);
  }

  forward(inputs: ReadonlyMap<string, Tensor>): Promise<Tensor> {
    return Promise.resolve(executeGraph(this.program.net, this.program.inst, inputs, this.state.params).output);
  }

  trainStep(batch: Batch): Promise<number> {
    const B = batch.target.shape[0]!;
    const inputs = new Map([...batch.inputs, [STEP_TARGET, batch.target], [STEP_COTANGENT, tensor([B, 1], new Float64Array(B).fill(1 / B))]]);
    const run = executeGraph(this.step, this.program.inst, inputs, this.state.params);
    const losses = run.outputs.get(STEP_LOSS)!.data;
    const loss = losses.reduce((a, b) => a + b, 0) / B;
    const grads = new Map([...this.state.params.keys()].map((name) => [name, run.outputs.get(`grad:${name}`)!.data]));
    const { clipNorm } = this.program.optimizer;
    if (clipNorm !== undefined) clipGradients([...grads.values()], clipNorm);
    for (const [name, param] of this.state.params) {
      optimizerUpdate(this.program.optimizer, param, grads.get(name)!, this.state.optimizer.slots.get(name)!, this.state.step);
    }
    this.state.step++;
    return Promise.resolve(loss);
  }

  readState(): Promise<TrainState> {
    return Promise.resolve(cloneState(this.state));
  }

  writeState(state: TrainState): Promise<void> {
    this.state = cloneState(state);
    return Promise.resolve();
  }

  /** Nothing to release: the reference executor holds only JS arrays. */
  dispose(): void {}
}

export const referenceExecutor: ExecutorFactory = (program, state) => Promise.resolve(new ReferenceExecutor(program, state));
