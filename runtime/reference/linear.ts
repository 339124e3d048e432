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
  const rows = S * T;
  const out = new Float64Array(B * rows * cout);
  // w[i, o] sits at i·strideI + o·strideO: [cin, cout] row-major, or transposed [cout, cin].
  const [strideI, strideO] = transposeW ? [1, cin] : [cout, 1];
  for (let e = 0; e < B; e++) {
    gemm(x.data, (Bx === 1 ? 0 : e) * rows * cin, w.data, (Bw === 1 ? 0 : e) * cin * cout, strideI, strideO, out, e * rows * cout, rows, cin, cout);
  }
  return { data: out, dims: [B, S, T, cout] };
}

/**
 * out[r, o] = Σ_i x[r, i]·w[i, o] for `rows` rows from the given offsets, four rows by four outputs
 * at a time in sixteen accumulators (each x and w read once per block, not once per product: the
 * float64 check of a 67,520-parameter net runs billions of these). Each sum still adds its products
 * in order of i from 0, as the one-row loop did, so the results are the same bits.
 */
function gemm(x: Float64Array, xo: number, w: Float64Array, wo: number, strideI: number, strideO: number,
  out: Float64Array, oo: number, rows: number, cin: number, cout: number): void {
  const rows4 = rows - (rows % 4);
  const cout4 = cout - (cout % 4);
  for (let r = 0; r < rows4; r += 4) {
    const x0 = xo + r * cin;
    const x1 = x0 + cin;
    const x2 = x1 + cin;
    const x3 = x2 + cin;
    for (let o = 0; o < cout4; o += 4) {
      let a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
      let a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
      for (let i = 0; i < cin; i++) {
        const wi = wo + i * strideI + o * strideO;
        const w0 = w[wi]!, w1 = w[wi + strideO]!, w2 = w[wi + 2 * strideO]!, w3 = w[wi + 3 * strideO]!;
        const v0 = x[x0 + i]!, v1 = x[x1 + i]!, v2 = x[x2 + i]!, v3 = x[x3 + i]!;
        a00 += v0 * w0; a01 += v0 * w1; a02 += v0 * w2; a03 += v0 * w3;
        a10 += v1 * w0; a11 += v1 * w1; a12 += v1 * w2; a13 += v1 * w3;
        a20 += v2 * w0; a21 += v2 * w1; a22 += v2 * w2; a23 += v2 * w3;
        a30 += v3 * w0; a31 += v3 * w1; a32 += v3 * w2; a33 += v3 * w3;
      }
      const y0 = oo + r * cout + o;
      out[y0] = a00; out[y0 + 1] = a01; out[y0 + 2] = a02; out[y0 + 3] = a03;
      out[y0 + cout] = a10; out[y0 + cout + 1] = a11; out[y0 + cout + 2] = a12; out[y0 + cout + 3] = a13;
      out[y0 + 2 * cout] = a20; out[y0 + 2 * cout + 1] = a21; out[y0 + 2 * cout + 2] = a22; out[y0 + 2 * cout + 3] = a23;
      out[y0 + 3 * cout] = a30; out[y0 + 3 * cout + 1] = a31; out[y0 + 3 * cout + 2] = a32; out[y0 + 3 * cout + 3] = a33;
    }
    for (let o = cout4; o < cout; o++) {
      for (let k = 0; k < 4; k++) out[oo + (r + k) * cout + o] = dot(x, xo + (r + k) * cin, w, wo + o * strideO, strideI, cin);
    }
  }
  for (let r = rows4; r < rows; r++) {
    for (let o = 0; o < cout; o++) out[oo + r * cout + o] = dot(x, xo + r * cin, w, wo + o * strideO, strideI, cin);
  }
}

/** Σ_i x[xo + i]·w[wo + i·strideI], in order of i. */
function dot(x: Float64Array, xo: number, w: Float64Array, wo: number, strideI: number, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += x[xo + i]! * w[wo + i * strideI]!;
  return acc;
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
