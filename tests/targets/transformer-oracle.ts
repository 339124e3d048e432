// An independent, naive float64 transformer forward pass (nested arrays, written from the equations
// in compiler/spaces/transformer.ts), used as the oracle for runtime/targets/transformer.ts.
import type { TargetLayout, TransformerSpec } from '../../compiler/spaces/target.js';

type Vec = number[];

export function naiveTransformerLogits(layout: TargetLayout, theta: Float64Array, tokens: number[]): Vec[] {
  const spec = layout.spec as TransformerSpec;
  const { dModel: d, heads, headDim: dk, blocks, norm } = spec;
  const blk = (name: string) => layout.params.find((b) => b.name === name)!;
  const mats = new Map<string, Vec[]>();
  const mat = (name: string): Vec[] => {
    const b = blk(name);
    if (!mats.has(name)) mats.set(name, Array.from({ length: b.rows }, (_, p) => Array.from(theta.subarray(b.offset + p * b.cols!, b.offset + (p + 1) * b.cols!))));
    return mats.get(name)!;
  };
  const vec = (name: string): Vec => Array.from(theta.subarray(blk(name).offset, blk(name).offset + blk(name).rows));
  const affine = (W: Vec[], x: Vec, b?: Vec): Vec => W.map((row, p) => row.reduce((s, w, q) => s + w * x[q]!, b ? b[p]! : 0));
  const add = (x: Vec, y: Vec): Vec => x.map((v, i) => v + y[i]!);
  const ln = (x: Vec, prefix: string): Vec => {
    const m = x.reduce((s, v) => s + v, 0) / x.length;
    const v = x.reduce((s, u) => s + (u - m) ** 2, 0) / x.length;
    const g = vec(`${prefix}.gain`);
    const b = vec(`${prefix}.bias`);
    return x.map((u, i) => g[i]! * (u - m) / Math.sqrt(v + 1e-5) + b[i]!);
  };
  const gelu = (u: number) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)));
  const E = mat('token_embed');
  const Pos = mat('pos_embed');
  let H: Vec[] = tokens.map((x, t) => Array.from({ length: d }, (_, i) => E[i]![x]! + Pos[i]![t]!));
  for (let l = 0; l < blocks; l++) {
    const b = `block${l}`;
    const X = norm === 'pre' ? H.map((h) => ln(h, `${b}.ln1`)) : H;
    const attn: Vec[] = H.map(() => vec(`${b}.b_O`));
    for (let j = 0; j < heads; j++) {
      const hd = `${b}.head${j}`;
      const Q = X.map((x) => affine(mat(`${hd}.W_Q`), x, vec(`${hd}.b_Q`)));
      const K = X.map((x) => affine(mat(`${hd}.W_K`), x, vec(`${hd}.b_K`)));
      const V = X.map((x) => affine(mat(`${hd}.W_V`), x, vec(`${hd}.b_V`)));
      const WO = mat(`${hd}.W_O`);
      Q.forEach((q, t) => {
        const scores = K.slice(0, t + 1).map((k) => q.reduce((s, v, c) => s + v * k[c]!, 0) / Math.sqrt(dk));
        const m = Math.max(...scores);
        const w = scores.map((s) => Math.exp(s - m));
        const z = w.reduce((s, v) => s + v, 0);
        const o = Array.from({ length: dk }, (_, c) => w.reduce((s, a, u) => s + (a / z) * V[u]![c]!, 0));
        attn[t] = add(attn[t]!, affine(WO, o));
      });
    }
    const M = H.map((h, t) => add(h, attn[t]!));
    const X2 = M.map((m) => ln(m, norm === 'pre' ? `${b}.ln2` : `${b}.ln1`));
    const U = X2.map((x) => affine(mat(`${b}.W_2`), affine(mat(`${b}.W_1`), x, vec(`${b}.b_1`)).map(gelu), vec(`${b}.b_2`)));
    H = norm === 'pre' ? M.map((m, t) => add(m, U[t]!)) : X2.map((x, t) => ln(add(x, U[t]!), `${b}.ln2`));
  }
  const final = norm === 'pre' ? H.map((h) => ln(h, 'lnf')) : H;
  return final.map((x) => affine(mat('W_out'), x, vec('b_out')));
}
