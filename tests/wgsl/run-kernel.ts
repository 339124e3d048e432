// Runs one generated kernel on the test device: uploads its inputs, dispatches once, reads back
// the buffers it writes (read_write bindings), in binding order.
import type { Kernel } from '../../compiler/wgsl/kernel.js';
import type { GpuDevice } from '../../runtime/device/index.js';
import { pipelineOf, record } from '../../runtime/gpu/launch.js';

export type HostArray = Float32Array | Int32Array | Uint32Array;

export async function runKernel(
  gpu: GpuDevice,
  kernel: Kernel,
  uniforms: Record<string, number>,
  data: HostArray[],
  workgroups: [number, number, number],
): Promise<Float32Array[]> {
  const pipeline = await pipelineOf(gpu, kernel);
  const buffers = data.map((d) => gpu.upload(d));
  const step = gpu.step();
  record(step, { kernel, pipeline, uniforms, buffers, workgroups });
  const outputs = kernel.bindings.flatMap((b, i) => (b.access === 'read_write' ? [i] : []));
  // A step throws on any validation error (runtime/device/step.ts).
  const { data: read } = await step.submit(outputs.map((i) => ({ buffer: buffers[i]!, bytes: data[i]!.byteLength })));
  for (const b of buffers) gpu.pool.release(b);
  return read.map((r) => new Float32Array(r));
}

export const f32 = (a: ArrayLike<number>): Float32Array => Float32Array.from(a);
