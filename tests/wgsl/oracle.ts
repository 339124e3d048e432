// Small float64 oracles for the kernel tests: straightforward loops over explicit indices, written
// independently of the kernels (explicit matrices where the kernels recompute on the fly).
import { Rng } from '../../runtime/util/rng.js';

export function randomArray(rng: Rng, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() * scale);
}

export function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number, at = false, bt = false): Float64Array {
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a[at ? k * M + m : m * K + k]! * b[bt ? n * K + k : k * N + n]!;
      c[m * N + n] = acc;
    }
  }
  return c;
}

export function layernorm64(x: ArrayLike<number>, rows: number, C: number, eps: number): { y: Float64Array; rstd: Float64Array } {
  const y = new Float64Array(rows * C);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[r * C + c]!;
    mean /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c]! - mean) ** 2;
    rstd[r] = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c]! - mean) * rstd[r]!;
  }
  return { y, rstd };
}

/** Attention over sequences of L rows of width C (H heads), explicit P matrices; returns y and the VJPs. */
export function attention64(q: Float64Array, k: Float64Array, v: Float64Array, dy: Float64Array, seqs: number[][], C: number, H: number) {
  const dh = C / H;
  const scale = 1 / Math.sqrt(dh);
  const y = new Float64Array(q.length);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(q.length);
  const dv = new Float64Array(q.length);
  for (const rows of seqs) {
    const L = rows.length;
    for (let h = 0; h < H; h++) {
      const at = (r: number, d: number): number => rows[r]! * C + h * dh + d;
      const P: number[][] = [];
      for (let i = 0; i < L; i++) {
        const s = Array.from({ length: L }, (_, j) => {
          let acc = 0;
          for (let d = 0; d < dh; d++) acc += q[at(i, d)]! * k[at(j, d)]!;
          return acc * scale;
        });
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        P.push(e.map((x) => x / z));
      }
      for (let i = 0; i < L; i++) {
        for (let d = 0; d < dh; d++) {
          let acc = 0;
          for (let j = 0; j < L; j++) acc += P[i]![j]! * v[at(j, d)]!;
          y[at(i, d)] = acc;
        }
      }
      const dP = P.map((_, i) => P.map((__, j) => {
        let acc = 0;
        for (let d = 0; d < dh; d++) acc += dy[at(i, d)]! * v[at(j, d)]!;
        return acc;
      }));
      const dS = P.map((row, i) => {
        const D = row.reduce((acc, p, j) => acc + p * dP[i]![j]!, 0);
        return row.map((p, j) => p * (dP[i]![j]! - D));
      });
      for (let i = 0; i < L; i++) {
        for (let d = 0; d < dh; d++) {
          let gq = 0;
          let gk = 0;
          let gv = 0;
          for (let j = 0; j < L; j++) {
            gq += dS[i]![j]! * k[at(j, d)]! * scale;
            gk += dS[j]![i]! * q[at(j, d)]! * scale;
            gv += P[j]![i]! * dy[at(j, d)]!;
          }
          dq[at(i, d)] = gq;
          dk[at(i, d)] = gk;
          dv[at(i, d)] = gv;
        }
      }
    }
  }
  return { y, dq, dk, dv };
}
