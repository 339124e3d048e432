// The per-model input distributions of the curvature task (paper §6.1). The paper lost the formula
// of its family X_p (spec §6.1, "[P-garbled]"); gmn uses the mixture the spec suggests:
//   mixture   p ~ U[0, 1] per model; each coordinate of x is, with probability p, uniform on
//             [-1, 0], otherwise uniform on [0, 1] (coordinates independent, same p)
//   uniform   x ~ U[-1, 1]^{d_0} for every model (no per-model distribution)
import type { DataConfig } from '../tasks/task-config.js';
import type { Rng } from '../util/rng.js';

export type InputFamily = DataConfig['inputs'];

/** The model's distribution parameter: p ~ U[0, 1] for `mixture`; NaN for `uniform`, which has none. */
export function drawMixtureWeight(family: InputFamily, rng: Rng): number {
  return family === 'mixture' ? rng.uniform() : Number.NaN;
}

/** `count` points of dimension `dim` from X_p (`uniform`: U[-1, 1]^dim), [count, dim] row-major. */
export function sampleInputs(family: InputFamily, p: number, count: number, dim: number, rng: Rng): Float64Array {
  const out = new Float64Array(count * dim);
  for (let i = 0; i < out.length; i++) {
    if (family === 'uniform') {
      out[i] = rng.range(-1, 1);
      continue;
    }
    const left = rng.uniform() < p;
    const u = rng.uniform();
    out[i] = left ? u - 1 : u;
  }
  return out;
}
