// Binds a generated kernel to buffers and records its dispatch into a step.
import { packUniforms, type Kernel } from '../../compiler/wgsl/kernel.js';
import type { GpuDevice, Step } from '../device/index.js';

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
