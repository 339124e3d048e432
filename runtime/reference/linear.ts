// Channel-linear maps: matmul (shared channel matrix), contract (its weight gradient, summing every
// non-channel axis including the batch) and dense (position-specific weights across the site).
import { broadcastDims, expand, sizeOf, type Dims4, type Value4 } from './tensor.js';

/**
 * y[..., o] = Σ_i x[..., i] w[i, o]  (w row-major [cin, cout]; transposed: [cout, cin]). A batched
 * w (a graph with its params as inputs: compiler/ir/params-as-inputs.ts) gives every batch element
 * its own weights.
 */
export function matmul(x: Value4, w: Value4, cout: number, transposeW: boolean): Value4 {
  const [Bx, S, T, cin] = x.dims;
  const Bw = w.dims[0];
  const B = Math.max(Bx, Bw);
  if ((Bx !== 1 && Bx !== B) || (Bw !== 1 && Bw !== B)) throw new Error(`internal: matmul of a batch of ${Bx} with weights batched ${Bw}`);
  if (w.data.length !== Bw * cin * cout) throw new Error(`internal: matmul of ${cin} channels to ${cout} with ${w.data.length / Bw} weights`);
  const perElement = S * T;
  const rows = B * perElement;
  const out = new Float64Array(rows * cout);
  const xs = x.data;
  for (let r = 0; r < rows; r++) {
    const e = Math.floor(r / perElement);
    const ws = Bw === 1 ? w.data : w.data.subarray(e * cin * cout, (e + 1) * cin * cout);
    const xo = (Bx === 1 ? r % perElement : r) * cin;
    const oo = r * cout;
    if (transposeW) {
      // w is [cout, cin]: each output is a dot product of two contiguous rows
      for (let o = 0; o < cout; o++) {
        let acc = 0;
        for (let i = 0; i < cin; i++) acc += xs[xo + i]! * ws[o * cin + i]!;
        out[oo + o] = acc;
      }
    } else {
      // w is [cin, cout]: accumulate x[r, i] times the contiguous row w[i, :]
      for (let i = 0; i < cin; i++) {
        const xi = xs[xo + i]!;
        const wo = i * cout;
        for (let o = 0; o < cout; o++) out[oo + o] += xi * ws[wo + o]!;
      }
    }
  }
  return { data: out, dims: [B, S, T, cout] };
}

/** y[i, o] = Σ_rows a[row, i] b[row, o] over batch, set and site (operands broadcast to common rows). */
export function contract(a: Value4, b: Value4): Value4 {
  const rowsDims = broadcastDims([a.dims[0], a.dims[1], a.dims[2], 1], [b.dims[0], b.dims[1], b.dims[2], 1]);
  const I = a.dims[3];
  const O = b.dims[3];
  const x = expand(a, [rowsDims[0], rowsDims[1], rowsDims[2], I]);
  const y = expand(b, [rowsDims[0], rowsDims[1], rowsDims[2], O]);
  const rows = sizeOf(rowsDims);
  const out = new Float64Array(I * O);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < I; i++) {
      const xi = x[r * I + i]!;
      for (let o = 0; o < O; o++) out[i * O + o] += xi * y[r * O + o]!;
    }
  }
  return { data: out, dims: [1, 1, I, O] };
}

/** y[.., s, t', o] = Σ_{t, i} x[.., s, t, i] · w[t·cin + i, t'·cout + o]: the site folded into channels. */
export function dense(x: Value4, w: Value4, outDims: Dims4): Value4 {
  const [B, S, T, cin] = x.dims;
  const [, , T2, cout] = outDims;
  const K = T * cin;
  const N = T2 * cout;
  if (w.dims[0] !== 1 || w.data.length !== K * N) throw new Error(`internal: dense weights have ${w.data.length} values, expected ${K}×${N}`);
  const out = new Float64Array(B * S * N);
  for (let r = 0; r < B * S; r++) {
    for (let k = 0; k < K; k++) {
      const xk = x.data[r * K + k]!;
      for (let n = 0; n < N; n++) out[r * N + n] += xk * w.data[k * N + n]!;
    }
  }
  return { data: out, dims: [B, S, T2, cout] };
}
