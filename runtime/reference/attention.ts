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

/** Softmax probabilities P[i][j] of one head of one sequence. */
function probabilities(q: Float64Array, k: Float64Array, rows: number[], h: number, dh: number): number[][] {
  const scale = 1 / Math.sqrt(dh);
  return rows.map((ri) => {
    const s = rows.map((rj) => {
      let acc = 0;
      for (let d = 0; d < dh; d++) acc += q[ri + h * dh + d]! * k[rj + h * dh + d]!;
      return acc * scale;
    });
    const m = Math.max(...s);
    const e = s.map((x) => Math.exp(x - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  });
}

export function attention(q: Value4, k: Value4, v: Value4, over: AxisName, heads: number): Value4 {
  const { seqs, dh } = sequences(q.dims, over, heads);
  const out = new Float64Array(q.data.length);
  for (const rows of seqs) {
    for (let h = 0; h < heads; h++) {
      const P = probabilities(q.data, k.data, rows, h, dh);
      rows.forEach((ri, i) => {
        for (let d = 0; d < dh; d++) {
          let acc = 0;
          rows.forEach((rj, j) => { acc += P[i]![j]! * v.data[rj + h * dh + d]!; });
          out[ri + h * dh + d] = acc;
        }
      });
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
  const at = (data: Float64Array, r: number, h: number, d: number): number => data[r + h * dh + d]!;
  for (const rows of seqs) {
    for (let h = 0; h < heads; h++) {
      const P = probabilities(q.data, k.data, rows, h, dh);
      const dP = rows.map((ri) => rows.map((rj) => {
        let acc = 0;
        for (let d = 0; d < dh; d++) acc += at(dy.data, ri, h, d) * at(v.data, rj, h, d);
        return acc;
      }));
      const dS = P.map((row, i) => {
        const D = row.reduce((acc, p, j) => acc + p * dP[i]![j]!, 0);
        return row.map((p, j) => p * (dP[i]![j]! - D));
      });
      rows.forEach((ri, i) => {
        for (let d = 0; d < dh; d++) {
          let acc = 0;
          rows.forEach((rj, j) => {
            if (wrt === 'q') acc += dS[i]![j]! * at(k.data, rj, h, d) * scale;
            else if (wrt === 'k') acc += dS[j]![i]! * at(q.data, rj, h, d) * scale;
            else acc += P[j]![i]! * at(dy.data, rj, h, d);
          });
          out[ri + h * dh + d] = acc;
        }
      });
    }
  }
  return { data: out, dims: q.dims };
}
