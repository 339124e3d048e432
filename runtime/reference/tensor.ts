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
  const [sb, ss, st, sc] = broadcastStrides(d, to);
  const out = new Float64Array(sizeOf(to));
  const [B, S, T, C] = to;
  const x = v.data;
  let i = 0;
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        const base = b * sb + s * ss + t * st;
        for (let c = 0; c < C; c++) out[i++] = x[base + c * sc]!;
      }
    }
  }
  return out;
}

/**
 * The element strides of a value of dims `from` read as `to` (broadcasting: 0 along an axis of
 * size 1 that `to` repeats), so elementwise ops read their operands in place instead of expanded
 * copies.
 */
export function broadcastStrides(from: Dims4, to: Dims4): Dims4 {
  for (let a = 0; a < 4; a++) {
    if (from[a] !== to[a] && from[a] !== 1) throw new Error(`internal: cannot broadcast [${from}] to [${to}]`);
  }
  const dense = [from[1] * from[2] * from[3], from[2] * from[3], from[3], 1];
  return dense.map((n, a) => (from[a] === 1 && to[a] !== 1 ? 0 : n)) as Dims4;
}

/** Elementwise max of dims (the broadcast result of several operands). */
export function broadcastDims(...dims: Dims4[]): Dims4 {
  return [0, 1, 2, 3].map((a) => Math.max(...dims.map((d) => d[a]!))) as Dims4;
}
