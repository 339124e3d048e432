// The device layer on the test adapter: pooled buffers are reused, one step reads several buffers
// back in one mapping, the polling throttle keeps results intact and can be removed, and profiling
// reports a time for every dispatch.
import { afterAll, describe, expect, it } from 'vitest';
import { mapKernel } from '../../compiler/wgsl/elementwise.js';
import { linearGrid } from '../../compiler/wgsl/kernel.js';
import { contiguous, dimValues, viewValues } from '../../compiler/wgsl/view.js';
import { GpuDevice, installPollingThrottle, pollingThrottleInstalled, removePollingThrottle, storageUsage } from '../../runtime/device/index.js';
import { pipelineOf, record } from '../../runtime/gpu/launch.js';
import { openTestGpu } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('device layer', () => {
  it('reports which adapter path the tests run on', () => {
    expect(['gpu', 'lavapipe', 'gles-compat']).toContain(gpu!.description.path);
    console.info(`tests run on: ${gpu!.description.path} (${gpu!.description.description})`);
  });

  it('the pool hands a released buffer back for a request of the same size class', () => {
    const pool = gpu!.pool;
    const a = pool.acquire(1000, storageUsage());
    expect(a.size).toBe(1024);
    pool.release(a);
    const before = pool.reused;
    expect(pool.acquire(900, storageUsage())).toBe(a);
    expect(pool.reused).toBe(before + 1);
    expect(pool.acquire(900, storageUsage())).not.toBe(a);
  });

  it('one step reads several buffers back in one submit, with the polling throttle on and off', async () => {
    for (const throttle of [true, false]) {
      if (throttle) installPollingThrottle();
      expect(pollingThrottleInstalled()).toBe(throttle);
      const data = [Float32Array.from([1, 2, 3]), Float32Array.from({ length: 1001 }, (_, i) => i), Float32Array.from([7])];
      const buffers = data.map((d) => gpu!.upload(d));
      const { data: read } = await gpu!.step().submit(buffers.map((buffer, i) => ({ buffer, bytes: data[i]!.byteLength })));
      read.forEach((r, i) => expect(new Float32Array(r)).toEqual(data[i]));
      for (const b of buffers) gpu!.pool.release(b);
      removePollingThrottle();
    }
    expect(pollingThrottleInstalled()).toBe(false);
  });

  it.skipIf(gpu?.description.features.includes('timestamp-query') !== true)('profiling gives every dispatch of a step its own time', async () => {
    const profiled = (await GpuDevice.open({ checked: true, profile: true }))!;
    expect(profiled.profiling).toBe(true);
    const kernel = mapKernel({ kind: 'unary', fn: 'exp', x: { kind: 'input', index: 0 } }, 'exp');
    const pipeline = await pipelineOf(profiled, kernel);
    const n = 4096;
    const [x, y] = [profiled.upload(new Float32Array(n)), profiled.scratch(n * 4)];
    const dims = [1, 1, 1, n] as [number, number, number, number];
    const uniforms = { ...dimValues(dims), ...viewValues('o', contiguous(dims)), ...viewValues('x0', contiguous(dims)) };
    const step = profiled.step();
    for (const label of ['first', 'second']) record(step, { kernel, pipeline, uniforms, buffers: [x, y], workgroups: linearGrid(n), label });
    const { times } = await step.submit([{ buffer: y, bytes: 16 }]);
    expect([...times!.keys()].sort()).toEqual(['exp first', 'exp second']);
    for (const t of times!.values()) expect(t.ms).toBeGreaterThanOrEqual(0);
    profiled.destroy();
  });
});
