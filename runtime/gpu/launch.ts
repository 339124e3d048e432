// Binds a generated kernel to buffers and records its dispatch into a step.
import { packUniforms, type Kernel } from '../../compiler/wgsl/kernel.js';
import type { Plan } from '../../compiler/wgsl/plan.js';
import type { GpuDevice } from '../device/gpu-device.js';
import { GpuRuntimeError } from '../device/gpu-error.js';
import { bindGroupOf, type BoundDispatch, type Step } from '../device/step.js';

export interface Launch {
  kernel: Kernel;
  pipeline: GPUComputePipeline;
  uniforms: Readonly<Record<string, number>>;
  /** Storage buffers in the kernel's binding order. */
  buffers: GPUBuffer[];
  workgroups: [number, number, number];
  /** What the dispatch computes (e.g. `%12 set_layer.eqlinear1`), shown in profiles. */
  label?: string;
}

/** The compiled pipeline of a kernel (cached by source). */
export function pipelineOf(gpu: GpuDevice, kernel: Kernel): Promise<GPUComputePipeline> {
  return gpu.pipelines.get(kernel.name, kernel.source, ['uniform', ...kernel.bindings.map((b) => b.access)]);
}

export function record(step: Step, launch: Launch): void {
  if (launch.buffers.length !== launch.kernel.bindings.length) {
    throw new Error(`internal: kernel ${launch.kernel.name} takes ${launch.kernel.bindings.length} buffers, got ${launch.buffers.length}`);
  }
  const uniform = step.uniform(packUniforms(launch.kernel, launch.uniforms));
  const name = launch.label === undefined ? launch.kernel.name : `${launch.kernel.name} ${launch.label}`;
  step.dispatch({ name, pipeline: launch.pipeline, buffers: [uniform, ...launch.buffers], workgroups: launch.workgroups });
}

/**
 * A launch bound once, to be replayed by many steps (`Step.dispatchBound`): its uniforms live in
 * their own buffer until `release`. For dispatch series that repeat unchanged, step after step.
 */
export interface BoundLaunch {
  dispatch: BoundDispatch;
  /** The uniform buffer it binds: rewritten (queue.writeBuffer) by a launch whose uniforms change per step. */
  uniform: GPUBuffer;
  release(): void;
}

export function bindLaunch(gpu: GpuDevice, launch: Launch): BoundLaunch {
  if (launch.buffers.length !== launch.kernel.bindings.length) {
    throw new Error(`internal: kernel ${launch.kernel.name} takes ${launch.kernel.bindings.length} buffers, got ${launch.buffers.length}`);
  }
  const words = packUniforms(launch.kernel, launch.uniforms);
  const uniform = gpu.pool.acquire(Math.max(16, Math.ceil(words.byteLength / 16) * 16), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 'bound uniform');
  gpu.device.queue.writeBuffer(uniform, 0, words.buffer, words.byteOffset, words.byteLength);
  const name = launch.label === undefined ? launch.kernel.name : `${launch.kernel.name} ${launch.label}`;
  const buffers = [uniform, ...launch.buffers];
  for (const [binding, buffer] of buffers.entries()) {
    if (binding > 0 && buffer.size > gpu.bindingLimit) {
      gpu.pool.release(uniform);
      throw new GpuRuntimeError(`kernel ${name}: binding ${binding} (buffer "${buffer.label}", ${buffer.size} bytes) exceeds the device's maxStorageBufferBindingSize of ${gpu.bindingLimit} bytes`);
    }
  }
  // Step.dispatchBound trusts what was checked here, as Step.dispatch checks while recording.
  const maxGrid = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  if (launch.workgroups.some((n) => n > maxGrid)) {
    gpu.pool.release(uniform);
    throw new GpuRuntimeError(`kernel ${name}: dispatch of ${launch.workgroups.join('×')} workgroups exceeds maxComputeWorkgroupsPerDimension (${maxGrid})`);
  }
  const bindGroup = bindGroupOf(gpu, { name, pipeline: launch.pipeline, buffers, workgroups: launch.workgroups });
  return { dispatch: { name, pipeline: launch.pipeline, bindGroup, workgroups: launch.workgroups }, uniform, release: () => gpu.pool.release(uniform) };
}

/** Every dispatch of a plan bound once, over the plan's pipelines and device buffers (by index). */
export function bindPlan(gpu: GpuDevice, plan: Plan, pipelines: GPUComputePipeline[], buffers: GPUBuffer[]): BoundLaunch[] {
  return plan.dispatches.map((d) => bindLaunch(gpu, {
    kernel: plan.kernels[d.kernel]!, pipeline: pipelines[d.kernel]!, uniforms: d.uniforms, buffers: d.buffers.map((b) => buffers[b]!), workgroups: d.workgroups, label: d.label,
  }));
}
