// The training loop's Executor (runtime/train/executor.ts) on WebGPU: the net's forward graph and
// its one-graph training step share resident parameters on the device; a step is one submit whose
// only readback is the per-example losses. Values cross the host boundary as float64 tensors, like
// the reference executor's, but are computed in float32.
import { STEP_TARGET } from '../../compiler/autodiff/index.js';
import type { Graph } from '../../compiler/ir/ops.js';
import { shapeOf } from '../../compiler/ir/types.js';
import type { Tensor } from '../reference/tensor.js';
import type { Batch, Executor, ExecutorFactory, TrainProgram, TrainState } from '../train/executor.js';
import type { GpuDevice } from '../device/gpu-device.js';
import { deviceGraphs } from './device-graphs.js';
import { GpuExecutor } from './executor.js';
import { microBatches, sliceRows } from './micro-batch.js';
import { layoutTables } from './tables.js';
import { GpuTrainer } from './trainer.js';

export class WebGpuExecutor implements Executor {
  readonly backend: string;
  private readonly trainer: GpuTrainer;
  private readonly forwardExec: GpuExecutor;
  private readonly net: Graph;

  constructor(gpu: GpuDevice, private readonly program: TrainProgram, state: TrainState) {
    const d = gpu.description;
    this.backend = `webgpu: ${d.description || d.device} (${d.path})`;
    const tables = layoutTables(program.inst);
    const { forward, step } = deviceGraphs(program.net, program.inst, program.loss);
    this.net = forward;
    this.trainer = new GpuTrainer(gpu, step, program.inst, program.optimizer, tables);
    this.forwardExec = new GpuExecutor(gpu, this.net, program.inst, { tables, paramStore: this.trainer.executor.params });
    this.load(state);
  }

  /** The net's output; a batch too large for one storage binding runs in micro-batches, concatenated. */
  async forward(inputs: ReadonlyMap<string, Tensor>): Promise<Tensor> {
    const batch = batchOf(inputs);
    const net = this.net;
    const host = new Map([...inputs].map(([k, t]) => [k, t.data] as const));
    const shape = [batch, ...shapeOf(net.nodes[net.output]!.type, this.program.inst)];
    const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
    const row = data.length / batch;
    for (const range of microBatches(batch, this.forwardExec.microBatch(batch))) {
      const chunk = sliceRows(host, batch, range);
      const { values } = await this.forwardExec.run(chunk, range[1] - range[0]);
      data.set(values.get(net.output)!, range[0] * row);
    }
    return { data, shape };
  }

  async trainStep(batch: Batch): Promise<number> {
    const B = batch.target.shape[0]!;
    const inputs = new Map([...batch.inputs].map(([k, t]) => [k, t.data] as const));
    inputs.set(STEP_TARGET, batch.target.data);
    const losses = await this.trainer.trainStep(inputs, B);
    // Summed in float64, as the reference executor does.
    let sum = 0;
    for (const l of losses) sum += l;
    return sum / B;
  }

  async readState(): Promise<TrainState> {
    const { params, slots } = await this.trainer.readState();
    return {
      params: new Map([...params].map(([k, v]) => [k, Float64Array.from(v)])),
      optimizer: { slots: new Map([...slots].map(([k, v]) => [k, v.map((s) => Float64Array.from(s))])) },
      step: this.trainer.step,
    };
  }

  writeState(state: TrainState): Promise<void> {
    this.load(state);
    return Promise.resolve();
  }

  dispose(): void {
    this.forwardExec.release();
    this.trainer.release();
  }

  private load(state: TrainState): void {
    this.trainer.setParams(state.params);
    this.trainer.writeSlots(state.optimizer.slots);
    this.trainer.step = state.step;
  }
}

function batchOf(inputs: ReadonlyMap<string, Tensor>): number {
  const first = inputs.values().next();
  if (first.done === true) throw new Error('forward needs at least one input');
  return first.value.shape[0]!;
}

/** An ExecutorFactory running on an opened device. */
export function webgpuExecutor(gpu: GpuDevice): ExecutorFactory {
  return (program, state) => Promise.resolve(new WebGpuExecutor(gpu, program, state));
}
