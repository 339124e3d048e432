// A training step on the GPU: the step graph (forward → loss → backward, from compiler/autodiff)
// and the optimizer's updates are recorded into one command encoder and submitted once; parameters,
// their gradients and the optimizer state never leave the device, and only the per-example losses
// are read back. The update formulas are those of runtime/train/optimizers.ts.
// A batch whose buffers would exceed the device's storage-binding limit runs as micro-batches (one
// submit each): every chunk's loss cotangent is 1/B of the *whole* batch, chunk gradients are summed
// on the device, and one optimizer update follows the last chunk — the full batch's step up to
// float32 rounding. With gradient-norm clipping, two passes over the (summed) gradients precede the
// updates: each parameter's squared norm into a small buffer, then every gradient scaled by the
// factor all of them give (compiler/wgsl/optimizers.ts).
import type { TrainingStepGraph } from '../../compiler/autodiff/index.js';
import { STEP_COTANGENT } from '../../compiler/autodiff/index.js';
import type { ValueId } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { linearGrid, packUniforms } from '../../compiler/wgsl/kernel.js';
import { accumulateKernel, adamKernel, clipKernel, sgdKernel, sumSquaresKernel } from '../../compiler/wgsl/optimizers.js';
import type { PlanTables } from '../../compiler/wgsl/plan.js';
import { learningRate, type OptimizerConfig } from '../train/optimizers.js';
import type { GpuDevice } from '../device/gpu-device.js';
import { stepOutputs } from './device-graphs.js';
import { GpuExecutor, type HostTensor } from './executor.js';
import { bindLaunch, pipelineOf, record, type BoundLaunch } from './launch.js';
import { microBatches, sliceRows } from './micro-batch.js';

interface ParamState {
  name: string;
  size: number;
  grad: ValueId;
  /** Adam: first and second moments; SGD: the momentum buffer. */
  slots: GPUBuffer[];
  /** The summed gradient over micro-batches (allocated when a batch is first split). */
  accumulator?: GPUBuffer;
  /**
   * The update's dispatch, bound once per gradient buffer it reads (one per planned batch size):
   * only its uniforms (learning rate, bias corrections) change from step to step, and are rewritten.
   */
  updates: Map<GPUBuffer, BoundLaunch>;
}

export class GpuTrainer {
  readonly executor: GpuExecutor;
  private readonly loss: ValueId;
  private readonly state: ParamState[] = [];
  /** Number of updates applied or queued so far (drives Adam's bias corrections). */
  step = 0;
  /** Settles once the latest step is on the device's queue: the next step records after it. */
  private queued: Promise<unknown> = Promise.resolve();
  /** With clipping: each parameter's squared gradient norm, [parameters]. */
  private norms: GPUBuffer | null = null;

  constructor(
    private readonly gpu: GpuDevice,
    stepGraph: TrainingStepGraph,
    inst: Instantiation,
    private readonly optimizer: OptimizerConfig,
    tables: PlanTables,
    planning: { epilogues?: boolean; maxEpilogueInputs?: number } = {},
  ) {
    this.executor = new GpuExecutor(gpu, stepGraph.graph, inst, { tables, ...planning });
    const [loss, ...grads] = stepOutputs(stepGraph);
    this.loss = loss!;
    for (const [i, name] of stepGraph.params.entries()) {
      const grad = grads[i]!;
      const param = stepGraph.graph.nodes.find((n) => n.op.op === 'param' && n.op.name === name);
      if (param === undefined || param.op.op !== 'param') throw new Error(`internal: no parameter ${name}`);
      const size = param.op.shape.reduce((a, b) => a * b, 1);
      const count = optimizer.kind === 'sgd' ? 1 : 2;
      this.state.push({ name, size, grad, slots: Array.from({ length: count }, () => gpu.upload(new Float32Array(size), 'optimizer slot')), updates: new Map() });
    }
  }

  setParams(params: ReadonlyMap<string, HostTensor>): void {
    this.executor.setParams(params);
  }

  /**
   * One optimizer step on a batch; resolves to the per-example losses (before the update). It may
   * be called again before that: the next step is recorded and submitted right behind this one
   * (the queue keeps their order), so the host prepares it while the device computes this one.
   */
  trainStep(inputs: ReadonlyMap<string, HostTensor>, batch: number): Promise<Float32Array> {
    const t = this.step++;
    const submitted = this.queued.then(() => this.submitStep(inputs, batch, t));
    this.queued = submitted.catch(() => undefined);
    return submitted.then((s) => s.losses);
  }

