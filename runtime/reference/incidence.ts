// Ops tied to a target's layout: the constant tables, gather/scatter along the incidence tables
// (neurons ↔ params), the per-segment mean, and the fine group's basis terms (`site_term`, and
// `site_terms`: several of them on channel blocks of one input, summed).
import type { ConstTable, Incidence, SiteTerm } from '../../compiler/ir/ops.js';
import type { Site } from '../../compiler/ir/types.js';
import { termRelation } from '../../compiler/symmetry/term-relation.js';
import { blockOf, constTable, incidence, segmentOf } from '../../compiler/spaces/tables.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { Dims4, Value4 } from './tensor.js';

export function constant(table: ConstTable, layout: TargetLayout, dims: Dims4): Value4 {
  return { data: constTable(table, layout), dims };
}

/** neurons → params: y[.., p, c] = x[.., idx[p], c], 0 where idx[p] = −1 (a bias's column). */
export function gather(x: Value4, which: Incidence, layout: TargetLayout): Value4 {
  const idx = incidence(layout)[which];
  const [B, S, N, C] = x.dims;
  const P = idx.length;
  const out = new Float64Array(B * S * P * C);
  for (let r = 0; r < B * S; r++) {
    for (let p = 0; p < P; p++) {
      const n = idx[p]!;
      if (n >= 0) out.set(x.data.subarray((r * N + n) * C, (r * N + n + 1) * C), (r * P + p) * C);
    }
  }
  return { data: out, dims: [B, S, P, C] };
}

/** params → neurons: y[.., n, c] = Σ_{p : idx[p] = n} x[.., p, c] (the adjoint of gather). */
export function scatter(x: Value4, which: Incidence, layout: TargetLayout): Value4 {
  const idx = incidence(layout)[which];
  const [B, S, P, C] = x.dims;
  const N = layout.neuronCount;
  const out = new Float64Array(B * S * N * C);
  for (let r = 0; r < B * S; r++) {
    for (let p = 0; p < P; p++) {
      const n = idx[p]!;
      if (n < 0) continue;
      for (let c = 0; c < C; c++) out[(r * N + n) * C + c] += x.data[(r * P + p) * C + c]!;
    }
  }
  return { data: out, dims: [B, S, N, C] };
}

/** Mean over each position's own cell (neuron segment, or parameter block), broadcast back. */
export function segmentMean(x: Value4, site: Site, layout: TargetLayout): Value4 {
  const cellOf = site.kind === 'params' ? blockOf(layout) : segmentOf(layout);
  const cells = site.kind === 'params' ? layout.params.length : layout.segments.length;
  const [B, S, T, C] = x.dims;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < B * S; r++) {
    const sums = new Float64Array(cells * C);
    const counts = new Float64Array(cells);
    for (let t = 0; t < T; t++) {
      const k = cellOf[t]!;
      counts[k]!++;
      for (let c = 0; c < C; c++) sums[k * C + c] += x.data[(r * T + t) * C + c]!;
    }
    for (let t = 0; t < T; t++) {
      const k = cellOf[t]!;
      for (let c = 0; c < C; c++) out[(r * T + t) * C + c] = sums[k * C + c]! / counts[k]!;
    }
  }
  return { data: out, dims: x.dims };
}

/** y[.., o, c] = mean of x[.., i, c] over the in positions i related to o (term-relation.ts); linear time. */
export function siteTerm(x: Value4, term: SiteTerm, layout: TargetLayout, outSite: Site | null, inSite: Site | null): Value4 {
  const { outKey, inKey, inCount } = termRelation(term, layout, outSite, inSite);
  const [B, S, T, C] = x.dims;
  const O = outKey.length;
  const out = new Float64Array(B * S * O * C);
  const sums = new Float64Array(inCount.length * C);
  for (let r = 0; r < B * S; r++) {
    sums.fill(0);
    for (let i = 0; i < T; i++) {
      const k = inKey[i]!;
      if (k >= 0) for (let c = 0; c < C; c++) sums[k * C + c] += x.data[(r * T + i) * C + c]!;
    }
    for (let o = 0; o < O; o++) {
      const k = outKey[o]!;
      if (k < 0 || inCount[k] === 0) continue;
      for (let c = 0; c < C; c++) out[(r * O + o) * C + c] = sums[k * C + c]! / inCount[k]!;
    }
  }
  return { data: out, dims: [B, S, O, C] };
}

