// Pointwise ops: unary functions (and their derivatives), binary arithmetic, scale, select, bias.
// Operands broadcast per ops.ts: a missing batch/set/site axis or a single channel is repeated.
import type { BinaryFn, UnaryFn } from '../../compiler/ir/ops.js';
import { broadcastDims, broadcastStrides, type Value4 } from './tensor.js';

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

export function unaryFn(fn: UnaryFn): (x: number) => number {
  switch (fn) {
    case 'relu': return (x) => (x > 0 ? x : 0);
    // GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    case 'gelu': return (x) => 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x)));
    case 'tanh': return Math.tanh;
    case 'sigmoid': return sigmoid;
    case 'silu': return (x) => x * sigmoid(x);
    case 'sin': return Math.sin;
    case 'cos': return Math.cos;
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'neg': return (x) => -x;
    case 'square': return (x) => x * x;
    case 'sqrt': return Math.sqrt;
    case 'abs': return Math.abs;
    case 'relu_grad': return (x) => (x > 0 ? 1 : 0);
    case 'gelu_grad': return (x) => {
      const t = Math.tanh(GELU_K * (x + GELU_C * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x);
    };
    case 'tanh_grad': return (x) => 1 - Math.tanh(x) ** 2;
    case 'sigmoid_grad': return (x) => sigmoid(x) * (1 - sigmoid(x));
    case 'silu_grad': return (x) => sigmoid(x) * (1 + x * (1 - sigmoid(x)));
    case 'sign': return Math.sign;
  }
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function unary(fn: UnaryFn, x: Value4): Value4 {
  const out = new Float64Array(x.data.length);
  const xs = x.data;
  // ReLU, the commonest, in a plain loop; the rest through their function.
  if (fn === 'relu') {
    for (let i = 0; i < xs.length; i++) out[i] = xs[i]! > 0 ? xs[i]! : 0;
  } else {
    const f = unaryFn(fn);
    for (let i = 0; i < xs.length; i++) out[i] = f(xs[i]!);
  }
  return { data: out, dims: x.dims };
}

/** a ∘ b, broadcast, read in place; one loop per function (a callback per element was most of a large net's float64 check). */
export function binary(fn: BinaryFn, a: Value4, b: Value4): Value4 {
  const dims = broadcastDims(a.dims, b.dims);
  const [B, S, T, C] = dims;
  const out = new Float64Array(B * S * T * C);
  const [x, y] = [a.data, b.data];
  const [xb, xs, xt, xc] = broadcastStrides(a.dims, dims);
  const [yb, ys, yt, yc] = broadcastStrides(b.dims, dims);
  let i = 0;
  for (let n = 0; n < B; n++) {
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        let p = n * xb + s * xs + t * xt;
        let q = n * yb + s * ys + t * yt;
        switch (fn) {
          case 'add': for (let c = 0; c < C; c++, p += xc, q += yc) out[i++] = x[p]! + y[q]!; break;
          case 'sub': for (let c = 0; c < C; c++, p += xc, q += yc) out[i++] = x[p]! - y[q]!; break;
          case 'mul': for (let c = 0; c < C; c++, p += xc, q += yc) out[i++] = x[p]! * y[q]!; break;
          case 'div': for (let c = 0; c < C; c++, p += xc, q += yc) out[i++] = x[p]! / y[q]!; break;
        }
      }
    }
  }
  return { data: out, dims };
}

export function scale(x: Value4, factor: number): Value4 {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! * factor;
  return { data: out, dims: x.dims };
}

/** mask ≠ 0 ? a : b */
export function select(mask: Value4, a: Value4, b: Value4): Value4 {
  const dims = broadcastDims(mask.dims, a.dims, b.dims);
  const [B, S, T, C] = dims;
  const out = new Float64Array(B * S * T * C);
  const [ms, as, bs] = [mask, a, b].map((v) => broadcastStrides(v.dims, dims));
  let i = 0;
  for (let n = 0; n < B; n++) {
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        const [m, p, q] = [ms!, as!, bs!].map((st) => n * st[0] + s * st[1] + t * st[2]);
        for (let c = 0; c < C; c++) out[i++] = mask.data[m! + c * ms![3]] !== 0 ? a.data[p! + c * as![3]]! : b.data[q! + c * bs![3]]!;
      }
    }
  }
  return { data: out, dims };
}

/** x + b along channels: b is a vector [c] (repeated over every other axis). */
export function bias(x: Value4, b: Value4): Value4 {
  if (b.dims[1] !== 1 || b.dims[2] !== 1 || b.dims[3] !== x.dims[3]) {
    throw new Error(`internal: bias [${b.dims}] on a value with ${x.dims[3]} channels`);
  }
  return binary('add', x, b);
}
