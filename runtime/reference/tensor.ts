// Tensors of the reference executor: float64 data, row-major, plus a shape.
//
// Public tensors carry the IR shape (shapeOf(type)), preceded by the batch axis for batched values
// (inputs and everything computed from them; see compiler/ir/batch.ts). Inside the executor every
// value is seen as 4-D [batch | 1, set | 1, site | 1, channels], the same view the GPU kernels use:
// an axis of size 1 where the result has more is repeated (broadcasting).
export interface Tensor {
  data: Float64Array;
  shape: number[];
}

export type Dims4 = [number, number, number, number];

/** A value inside the executor: its data and 4-D dims. */
export interface Value4 {
  data: Float64Array;
  dims: Dims4;
}

export function tensor(shape: number[], data?: ArrayLike<number>): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = data === undefined ? new Float64Array(size) : Float64Array.from(data);
  if (out.length !== size) throw new Error(`tensor of shape [${shape}] needs ${size} values, got ${out.length}`);
  return { data: out, shape: [...shape] };
}

export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** The data of `v` repeated to `to` along every axis where v has size 1 (a copy when dims differ). */
export function expand(v: Value4, to: Dims4): Float64Array {
  const d = v.dims;
  if (d.every((n, i) => n === to[i])) return v.data;
  for (let a = 0; a < 4; a++) {
    if (d[a] !== to[a] && d[a] !== 1) throw new Error(`internal: cannot broadcast [${d}] to [${to}]`);
  }
  const out = new Float64Array(sizeOf(to));
  const [B, S, T, C] = to;
  const step = d.map((n, a) => (n === 1 && to[a] !== 1 ? 0 : 1));
  let i = 0;
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        const base = ((b * step[0]! * d[1] + s * step[1]!) * d[2] + t * step[2]!) * d[3];
        for (let c = 0; c < C; c++) out[i++] = v.data[base + c * step[3]!]!;
      }
    }
  }
  return out;
}

/**
 * For each row [b, s, t] of `to` (numbered in order), the offsets of that row in each operand, which
 * `to` broadcasts (an axis of size 1 repeats), and the operands' channel steps (0 for a repeated
 * channel): elementwise ops read their operands in place instead of expanding copies of them.
 */
export function forEachRow(to: Dims4, operands: readonly Dims4[], row: (index: number, offsets: readonly number[], channelSteps: readonly number[]) => void): void {
  const strides = operands.map((d) => {
    for (let a = 0; a < 4; a++) if (d[a] !== to[a] && d[a] !== 1) throw new Error(`internal: cannot broadcast [${d}] to [${to}]`);
    const dense = [d[1] * d[2] * d[3], d[2] * d[3], d[3], 1];
    return dense.map((n, a) => (d[a] === 1 && to[a] !== 1 ? 0 : n));
  });
  const steps = strides.map((st) => st[3]!);
  const offsets = new Array<number>(operands.length).fill(0);
  let index = 0;
  for (let b = 0; b < to[0]; b++) {
    for (let s = 0; s < to[1]; s++) {
      for (let t = 0; t < to[2]; t++) {
        for (let k = 0; k < strides.length; k++) offsets[k] = b * strides[k]![0]! + s * strides[k]![1]! + t * strides[k]![2]!;
        row(index++, offsets, steps);
      }
    }
  }
}

/** Elementwise max of dims (the broadcast result of several operands). */
export function broadcastDims(...dims: Dims4[]): Dims4 {
  return [0, 1, 2, 3].map((a) => Math.max(...dims.map((d) => d[a]!))) as Dims4;
}
