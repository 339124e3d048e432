// Runs IR graphs on a WebGPU device with the reference executor's semantics (float32 instead of
// float64): a plan per batch size (compiler/wgsl/plan.ts), its buffers allocated and its dispatches
// bound (uniforms and bind groups made) once and kept, parameters resident across steps, every
// dispatch of a run in one command encoder and one submit, and only the requested values read
// back, in one mapping.
import type { Graph, ValueId } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { planGraph, type Plan, type PlanTables } from '../../compiler/wgsl/plan.js';
import type { Tile } from '../../compiler/wgsl/matmul.js';
import { sizeClass } from '../device/buffer-pool.js';
import { ExampleTooLargeError } from '../device/gpu-error.js';
import type { GpuDevice } from '../device/gpu-device.js';
import type { KernelTimes, Step } from '../device/step.js';
import { bindPlan, pipelineOf, type BoundLaunch } from './launch.js';
import { planBuffers } from './plan-buffers.js';

export type HostTensor = Float32Array | Float64Array;

export interface GpuExecutorOptions {
  tables: PlanTables;
  /** Parameter buffers shared with another executor of the same net (forward and training step). */
  paramStore?: Map<string, GPUBuffer>;
  tile?: Tile;
  fuse?: boolean;
  epilogues?: boolean;
  maxEpilogueInputs?: number;
}

interface Prepared {
  plan: Plan;
  pipelines: GPUComputePipeline[];
  /** One GPU buffer per plan buffer (params point at the executor's resident parameter buffers). */
  buffers: GPUBuffer[];
  /**
   * The plan's dispatches, bound once: a plan's uniforms and buffers never change between runs,
   * and making a uniform buffer and a bind group per dispatch per run cost lavapipe runs about
   * as much host time as a small kernel's work.
   */
  bound: BoundLaunch[];
}

export interface RunOptions {
  /** Values to read back (default: all of `outputs`); the others stay on the device. */
  readback?: ValueId[];
  /** Records more work into the same step after the graph (e.g. optimizer updates). */
  after?: (step: Step, bufferOf: (value: ValueId) => GPUBuffer) => void;
}

export interface RunResult {
  values: Map<ValueId, Float32Array>;
  /** Per-kernel times when the device profiles (timestamp queries), else null. */
  times: KernelTimes | null;
}

export class GpuExecutor {
  private readonly prepared = new Map<string, Prepared>();
  private readonly plans = new Map<string, Plan>();
  /** Resident parameter buffers by name (possibly shared, see `paramStore`). */
  readonly params: Map<string, GPUBuffer>;
  private readonly ownsParams: boolean;

  constructor(
    readonly gpu: GpuDevice,
    readonly graph: Graph,
    readonly inst: Instantiation,
    private readonly options: GpuExecutorOptions,
  ) {
    this.ownsParams = options.paramStore === undefined;
    this.params = options.paramStore ?? new Map();
  }