  /** Records and submits update `t` (0-based) on a batch; resolves once submitted, with the losses to come. */
  private async submitStep(inputs: ReadonlyMap<string, HostTensor>, batch: number, t: number): Promise<{ losses: Promise<Float32Array> }> {
    const outputs = [this.loss, ...this.state.map((p) => p.grad)];
    const chunks = microBatches(batch, this.executor.microBatch(batch, outputs));
    const kernel = this.optimizer.kind === 'sgd' ? sgdKernel() : adamKernel();
    const pipeline = await pipelineOf(this.gpu, kernel);
    const accumulate = accumulateKernel();
    const accumulatePipeline = chunks.length > 1 ? await pipelineOf(this.gpu, accumulate) : null;
    const clipping = await this.clipping();
    const uniforms = this.updateUniforms(t);
    const losses = new Float32Array(batch);
    const reads: Promise<void>[] = [];
    for (const [k, range] of chunks.entries()) {
      const size = range[1] - range[0];
      const chunkInputs = chunks.length === 1 ? new Map(inputs) : sliceRows(inputs, batch, range);
      // The cotangent of each example's loss is 1/B of the whole batch, whichever chunk it is in.
      chunkInputs.set(STEP_COTANGENT, new Float32Array(size).fill(1 / batch));
      const last = k === chunks.length - 1;
      // Chunks need not wait for each other either: their gradient sums are queue-ordered.
      const { result } = await this.executor.submit(chunkInputs, size, outputs, {
        readback: [this.loss],
        after: (step, bufferOf) => {
          const grads = this.state.map((p) => {
            const grad = bufferOf(p.grad);
            if (accumulatePipeline === null) return grad;
            p.accumulator ??= this.gpu.scratch(p.size * 4, `gradient sum ${p.name}`);
            if (k === 0) step.copy(grad, p.accumulator, p.size * 4);
            else record(step, { kernel: accumulate, pipeline: accumulatePipeline, uniforms: { count: p.size }, buffers: [grad, p.accumulator], workgroups: linearGrid(p.size), label: `accumulate ${p.name}` });
            return p.accumulator;
          });
          if (!last) return;
          if (clipping !== null) {
            const { sumSquares, clip, norms, clipNorm } = clipping;
            this.state.forEach((p, part) => record(step, { ...sumSquares, uniforms: { count: p.size, part }, buffers: [grads[part]!, norms], workgroups: [1, 1, 1], label: `gradient norm ${p.name}` }));
            this.state.forEach((p, part) => record(step, {
              ...clip, uniforms: { count: p.size, parts: this.state.length, clip: clipNorm }, buffers: [norms, grads[part]!], workgroups: linearGrid(p.size), label: `clip ${p.name}`,
            }));
          }
          for (const [part, p] of this.state.entries()) {
            const grad = grads[part]!;
            const values = { ...uniforms, count: p.size };
            let update = p.updates.get(grad);
            if (update === undefined) {
              const buffers = [grad, this.executor.paramBuffer(p.name), ...p.slots];
              update = bindLaunch(this.gpu, { kernel, pipeline, uniforms: values, buffers, workgroups: linearGrid(p.size), label: `update ${p.name}` });
              p.updates.set(grad, update);
            } else {
              const words = packUniforms(kernel, values);
              this.gpu.device.queue.writeBuffer(update.uniform, 0, words.buffer, words.byteOffset, words.byteLength);
            }
            step.dispatchBound(update.dispatch);
          }
        },
      });
      const read = result.then(({ values }) => losses.set(values.get(this.loss)!, range[0]));
      read.catch(() => undefined);
      reads.push(read);
    }
    const all = Promise.all(reads).then(() => losses);
    all.catch(() => undefined);
    return { losses: all };
  }

  /** Reads parameters and optimizer slots back (for checkpoints and tests), in one mapping. */
  async readState(): Promise<{ params: Map<string, Float32Array>; slots: Map<string, Float32Array[]> }> {
    await this.queued;
    const reads = this.state.flatMap((p) => [this.executor.paramBuffer(p.name), ...p.slots].map((buffer) => ({ buffer, bytes: p.size * 4 })));
    const { data } = await this.gpu.step().submit(reads);
    const params = new Map<string, Float32Array>();
    const slots = new Map<string, Float32Array[]>();
    let k = 0;
    for (const p of this.state) {
      params.set(p.name, new Float32Array(data[k++]!));
      slots.set(p.name, p.slots.map(() => new Float32Array(data[k++]!)));
    }
    return { params, slots };
  }

  /** Replaces the optimizer slots (e.g. from a checkpoint). */
  writeSlots(slots: ReadonlyMap<string, readonly HostTensor[]>): void {
    for (const p of this.state) {
      const values = slots.get(p.name);
      if (values === undefined || values.length !== p.slots.length) throw new Error(`optimizer state for ${p.name} needs ${p.slots.length} slots`);
      values.forEach((v, i) => {
        const f32 = v instanceof Float32Array ? v : Float32Array.from(v);
        this.gpu.device.queue.writeBuffer(p.slots[i]!, 0, f32.buffer, f32.byteOffset, f32.byteLength);
      });
    }
  }

  release(): void {
    if (this.norms !== null) this.gpu.pool.release(this.norms);
    for (const p of this.state) {
      for (const b of p.slots) this.gpu.pool.release(b);
      if (p.accumulator !== undefined) this.gpu.pool.release(p.accumulator);
      for (const u of p.updates.values()) u.release();
    }
    this.executor.release();
  }

  /** The clipping passes' kernels and their norms buffer, or null without `clipNorm`. */
  private async clipping() {
    const { clipNorm } = this.optimizer;
    if (clipNorm === undefined) return null;
    const [sumSquares, clip] = [sumSquaresKernel(), clipKernel()];
    this.norms ??= this.gpu.scratch(this.state.length * 4, 'gradient norms');
    return {
      clipNorm, norms: this.norms,
      sumSquares: { kernel: sumSquares, pipeline: await pipelineOf(this.gpu, sumSquares) },
      clip: { kernel: clip, pipeline: await pipelineOf(this.gpu, clip) },
    };
  }

  /** The update's uniforms after `step` earlier updates (Adam's bias corrections use t = step + 1). */
  private updateUniforms(step: number): Record<string, number> {
    const o = this.optimizer;
    const lr = learningRate(o, step);
    if (o.kind === 'sgd') return { lr, momentum: o.momentum, wd: o.weightDecay };
    const t = step + 1;
    return { decoupled: o.kind === 'adamw' ? 1 : 0, lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, wd: o.weightDecay, bc1: 1 - o.beta1 ** t, bc2: 1 - o.beta2 ** t };
  }
}
