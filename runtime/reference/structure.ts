// Data movement and reductions over the value's axes: reduce, broadcast, concat, slice, pad, fold,
// unfold, and the sums over the batch and channel axes that autodiff uses.
import type { AxisName, ReduceFn } from '../../compiler/ir/ops.js';
import { expand, sizeOf, type Dims4, type Value4 } from './tensor.js';

/** Sum or mean over the set and/or site axes (kept with size 1). */
export function reduce(fn: ReduceFn, x: Value4, axes: AxisName[]): Value4 {
  const [B, S, T, C] = x.dims;
  const overSet = axes.includes('set');
  const overSite = axes.includes('site');
  const dims: Dims4 = [B, overSet ? 1 : S, overSite ? 1 : T, C];
  const out = new Float64Array(sizeOf(dims));
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        const o = ((b * dims[1] + (overSet ? 0 : s)) * dims[2] + (overSite ? 0 : t)) * C;
        const i = ((b * S + s) * T + t) * C;
        for (let c = 0; c < C; c++) out[o + c] += x.data[i + c]!;
      }
    }
  }
  if (fn === 'mean') {
    const count = (overSet ? S : 1) * (overSite ? T : 1);
    for (let k = 0; k < out.length; k++) out[k]! /= count;
  }
  return { data: out, dims };
}

export function broadcast(x: Value4, dims: Dims4): Value4 {
  return { data: expand(x, dims), dims };
}

/** Along channels; every operand is first broadcast to the result's batch, set and site. */
export function concat(xs: Value4[], dims: Dims4): Value4 {
  const [B, S, T, C] = dims;
  const rows = B * S * T;
  const out = new Float64Array(sizeOf(dims));
  let offset = 0;
  for (const x of xs) {
    const c = x.dims[3];
    const data = expand(x, [B, S, T, c]);
    for (let r = 0; r < rows; r++) out.set(data.subarray(r * c, (r + 1) * c), r * C + offset);
    offset += c;
  }
  return { data: out, dims };
}

/** Channels [start, start + size). */
export function slice(x: Value4, start: number, size: number): Value4 {
  const [B, S, T, C] = x.dims;
  const rows = B * S * T;
  const out = new Float64Array(rows * size);
  for (let r = 0; r < rows; r++) out.set(x.data.subarray(r * C + start, r * C + start + size), r * size);
  return { data: out, dims: [B, S, T, size] };
}

/** x placed at channels [start, start + c) of zeros with `size` channels. */
export function pad(x: Value4, start: number, size: number): Value4 {
  const [B, S, T, C] = x.dims;
  const rows = B * S * T;
  const out = new Float64Array(rows * size);
  for (let r = 0; r < rows; r++) out.set(x.data.subarray(r * C, (r + 1) * C), r * size + start);
  return { data: out, dims: [B, S, T, size] };
}

/**
 * Moves an axis into the channels, as their major part: fold(set) y[b, ·, t, s·C + c] = x[b, s, t, c];
 * fold(site) y[b, s, ·, t·C + c] = x[b, s, t, c].
 */
export function fold(x: Value4, axis: AxisName): Value4 {
  const [B, S, T, C] = x.dims;
  const dims: Dims4 = axis === 'set' ? [B, 1, T, S * C] : [B, S, 1, T * C];
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        const o = axis === 'set' ? (b * T + t) * S * C + s * C : (b * S + s) * T * C + t * C;
        out.set(x.data.subarray(((b * S + s) * T + t) * C, ((b * S + s) * T + t + 1) * C), o);
      }
    }
  }
  return { data: out, dims };
}

/** Inverse of fold: splits channels into the axis, whose size the result dims give. */
export function unfold(x: Value4, axis: AxisName, dims: Dims4): Value4 {
  const [B, S, T, C] = dims;
  const out = new Float64Array(sizeOf(dims));
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        const i = axis === 'set' ? (b * T + t) * S * C + s * C : (b * S + s) * T * C + t * C;
        out.set(x.data.subarray(i, i + C), ((b * S + s) * T + t) * C);
      }
    }
  }
  return { data: out, dims };
}

export function batchSum(x: Value4): Value4 {
  const [B, S, T, C] = x.dims;
  const n = S * T * C;
  const out = new Float64Array(n);
  for (let b = 0; b < B; b++) for (let k = 0; k < n; k++) out[k] += x.data[b * n + k]!;
  return { data: out, dims: [1, S, T, C] };
}

export function channelSum(x: Value4): Value4 {
  const [B, S, T, C] = x.dims;
  const rows = B * S * T;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let c = 0; c < C; c++) acc += x.data[r * C + c]!;
    out[r] = acc;
  }
  return { data: out, dims: [B, S, T, 1] };
}
