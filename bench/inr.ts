// INR fitting throughput: SIRENs 2→32→32→1 (ω0 = 30) fitted to MNIST digits on the 28×28 grid,
// `count` per dispatch, Adam; one step = rendering, MSE, θ-gradient and update of every INR (the
// fit records many steps per submit). Timed as the difference between a fit of `steps` steps and
// one of 0 (which pays the planning, compilation and uploads alone).
import { mlpLayout } from '../compiler/spaces/target.js';
import type { GpuDevice } from '../runtime/device/index.js';
import { inrProblem, pixelGrid } from '../runtime/inr/fit.js';
import { IMAGE_PIXELS, loadImages } from '../runtime/inr/images.js';
import { fitParamSets } from '../runtime/param-sets/fit.js';
import { initMlpBatch } from '../runtime/targets/mlp-init.js';
import { Rng } from '../runtime/util/rng.js';

export interface InrFitBench {
  /** INR-steps per second (INRs × steps / time). */
  inrStepsPerS: number;
  stepMs: number;
  /** CPU time of the process (lavapipe's threads included) per step: less sensitive to other load than stepMs. */
  cpuMs: number;
  count: number;
}

export async function benchInrFit(gpu: GpuDevice, count = 64, steps = 8): Promise<InrFitBench> {
  const layout = mlpLayout('Inr', { kind: 'mlp', widths: [2, 32, 32, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
  const problem = inrProblem(layout, loadImages('mnist', count).pixels.subarray(0, count * IMAGE_PIXELS), count, pixelGrid(28));
  const theta0 = Float32Array.from(initMlpBatch(layout, count, new Rng(0)));
  const optimizer = { kind: 'adam' as const, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  const time = async (n: number): Promise<{ wall: number; cpu: number }> => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    await fitParamSets(gpu, problem, theta0, { steps: n, optimizer });
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
  };
  await time(0); // compiles the pipelines
  const fixed = await time(0);
  const timed = await time(steps);
  const stepMs = Math.max(1e-3, (timed.wall - fixed.wall) / steps);
  return { inrStepsPerS: (count * 1000) / stepMs, stepMs, cpuMs: (timed.cpu - fixed.cpu) / steps, count };
}
