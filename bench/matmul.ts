// Channel-matmul throughput on the current adapter: C = A·B at n³ with the fast register-blocked
// kernel, several dispatches per submit (as in a training step), after a warm-up that pays the
// pipeline's first-dispatch JIT.
import { LAVAPIPE_TILE, matmulFastKernel, type Tile } from '../compiler/wgsl/matmul.js';
import type { GpuDevice } from '../runtime/device/index.js';
import { pipelineOf, record } from '../runtime/gpu/launch.js';
import { Rng } from '../runtime/util/rng.js';

export interface MatmulBench {
  n: number;
  gflops: number;
  ms: number;
}

export async function benchMatmul(gpu: GpuDevice, n = 512, tile: Tile = LAVAPIPE_TILE, perSubmit = 8, submits = 4): Promise<MatmulBench> {
  const rng = new Rng(7);
  const a = gpu.upload(Float32Array.from({ length: n * n }, () => rng.normal()));
  const b = gpu.upload(Float32Array.from({ length: n * n }, () => rng.normal()));
  const c = gpu.scratch(n * n * 4);
  const kernel = matmulFastKernel(tile);
  const pipeline = await pipelineOf(gpu, kernel);
  const launch = {
    kernel,
    pipeline,
    uniforms: { M: n, N: n, K: n },
    buffers: [a, b, c],
    workgroups: [Math.ceil(n / tile.tn / tile.wx), Math.ceil(n / tile.tm / tile.wy), 1] as [number, number, number],
  };
  const runOnce = async (dispatches: number): Promise<void> => {
    const step = gpu.step();
    for (let i = 0; i < dispatches; i++) record(step, launch);
    await step.submit();
  };
  await runOnce(2);
  const t0 = performance.now();
  for (let s = 0; s < submits; s++) await runOnce(perSubmit);
  const ms = (performance.now() - t0) / (submits * perSubmit);
  for (const buffer of [a, b, c]) gpu.pool.release(buffer);
  return { n, ms, gflops: (2 * n * n * n) / (ms * 1e6) };
}
