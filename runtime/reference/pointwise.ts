// Pointwise ops: unary functions (and their derivatives), binary arithmetic, scale, select, bias.
// Operands broadcast per ops.ts: a missing batch/set/site axis or a single channel is repeated.
import type { BinaryFn, UnaryFn } from '../../compiler/ir/ops.js';
import { broadcastDims, expand, type Value4 } from './tensor.js';

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
  const f = unaryFn(fn);
  return { data: x.data.map(f), dims: x.dims };
}

function binaryFn(fn: BinaryFn): (a: number, b: number) => number {
  switch (fn) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return (a, b) => a / b;
  }
}

export function binary(fn: BinaryFn, a: Value4, b: Value4): Value4 {
  const dims = broadcastDims(a.dims, b.dims);
  const f = binaryFn(fn);
  const x = expand(a, dims);
  const y = expand(b, dims);
  return { data: x.map((v, i) => f(v, y[i]!)), dims };
}

export function scale(x: Value4, factor: number): Value4 {
  return { data: x.data.map((v) => v * factor), dims: x.dims };
}

/** mask ≠ 0 ? a : b */
export function select(mask: Value4, a: Value4, b: Value4): Value4 {
  const dims = broadcastDims(mask.dims, a.dims, b.dims);
  const m = expand(mask, dims);
  const x = expand(a, dims);
  const y = expand(b, dims);
  return { data: m.map((v, i) => (v !== 0 ? x[i]! : y[i]!)), dims };
}

/** x + b along channels: b is a vector [c] (repeated over every other axis). */
export function bias(x: Value4, b: Value4): Value4 {
  if (b.dims[1] !== 1 || b.dims[2] !== 1 || b.dims[3] !== x.dims[3]) {
    throw new Error(`internal: bias [${b.dims}] on a value with ${x.dims[3]} channels`);
  }
  return binary('add', x, b);
}
