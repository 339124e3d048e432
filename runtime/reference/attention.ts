// Multi-head scaled dot-product attention along one axis (set or site), independently at every
// position of the other axes and batch element. Channels split into `heads` contiguous groups of
// size dh = C / heads; scores are scaled by 1/sqrt(dh); softmax runs over the keys.
import type { AxisName } from '../../compiler/ir/ops.js';
import type { Value4 } from './tensor.js';

interface Sequences {
  /** Element offsets (of channel 0) of each position, per sequence. */
  seqs: number[][];
  C: number;
  heads: number;
  dh: number;
}

function sequences(dims: Value4['dims'], over: AxisName, heads: number): Sequences {
  const [B, S, T, C] = dims;
  if (C % heads !== 0) throw new Error(`internal: attention with ${C} channels and ${heads} heads`);
  const seqs: number[][] = [];
  for (let b = 0; b < B; b++) {
    if (over === 'set') {
      for (let t = 0; t < T; t++) seqs.push(Array.from({ length: S }, (_, s) => ((b * S + s) * T + t) * C));
    } else {
      for (let s = 0; s < S; s++) seqs.push(Array.from({ length: T }, (_, t) => ((b * S + s) * T + t) * C));
    }
  }
  return { seqs, C, heads, dh: C / heads };
}

/** Softmax probabilities of one head of one sequence: P[i·L + j] over keys j. */
function probabilities(q: Float64Array, k: Float64Array, rows: number[], h: number, dh: number): Float64Array {
  const L = rows.length;
  const scale = 1 / Math.sqrt(dh);
  const P = new Float64Array(L * L);
  for (let i = 0; i < L; i++) {
    const qi = rows[i]! + h * dh;
    let max = -Infinity;
    for (let j = 0; j < L; j++) {
      const kj = rows[j]! + h * dh;
      let acc = 0;
      for (let d = 0; d < dh; d++) acc += q[qi + d]! * k[kj + d]!;
      P[i * L + j] = acc * scale;
      if (acc * scale > max) max = acc * scale;
    }
    let z = 0;
    for (let j = 0; j < L; j++) {
      const e = Math.exp(P[i * L + j]! - max);
      P[i * L + j] = e;
      z += e;
    }
    for (let j = 0; j < L; j++) P[i * L + j]! /= z;
  }
  return P;
}

export function attention(q: Value4, k: Value4, v: Value4, over: AxisName, heads: number): Value4 {
  const { seqs, dh } = sequences(q.dims, over, heads);
  const out = new Float64Array(q.data.length);
  for (const rows of seqs) {
    const L = rows.length;
    for (let h = 0; h < heads; h++) {
      const P = probabilities(q.data, k.data, rows, h, dh);
      for (let i = 0; i < L; i++) {
        const oi = rows[i]! + h * dh;
        for (let j = 0; j < L; j++) {
          const p = P[i * L + j]!;
          const vj = rows[j]! + h * dh;
          for (let d = 0; d < dh; d++) out[oi + d] += p * v.data[vj + d]!;
        }
      }
    }
  }
  return { data: out, dims: q.dims };
}

/**
 * Gradient w.r.t. q, k or v given dy: with S = scaled scores, P = softmax(S), dP = dy·vᵀ,
 * dS = P ⊙ (dP − rowsum(P ⊙ dP)): dq = dS·k/√dh, dk = dSᵀ·q/√dh, dv = Pᵀ·dy.
 */
export function attentionVjp(q: Value4, k: Value4, v: Value4, dy: Value4, over: AxisName, heads: number, wrt: 'q' | 'k' | 'v'): Value4 {
  const { seqs, dh } = sequences(q.dims, over, heads);
  const scale = 1 / Math.sqrt(dh);
  const out = new Float64Array(q.data.length);
  for (const rows of seqs) {
    const L = rows.length;
    for (let h = 0; h < heads; h++) {
      const P = probabilities(q.data, k.data, rows, h, dh);
      const at = (r: number): number => rows[r]! + h * dh;
      if (wrt === 'v') {
        // dv[j] = Σ_i P[i][j] dy[i]
        for (let i = 0; i < L; i++) {
          for (let j = 0; j < L; j++) {
            const p = P[i * L + j]!;
            for (let d = 0; d < dh; d++) out[at(j) + d] += p * dy.data[at(i) + d]!;
          }
        }
        continue;
      }
      const dS = new Float64Array(L * L);
      for (let i = 0; i < L; i++) {
        let D = 0;
        for (let j = 0; j < L; j++) {
          let acc = 0;
          for (let d = 0; d < dh; d++) acc += dy.data[at(i) + d]! * v.data[at(j) + d]!;
          dS[i * L + j] = acc;
          D += P[i * L + j]! * acc;
        }
        for (let j = 0; j < L; j++) dS[i * L + j] = P[i * L + j]! * (dS[i * L + j]! - D) * scale;
      }
      for (let i = 0; i < L; i++) {
        for (let j = 0; j < L; j++) {
          const s = dS[i * L + j]!;
          // dq[i] += dS[i][j] k[j];  dk[j] += dS[i][j] q[i]
          if (wrt === 'q') for (let d = 0; d < dh; d++) out[at(i) + d] += s * k.data[at(j) + d]!;
          else for (let d = 0; d < dh; d++) out[at(j) + d] += s * q.data[at(i) + d]!;
        }
      }
    }
  }
  return { data: out, dims: q.dims };
}
