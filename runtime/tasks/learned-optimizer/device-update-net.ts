// F_ϕ on the device for a batch of PES particles, each with its own ϕ: the update net's optimised
// graph with its params turned into batched inputs (compiler/ir/params-as-inputs.ts), planned for
// `particles` batch elements, the features' time embedding an input of its own (time-embedding-input.ts).
// Its feature and gradient-set inputs are buffers the inner step's kernels write in place
// (device-inner-step.ts); its output [particles, P, 1] is the direction the update kernel reads. Every particle's ϕ is written once per unroll (`setPhi`).
import type { Plan } from '../../../compiler/wgsl/plan.js';
import { paramInputName, paramsAsInputs } from '../../../compiler/ir/params-as-inputs.js';
import { optimizeNet } from '../../../compiler/optimize/passes.js';
import { planGraph } from '../../../compiler/wgsl/plan.js';
import { sizeClass, type GpuDevice, type Step } from '../../device/index.js';
import { layoutTables } from '../../gpu/index.js';
import { bindPlan, pipelineOf, type BoundLaunch } from '../../gpu/launch.js';
import { planBuffers } from '../../gpu/plan-buffers.js';
import { formatBytes } from '../../data/memory.js';
import { HintedError } from '../../util/hinted-error.js';
import { NORMALISED_FEATURES_INPUT, splitTimeEmbedding, TIME_EMBEDDING_INPUT } from './time-embedding-input.js';
import type { UpdateNet } from './update-net.js';

export class DeviceUpdateNet {
  /** The plan's dispatches, bound once: F_ϕ runs every inner step with the same buffers and uniforms. */
  private readonly bound: BoundLaunch[];

  private constructor(
    private readonly gpu: GpuDevice,
    readonly net: UpdateNet,
    readonly particles: number,
    private readonly plan: Plan,
    pipelines: GPUComputePipeline[],
    private readonly buffers: GPUBuffer[],
  ) {
    this.bound = bindPlan(gpu, plan, pipelines, buffers);
  }

  /** `plan`: the net's updateNetPlan for `particles`, when the caller has it already. */
  static async create(gpu: GpuDevice, net: UpdateNet, particles: number, plan = updateNetPlan(net, particles)): Promise<DeviceUpdateNet> {
    // F_ϕ is not micro-batched over particles: say so before binding, not as a failed launch. The
    // pool allocates each buffer rounded up to its size class, and that is what gets bound.
    const largest = Math.max(...plan.buffers.map((b) => b.bytes));
    if (sizeClass(largest) > gpu.bindingLimit) {
      // Its largest buffer holds one row per particle: the most particles whose rows fit.
      let fit = particles - 1;
      while (fit > 0 && sizeClass(Math.ceil((largest / particles) * fit)) > gpu.bindingLimit) fit--;
      throw new UpdateNetTooLargeError(net.net, particles, sizeClass(largest), gpu.bindingLimit, fit);
    }
    const pipelines = await Promise.all(plan.kernels.map((k) => pipelineOf(gpu, k)));
    const buffers = planBuffers(gpu, plan);
    return new DeviceUpdateNet(gpu, net, particles, plan, pipelines, buffers);
  }

  private input(name: string): GPUBuffer {
    const id = this.plan.inputs.get(name);
    if (id === undefined) throw new Error(`internal: the plan of ${this.net.net} has no input ${name}`);
    return this.buffers[id]!;
  }

  /** [particles, P, 8]: the standard features' normalised channels, written by the feature kernel. */
  get features(): GPUBuffer {
    return this.input(NORMALISED_FEATURES_INPUT);
  }

  /** [particles, 11]: each particle's time embedding, the features' last channels (time-embedding-input.ts). */
  get timeEmbedding(): GPUBuffer {
    return this.input(TIME_EMBEDDING_INPUT);
  }

  /** [particles, b, N, 14]: the gradient sets, for a net that reads them. */
  get gradSets(): GPUBuffer | undefined {
    return this.net.gradsInput === undefined ? undefined : this.input(this.net.gradsInput);
  }

  /** [particles, P]: F_ϕ's direction after `record`. */
  get direction(): GPUBuffer {
    return this.buffers[this.plan.values.get(this.plan.outputs[0]!)!]!;
  }

  /** Each particle's ϕ (rows of `phis`, [particles, paramCount], in `net.params` order) into the weight inputs. */
  setPhi(phis: Float32Array): void {
    const { paramCount, params } = this.net;
    if (phis.length !== this.particles * paramCount) throw new Error(`internal: ${phis.length} values for ${this.particles} × ${paramCount} update-net parameters`);
    let offset = 0;
    for (const p of params) {
      const rows = new Float32Array(this.particles * p.size);
      for (let k = 0; k < this.particles; k++) rows.set(phis.subarray(k * paramCount + offset, k * paramCount + offset + p.size), k * p.size);
      this.gpu.device.queue.writeBuffer(this.input(paramInputName(p.name)), 0, rows.buffer, rows.byteOffset, rows.byteLength);
      offset += p.size;
    }
  }

  /** Records F_ϕ's dispatches (its inputs must be written before them in the same step). */
  record(step: Step): void {
    for (const b of this.bound) step.dispatchBound(b.dispatch);
  }

  release(): void {
    for (const b of this.bound) b.release();
    for (const b of this.buffers) this.gpu.pool.release(b);
  }
}

/** F_ϕ's plan for `particles` particles, each with its own ϕ (what `DeviceUpdateNet.create` builds). */
export function updateNetPlan(net: UpdateNet, particles: number): Plan {
  const graph = splitTimeEmbedding(net.graph, net.featureInput);
  return planGraph(paramsAsInputs(optimizeNet(graph, net.inst)), net.inst, { batch: particles, tables: layoutTables(net.inst) });
}

/** F_ϕ for this many inner runs at once needs a buffer over what the adapter can bind. */
export class UpdateNetTooLargeError extends HintedError {
  constructor(net: string, runs: number, bytes: number, limit: number, fit: number) {
    super(`${net} for ${runs} inner runs at once needs a ${formatBytes(bytes)} buffer, over the ${formatBytes(limit)} this WebGPU adapter can bind`,
      `at most ${fit} runs fit: use fewer PES pairs (meta_training: pes(pairs: ${Math.max(1, Math.floor(fit / 2))})) or seeds, or an adapter with a larger maxStorageBufferBindingSize`);
  }
}
