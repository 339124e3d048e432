// A plan's buffers on the device: one scratch buffer per planned buffer, with the constant tables
// (incidence, positional encodings, masks) written in once. Every runner of a planned graph starts
// here; a runner whose params live elsewhere (the executor's trained weights) supplies them.
import type { Plan, PlanBuffer } from '../../compiler/wgsl/plan.js';
import type { GpuDevice } from '../device/gpu-device.js';

export function planBuffers(gpu: GpuDevice, plan: Plan, supplied?: (b: PlanBuffer) => GPUBuffer | undefined): GPUBuffer[] {
  return plan.buffers.map((b) => {
    const own = supplied?.(b);
    if (own !== undefined) return own;
    const buffer = gpu.scratch(b.bytes, b.name);
    const table = plan.tables.get(b.id);
    if (table !== undefined) gpu.device.queue.writeBuffer(buffer, 0, table.buffer, table.byteOffset, table.byteLength);
    return buffer;
  });
}
