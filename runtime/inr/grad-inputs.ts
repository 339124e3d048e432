// The editor's gradient inputs (paper §6.3): 64 fixed coordinates, the same for every INR; at each,
// the gradient of the editing loss ½(f_θ(x_i) − I_target(x_i))² decomposed into its rank-1 factors,
// so each INR gets Γ_64[2] ([64, N, 2], the boundary convention of docs/grad-format.md). The ½ makes
// g^L = f − I (runtime/targets/mlp.ts's mse); the paper's (f − I)² doubles every g, a constant factor.
// The coordinates are grid pixels, so I_target(x_i) is a pixel of the edited image.
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { GpuDevice } from '../device/index.js';
import { gpuMlpGradients } from '../targets/gpu-mlp.js';
import { mlpGradients } from '../targets/mlp.js';
import type { Rng } from '../util/rng.js';

/** `count` distinct pixel indices of an image of `pixels` pixels, drawn once (seeded), ascending. */
export function probePixels(pixels: number, count: number, rng: Rng): Int32Array {
  return Int32Array.from(rng.permutation(pixels).slice(0, count).sort((a, b) => a - b));
}

/** The per-(INR, probe) MLP batch: inputs, repeated θ and the targets I_target(x_i). */
function probeBatch(layout: TargetLayout, theta: ArrayLike<number>, targets: ArrayLike<number>, count: number, grid: ArrayLike<number>, probes: Int32Array) {
  const P = layout.paramCount;
  const k = probes.length;
  const pixels = grid.length / 2;
  const inputs = new Float64Array(count * k * 2);
  const thetas = new Float64Array(count * k * P);
  const values = new Float64Array(count * k);
  for (let e = 0; e < count; e++) {
    for (let j = 0; j < k; j++) {
      const row = e * k + j;
      const p = probes[j]!;
      inputs[row * 2] = grid[p * 2]!;
      inputs[row * 2 + 1] = grid[p * 2 + 1]!;
      for (let q = 0; q < P; q++) thetas[row * P + q] = theta[e * P + q]!;
      values[row] = targets[e * pixels + p]!;
    }
  }
  return { batch: { count: count * k, inputs, theta: thetas }, loss: { kind: 'mse' as const, targets: values } };
}

/** Γ_k[2] of `count` INRs ([count, P]) against their target images ([count, pixels]): [count, k, N, 2], float32 on the device. */
export async function gradientInputs(gpu: GpuDevice, layout: TargetLayout, theta: Float32Array, targets: Float32Array, count: number, grid: Float32Array, probes: Int32Array, chunk = 64): Promise<Float32Array> {
  const per = probes.length * layout.neuronCount * 2;
  const out = new Float32Array(count * per);
  const P = layout.paramCount;
  const pixels = grid.length / 2;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const { batch, loss } = probeBatch(layout, theta.subarray(start * P, (start + n) * P), targets.subarray(start * pixels, (start + n) * pixels), n, grid, probes);
    out.set((await gpuMlpGradients(gpu, layout, batch, loss)).factors, start * per);
  }
  return out;
}

/** The same in float64 (the oracle). */
export function gradientInputsReference(layout: TargetLayout, theta: ArrayLike<number>, targets: ArrayLike<number>, count: number, grid: ArrayLike<number>, probes: Int32Array): Float64Array {
  const { batch, loss } = probeBatch(layout, theta, targets, count, grid, probes);
  return mlpGradients(layout, batch, loss).factors;
}
