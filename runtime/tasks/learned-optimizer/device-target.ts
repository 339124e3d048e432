// The base network's part of a learned-optimizer inner step on the device, for R runs at once (each
// with its own θ and batch): draw the batch, forward, loss, backward, the rank-1 factors Γ and the
// batch gradient. DeviceInnerRuns (device-inner-runs.ts) owns θ, ∇, Γ and the losses and applies
// the rule; a DeviceTarget fills them: device-mlp-target.ts (image MLPs), device-lm-target.ts (the
// transformer LM).
import type { GpuDevice, Step } from '../../device/index.js';
import type { DeviceTaskForm } from './inner-task.js';

/** The buffers a target's step reads and writes. */
export interface TargetBuffers {
  /** [R, P]. */
  theta: GPUBuffer;
  /** [R, P]: the gradient of each run's mean batch loss. */
  grad: GPUBuffer;
  /** [R]: each run's losses, added into. */
  losses: GPUBuffer;
  /** [R · items, N, 2]: Γ of every run's batch (GradMetaNet's set; an image MLP writes it only when asked to at creation). */
  factors: GPUBuffer;
  /** The batches' draws: [steps, R, batch] indices (examples, or window starts). */
  index: GPUBuffer;
}

/**
 * Adam's step applied where a target makes the gradient (image MLPs: in the gradient kernel), so
 * that ∇ is neither stored nor read again: the moments, each run's rate and the step's constants.
 */
export interface FusedAdam {
  m: GPUBuffer;
  v: GPUBuffer;
  lrs: GPUBuffer;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1 − β1ⁿ and 1 − β2ⁿ at the step's count n. */
  bc1: number;
  bc2: number;
}

export interface DeviceTarget {
  /** Γ items per run and step: an MLP's examples, an LM's tokens. */
  readonly items: number;
  /** True when `record` applies Adam itself given `adam` (then θ is updated and ∇ is not written). */
  readonly fusesAdam: boolean;
  /**
   * One inner step of every run: the batch drawn at index[indexOff …] ([R, batch]), Γ, ∇, and each
   * run's mean batch loss ÷ `steps` added into losses[run] (the mean over an unroll of `steps`).
   * With `adam` (only where `fusesAdam`), θ takes Adam's step instead of ∇ being written.
   */
  record(step: Step, buffers: TargetBuffers, indexOff: number, steps: number, adam?: FusedAdam): void;
  /** Each run's mean test loss at θ [R, P]. */
  testLosses(theta: GPUBuffer): Promise<Float64Array>;
  release(): void;
}

/** A task's data on the device, uploaded once per device (`of`) and shared by every set of runs. */
export class DeviceTaskData {
  private static readonly uploaded = new WeakMap<GpuDevice, Map<DeviceTaskForm, DeviceTaskData>>();
  /** By name: images, labels, testImages, testLabels (image tasks); text, the training bytes as u32 (text tasks). */
  readonly buffers: Record<string, GPUBuffer>;

  private constructor(readonly gpu: GpuDevice, readonly data: DeviceTaskForm) {
    if (data.kind === 'image') {
      this.buffers = {
        images: gpu.upload(data.train.images, 'train images'),
        labels: gpu.upload(Uint32Array.from(data.train.labels), 'train labels'),
        testImages: gpu.upload(data.test.images, 'test images'),
        testLabels: gpu.upload(Uint32Array.from(data.test.labels), 'test labels'),
      };
      return;
    }
    this.buffers = { text: gpu.upload(Uint32Array.from(data.train.bytes), 'train text') };
  }

  static of(gpu: GpuDevice, data: DeviceTaskForm): DeviceTaskData {
    let byData = DeviceTaskData.uploaded.get(gpu);
    if (byData === undefined) DeviceTaskData.uploaded.set(gpu, byData = new Map());
    let uploaded = byData.get(data);
    if (uploaded === undefined) byData.set(data, uploaded = new DeviceTaskData(gpu, data));
    return uploaded;
  }

  buffer(name: string): GPUBuffer {
    const b = this.buffers[name];
    if (b === undefined) throw new Error(`internal: no ${name} in a ${this.data.kind} task's device data`);
    return b;
  }
}