  /** Uploads (or replaces) parameter values; they stay on the device across runs. */
  setParams(params: ReadonlyMap<string, HostTensor>): void {
    for (const [name, data] of params) {
      const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
      let buffer = this.params.get(name);
      if (buffer === undefined) {
        buffer = this.gpu.scratch(f32.byteLength, `param ${name}`);
        this.params.set(name, buffer);
      } else if (buffer.size < f32.byteLength) {
        throw new Error(`parameter ${name} grew to ${f32.length} values`);
      }
      this.gpu.device.queue.writeBuffer(buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
    }
  }

  /** The device buffer of a parameter (for optimizers that update it in place). */
  paramBuffer(name: string): GPUBuffer {
    const b = this.params.get(name);
    if (b === undefined) throw new Error(`parameter ${name} has not been set`);
    return b;
  }

  /** The plan for a batch size and set of outputs (planned on first use; allocates nothing). */
  plan(batch: number, outputs: ValueId[] = [this.graph.output]): Plan {
    const key = `${batch}:${outputs.join(',')}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = planGraph(this.graph, this.inst, { batch, outputs, tables: this.options.tables, ...(this.options.tile ? { tile: this.options.tile } : {}), fuse: this.options.fuse ?? true, epilogues: this.options.epilogues ?? true, ...(this.options.maxEpilogueInputs === undefined ? {} : { maxEpilogueInputs: this.options.maxEpilogueInputs }) });
      this.plans.set(key, plan);
    }
    return plan;
  }

  /**
   * The largest micro-batch (≤ batch) whose every buffer, as the pool allocates it, fits one
   * storage binding of the device. Decided from the plans' buffer sizes, so nothing over the
   * limit is ever allocated; throws when even one example does not fit.
   */
  microBatch(batch: number, outputs: ValueId[] = [this.graph.output]): number {
    const limit = this.gpu.bindingLimit;
    const largest = (c: number): { bytes: number; name: string } => {
      let worst = { bytes: 0, name: '' };
      for (const b of this.plan(c, outputs).buffers) if (sizeClass(b.bytes) > worst.bytes) worst = { bytes: sizeClass(b.bytes), name: b.name };
      return worst;
    };
    let c = batch;
    for (let worst = largest(c); worst.bytes > limit; worst = largest(c)) {
      if (c === 1) {
        throw new ExampleTooLargeError(this.graph.name, worst.name, worst.bytes, limit);
      }
      // Batched buffers grow linearly with the batch: jump close to the fitting size, then step down.
      c = Math.max(1, Math.min(c - 1, Math.floor((c * limit) / worst.bytes)));
    }
    return c;
  }

  /** The plan for a batch size and set of outputs, with its pipelines and buffers (on first use). */
  async prepare(batch: number, outputs: ValueId[] = [this.graph.output]): Promise<Prepared> {
    const key = `${batch}:${outputs.join(',')}`;
    const cached = this.prepared.get(key);
    if (cached !== undefined) return cached;
    const plan = this.plan(batch, outputs);
    const pipelines = await Promise.all(plan.kernels.map((k) => pipelineOf(this.gpu, k)));
    const buffers = planBuffers(this.gpu, plan, (b) => (b.role === 'param' ? this.paramBuffer(b.name) : undefined));
    const bound = bindPlan(this.gpu, plan, pipelines, buffers);
    const prepared = { plan, pipelines, buffers, bound };
    this.prepared.set(key, prepared);
    return prepared;
  }

  /**
   * Runs the graph on a batch: `inputs` holds each net input as [batch, ...its type's shape]
   * row-major. Returns the requested values (default: the output), float32, batched values as
   * [batch, ...shape] and unbatched ones as their shape.
   */
  async run(inputs: ReadonlyMap<string, HostTensor>, batch: number, outputs: ValueId[] = [this.graph.output], options: RunOptions = {}): Promise<RunResult> {
    return (await this.submit(inputs, batch, outputs, options)).result;
  }

  /**
   * `run` up to its submit: resolves once the work is on the queue, with its readback still to
   * come, so that the host can prepare the next run while the device computes this one.
   */
  async submit(inputs: ReadonlyMap<string, HostTensor>, batch: number, outputs: ValueId[] = [this.graph.output], options: RunOptions = {}): Promise<{ result: Promise<RunResult> }> {
    const { plan, buffers, bound } = await this.prepare(batch, outputs);
    for (const [name, id] of plan.inputs) {
      const data = inputs.get(name);
      if (data === undefined) throw new Error(`missing input ${name}`);
      const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
      if (f32.byteLength !== plan.buffers[id]!.bytes) throw new Error(`input ${name} has ${f32.length} values, expected ${plan.buffers[id]!.bytes / 4}`);
      this.gpu.device.queue.writeBuffer(buffers[id]!, 0, f32.buffer, f32.byteOffset, f32.byteLength);
    }
    const step = this.gpu.step();
    for (const b of bound) step.dispatchBound(b.dispatch);
    options.after?.(step, (v) => {
      const b = plan.values.get(v);
      if (b === undefined || !outputs.includes(v)) throw new Error(`internal: value %${v} is not an output of this run`);
      return buffers[b]!;
    });
    const wanted = options.readback ?? outputs;
    const readbacks = wanted.map((v) => {
      const [a, b, c, e] = plan.dims.get(v)!;
      return { buffer: buffers[plan.values.get(v)!]!, bytes: a * b * c * e * 4 };
    });
    // Step.submit queues the work before its first await; only the readback is awaited here.
    const result = step.submit(readbacks).then(({ data, times }) => ({ values: new Map(wanted.map((v, i) => [v, new Float32Array(data[i]!)])), times }));
    // Its failure reaches whoever awaits it, which may be after later runs were submitted.
    result.catch(() => undefined);
    return { result };
  }

  /** Returns every buffer to the device's pool. */
  release(): void {
    for (const p of this.prepared.values()) {
      p.plan.buffers.forEach((b, i) => {
        if (b.role !== 'param') this.gpu.pool.release(p.buffers[i]!);
      });
      for (const b of p.bound) b.release();
    }
    if (this.ownsParams) {
      for (const b of this.params.values()) this.gpu.pool.release(b);
      this.params.clear();
    }
    this.prepared.clear();
  }
}
