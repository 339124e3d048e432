// Layer normalisation over channels (no affine part) and its VJP.
import type { Value4 } from './tensor.js';

/** y = (x − mean) / sqrt(var + eps), mean and (biased) variance over the channels of each row. */
export function layernorm(x: Value4, eps: number): Value4 {
  const C = x.dims[3];
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / C; r++) {
    const { mean, rstd } = rowStats(x.data, r, C, eps);
    for (let c = 0; c < C; c++) out[r * C + c] = (x.data[r * C + c]! - mean) * rstd;
  }
  return { data: out, dims: x.dims };
}

/** dx = rstd · (dy − mean(dy) − x̂ · mean(dy · x̂)), per row. */
export function layernormVjp(x: Value4, dy: Value4, eps: number): Value4 {
  const C = x.dims[3];
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / C; r++) {
    const { mean, rstd } = rowStats(x.data, r, C, eps);
    let meanDy = 0;
    let meanDyXhat = 0;
    for (let c = 0; c < C; c++) {
      const xhat = (x.data[r * C + c]! - mean) * rstd;
      meanDy += dy.data[r * C + c]!;
      meanDyXhat += dy.data[r * C + c]! * xhat;
    }
    meanDy /= C;
    meanDyXhat /= C;
    for (let c = 0; c < C; c++) {
      const xhat = (x.data[r * C + c]! - mean) * rstd;
      out[r * C + c] = rstd * (dy.data[r * C + c]! - meanDy - xhat * meanDyXhat);
    }
  }
  return { data: out, dims: x.dims };
}

function rowStats(data: Float64Array, r: number, C: number, eps: number): { mean: number; rstd: number } {
  let mean = 0;
  for (let c = 0; c < C; c++) mean += data[r * C + c]!;
  mean /= C;
  let v = 0;
  for (let c = 0; c < C; c++) v += (data[r * C + c]! - mean) ** 2;
  return { mean, rstd: 1 / Math.sqrt(v / C + eps) };
}
