// A WebGPU error during a step is a thrown GpuRuntimeError naming the kernel, the buffer and the
// limit, never a result computed from garbage; after it the device keeps working.
import { afterAll, describe, expect, it } from 'vitest';
import { kernelCatalog } from '../../compiler/wgsl/catalog.js';
import { mapKernel } from '../../compiler/wgsl/elementwise.js';
import { linearGrid } from '../../compiler/wgsl/kernel.js';
import { contiguous, dimValues, viewValues, type Dims4 } from '../../compiler/wgsl/view.js';
import { GpuDevice, GpuRuntimeError } from '../../runtime/device/index.js';
import { pipelineOf, record } from '../../runtime/gpu/launch.js';
import { expectClose, openTestGpu } from './gpu-fixture.js';
import { f32, runKernel } from '../wgsl/run-kernel.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const negate = mapKernel({ kind: 'unary', fn: 'neg', x: { kind: 'input', index: 0 } }, 'negate');
const uniformsFor = (n: number): Record<string, number> => {
  const dims: Dims4 = [1, 1, 1, n];
  return { ...dimValues(dims), ...viewValues('o', contiguous(dims)), ...viewValues('x0', contiguous(dims)) };
};

describe.skipIf(gpu === null)('runtime errors', () => {
  const g = gpu!;

  it('kernels built at once (as a plan prepares them) blame only the invalid one', async () => {
    const source = kernelCatalog()[0]!.source;
    const valid = Array.from({ length: 4 }, (_, i) => ({ ...kernelCatalog()[0]!, name: `valid_${i}`, source: `${source}// variant ${i}\n` }));
    const broken = { ...kernelCatalog()[0]!, name: 'broken', source: source.replace('let c = i % u.d3;', 'let c = i % u.d3; let z = c[0];') };
    const builds = [broken, ...valid].map((k) => pipelineOf(g, k));
    const results = await Promise.allSettled(builds);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/WGSL kernel broken is invalid/);
  });

  it('an invalid bind group (buffer without STORAGE usage) throws at submit, naming the kernel', async () => {
    const pipeline = await pipelineOf(g, negate);
    const input = g.upload(f32([1, 2, 3, 4]));
    const notStorage = g.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'not-storage' });
    const step = g.step();
    record(step, { kernel: negate, pipeline, uniforms: uniformsFor(4), buffers: [input, notStorage], workgroups: [1, 1, 1], label: '%7 out' });
    const failure = step.submit([{ buffer: input, bytes: 16 }]);
    await expect(failure).rejects.toThrow(GpuRuntimeError);
    await expect(failure).rejects.toThrow(/Buffer "not-storage"\] doesn.t match expected usage[\s\S]*BindGroupDescriptor ""negate %7 out""/);
    notStorage.destroy();
    g.pool.release(input);
  });

  it('a grid over maxComputeWorkgroupsPerDimension throws while recording, naming the kernel', async () => {
    const max = g.device.limits.maxComputeWorkgroupsPerDimension;
    await expect(runKernel(g, negate, uniformsFor(4), [f32([1, 2, 3, 4]), new Float32Array(4)], [max + 1, 1, 1])).rejects.toThrow(
      new RegExp(`kernel negate: dispatch of ${max + 1}×1×1 workgroups exceeds maxComputeWorkgroupsPerDimension`),
    );
  });

  it('the device still computes correctly after a failed step', async () => {
    const [out] = await runKernel(g, negate, uniformsFor(5), [f32([1, -2, 3, 0.5, 7]), new Float32Array(5)], linearGrid(5));
    expectClose(out!, [-1, 2, -3, -0.5, -7]);
  });

  it('a buffer over the binding limit throws with the kernel, the buffer and the limit', async () => {
    const small = await GpuDevice.open({ checked: true, maxBindingBytes: 1024 });
    try {
      const n = 1000; // 4000 bytes, a 4096-byte pooled buffer
      await expect(runKernel(small!, negate, uniformsFor(n), [new Float32Array(n), new Float32Array(n)], linearGrid(n))).rejects.toThrow(
        /kernel negate: binding 1 \(buffer "upload", 4096 bytes\) exceeds the device's maxStorageBufferBindingSize of 1024 bytes/,
      );
      const [out] = await runKernel(small!, negate, uniformsFor(3), [f32([1, 2, 3]), new Float32Array(3)], linearGrid(3));
      expectClose(out!, [-1, -2, -3]);
    } finally {
      small?.destroy();
    }
  });

  it('a step on a destroyed device throws instead of returning zeros', async () => {
    const other = await GpuDevice.open({ checked: true });
    const pipeline = await pipelineOf(other!, negate);
    const buffers = [other!.upload(f32([1, 2])), other!.scratch(8)];
    other!.destroy();
    const step = other!.step();
    record(step, { kernel: negate, pipeline, uniforms: uniformsFor(2), buffers, workgroups: [1, 1, 1] });
    await expect(step.submit([{ buffer: buffers[1]!, bytes: 8 }])).rejects.toThrow(GpuRuntimeError);
  });
});