/**
 * Σ_k siteTerm(matmul(x, W_k), terms[k]), W_k channel block k of w [cin, T·c] (batched: per
 * element); without w, x is the product already (channel block k is term k's input). W_k is applied
 * to each key's sum of x's cin-vectors, never to x: Σ_k |in_k|·cin + keys_k·cin·c operations, not
 * site·cin·T·c, and one term's relation alive at a time (a transformer's 1,322 terms over 67,520
 * parameters would hold 0.7 GB of keys at once).
 */
export function siteTerms(x: Value4, w: Value4 | null, terms: SiteTerm[], layout: TargetLayout, outSite: Site | null, inSite: Site | null): Value4 {
  const [Bx, S, P, X] = x.dims;
  const Bw = w === null ? 1 : w.dims[0];
  const B = Math.max(Bx, Bw);
  const C = w === null ? X / terms.length : w.data.length / Bw / X / terms.length;
  const cin = w === null ? C : X;
  if ((Bx !== 1 && Bx !== B) || (Bw !== 1 && Bw !== B) || !Number.isInteger(C)) throw new Error(`internal: site_terms of a batch of ${Bx} (${X} channels) with weights batched ${Bw} for ${terms.length} terms`);
  const TC = terms.length * C;
  let out: Float64Array | null = null;
  let O = 0;
  terms.forEach((term, k) => {
    const { outKey, inKey, inCount } = termRelation(term, layout, outSite, inSite);
    O = outKey.length;
    out ??= new Float64Array(B * S * O * C);
    // A term relates positions of one cell to one cell: visit those, not the whole site, per element.
    const ins = related(inKey);
    const outs = related(outKey);
    const keys = inCount.length;
    const offset = w === null ? k * C : 0;
    const sums = new Float64Array(keys * cin);
    const means = new Float64Array(keys * C);
    for (let b = 0; b < B; b++) {
      const wo = (Bw === 1 ? 0 : b) * X * TC + k * C;
      for (let s = 0; s < S; s++) {
        const xo = ((Bx === 1 ? 0 : b) * S + s) * P;
        sums.fill(0);
        for (const i of ins) {
          const from = (xo + i) * X + offset;
          const to = inKey[i]! * cin;
          for (let j = 0; j < cin; j++) sums[to + j] += x.data[from + j]!;
        }
        means.fill(0);
        for (let key = 0; key < keys; key++) {
          if (inCount[key] === 0) continue;
          for (let j = 0; j < cin; j++) {
            const v = sums[key * cin + j]! / inCount[key]!;
            // Without weights, channel block k is term k's input: the mean itself.
            if (w === null) means[key * C + j] = v;
            else for (let c = 0; c < C; c++) means[key * C + c] += v * w.data[wo + j * TC + c]!;
          }
        }
        const oo = (b * S + s) * O;
        for (const o of outs) {
          const from = outKey[o]! * C;
          for (let c = 0; c < C; c++) out[(oo + o) * C + c] += means[from + c]!;
        }
      }
    }
  });
  return { data: out!, dims: [B, S, O, C] };
}

/** The positions with a key (≥ 0), in order. */
function related(key: Int32Array): Int32Array {
  let n = 0;
  for (let i = 0; i < key.length; i++) if (key[i]! >= 0) n++;
  const positions = new Int32Array(n);
  for (let i = 0, j = 0; i < key.length; i++) if (key[i]! >= 0) positions[j++] = i;
  return positions;
}
