// A training step on the GPU: the step graph (forward → loss → backward, from compiler/autodiff)
// and the optimizer's updates are recorded into one command encoder and submitted once; parameters,
// their gradients and the optimizer state never leave the device, and only the per-example losses
// are read back.
import type { TrainingStepGraph } from '../../compiler/autodiff/index.js';
import { STEP_COTANGENT, STEP_LOSS } from '../../compiler/autodiff/index.js';
import type { ValueId } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { linearGrid } from '../../compiler/wgsl/kernel.js';
import { adamKernel, sgdKernel } from '../../compiler/wgsl/optimizers.js';
import type { PlanTables } from '../../compiler/wgsl/plan.js';
import type { GpuDevice } from '../device/index.js';
import { GpuExecutor, type HostTensor } from './executor.js';
import { pipelineOf, record } from './launch.js';

export interface OptimizerSettings {
  kind: 'adam' | 'adamw' | 'sgd';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentum: number;
}

interface ParamState {
  name: string;
  size: number;
  grad: ValueId;
  /** Adam: first and second moments; SGD: the momentum buffer. */
  state: GPUBuffer[];
}

export class GpuTrainer {
  readonly executor: GpuExecutor;
  private readonly loss: ValueId;
  private readonly state: ParamState[] = [];
  private steps = 0;

  constructor(
    private readonly gpu: GpuDevice,
    step: TrainingStepGraph,
    inst: Instantiation,
    private readonly optimizer: OptimizerSettings,
    tables: PlanTables,
  ) {
    this.executor = new GpuExecutor(gpu, step.graph, inst, { tables });
    const outputs = step.graph.outputs ?? new Map<string, ValueId>();
    const loss = outputs.get(STEP_LOSS);
    if (loss === undefined) throw new Error('internal: training-step graph without a loss output');
    this.loss = loss;
    for (const name of step.params) {
      const grad = outputs.get(`grad:${name}`);
      const param = step.graph.nodes.find((n) => n.op.op === 'param' && n.op.name === name);
      if (grad === undefined || param === undefined || param.op.op !== 'param') throw new Error(`internal: no gradient for ${name}`);
      const size = param.op.shape.reduce((a, b) => a * b, 1);
      const buffers = optimizer.kind === 'sgd' ? 1 : 2;
      this.state.push({ name, size, grad, state: Array.from({ length: buffers }, () => this.zeros(size)) });
    }
  }

  setParams(params: ReadonlyMap<string, HostTensor>): void {
    this.executor.setParams(params);
  }

  /** One optimizer step on a batch; returns the per-example losses (before the update). */
  async step(inputs: ReadonlyMap<string, HostTensor>, batch: number): Promise<Float32Array> {
    const withCotangent = new Map(inputs);
    withCotangent.set(STEP_COTANGENT, new Float32Array(batch).fill(1 / batch));
    const outputs = [this.loss, ...this.state.map((p) => p.grad)];
    const kernel = this.optimizer.kind === 'sgd' ? sgdKernel() : adamKernel();
    const pipeline = await pipelineOf(this.gpu, kernel);
    const t = ++this.steps;
    const o = this.optimizer;
    const { values } = await this.executor.run(withCotangent, batch, outputs, {
      readback: [this.loss],
      after: (step, bufferOf) => {
        for (const p of this.state) {
          const uniforms: Record<string, number> = o.kind === 'sgd'
            ? { count: p.size, lr: o.lr, momentum: o.momentum, wd: o.weightDecay }
            : { count: p.size, decoupled: o.kind === 'adamw' ? 1 : 0, lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, wd: o.weightDecay, bc1: 1 - o.beta1 ** t, bc2: 1 - o.beta2 ** t };
          const buffers = [bufferOf(p.grad), this.executor.paramBuffer(p.name), ...p.state];
          record(step, { kernel, pipeline, uniforms, buffers, workgroups: linearGrid(p.size) });
        }
      },
    });
    return values.get(this.loss)!;
  }

  /** Reads the current parameters back (for checkpoints and tests). */
  async params(): Promise<Map<string, Float32Array>> {
    const step = this.gpu.step();
    const { data } = await step.submit(this.state.map((p) => ({ buffer: this.executor.paramBuffer(p.name), bytes: p.size * 4 })));
    return new Map(this.state.map((p, i) => [p.name, new Float32Array(data[i]!)]));
  }

  release(): void {
    for (const p of this.state) for (const b of p.state) this.gpu.pool.release(b);
    this.executor.release();
  }

  private zeros(size: number): GPUBuffer {
    return this.gpu.upload(new Float32Array(size), 'optimizer state');
  }
}
