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
 * site·cin·T·c. Each term visits only the positions it relates (relatedPositions), in order.
 */
export function siteTerms(x: Value4, w: Value4 | null, terms: SiteTerm[], layout: TargetLayout, outSite: Site | null, inSite: Site | null): Value4 {
  const [Bx, S, P, X] = x.dims;
  const Bw = w === null ? 1 : w.dims[0];
  const B = Math.max(Bx, Bw);
  const C = w === null ? X / terms.length : w.data.length / Bw / X / terms.length;
  if ((Bx !== 1 && Bx !== B) || (Bw !== 1 && Bw !== B) || !Number.isInteger(C)) throw new Error(`internal: site_terms of a batch of ${Bx} (${X} channels) with weights batched ${Bw} for ${terms.length} terms`);
  const relations = terms.map((term) => relatedPositions(term, layout, outSite, inSite));
  const O = relations[0]!.outSize;
  const out = new Float64Array(B * S * O * C);
  const shape: TermsShape = { B, Bx, Bw, S, P, X, O, C, cin: w === null ? C : X, TC: terms.length * C };
  relations.forEach((r, k) => addTerm(out, x.data, w?.data ?? null, r, k, shape));
  return { data: out, dims: [B, S, O, C] };
}

interface TermsShape {
  B: number; Bx: number; Bw: number; S: number; P: number; X: number; O: number; C: number;
  /** Channels summed per key: x's, or (without weights) one term's block. */
  cin: number;
  /** Weight columns: terms × C. */
  TC: number;
}

/** out += term k of site_terms (its key sums of x, contracted with W_k, read at its out positions). */
function addTerm(out: Float64Array, x: Float64Array, w: Float64Array | null, r: RelatedPositions, k: number, shape: TermsShape): void {
  const { B, Bx, Bw, S, P, X, O, C, cin, TC } = shape;
  const { ins, inKeys, outs, outKeys, inCount } = r;
  const keys = inCount.length;
  const offset = w === null ? k * C : 0;
  const sums = new Float64Array(keys * cin);
  const means = new Float64Array(keys * C);
  for (let b = 0; b < B; b++) {
    const wo = (Bw === 1 ? 0 : b) * X * TC + k * C;
    for (let s = 0; s < S; s++) {
      const xo = ((Bx === 1 ? 0 : b) * S + s) * P;
      sums.fill(0);
      for (let m = 0; m < ins.length; m++) {
        const from = (xo + ins[m]!) * X + offset;
        const to = inKeys[m]! * cin;
        for (let j = 0; j < cin; j++) sums[to + j] += x[from + j]!;
      }
      means.fill(0);
      for (let key = 0; key < keys; key++) {
        const n = inCount[key]!;
        if (n === 0) continue;
        for (let j = 0; j < cin; j++) {
          const v = sums[key * cin + j]! / n;
          // Without weights, channel block k is term k's input: the mean itself.
          if (w === null) means[key * C + j] = v;
          else for (let c = 0; c < C; c++) means[key * C + c] += v * w[wo + j * TC + c]!;
        }
      }
      const oo = (b * S + s) * O;
      for (let m = 0; m < outs.length; m++) {
        const to = (oo + outs[m]!) * C;
        const from = outKeys[m]! * C;
        for (let c = 0; c < C; c++) out[to + c] += means[from + c]!;
      }
    }
  }
}

/** A term's relation (term-relation.ts) as the positions it relates on each side, in order, with their keys. */
interface RelatedPositions {
  ins: Int32Array;
  inKeys: Int32Array;
  outs: Int32Array;
  outKeys: Int32Array;
  inCount: Int32Array;
  /** Positions of the out site. */
  outSize: number;
}

/**
 * Kept per term object while its graph lives: a float64 check runs one graph many times, and the
 * keys over the whole site (two arrays of 67,520 per term, 1,322 terms on the LM) cost more than
 * its arithmetic. The positions a term relates are a fraction of the site.
 */
const related = new WeakMap<SiteTerm, { layout: TargetLayout; sites: string; positions: RelatedPositions }[]>();

function relatedPositions(term: SiteTerm, layout: TargetLayout, outSite: Site | null, inSite: Site | null): RelatedPositions {
  const sites = `${outSite?.kind ?? '-'} ${inSite?.kind ?? '-'}`;
  const known = related.get(term) ?? [];
  const hit = known.find((e) => e.layout === layout && e.sites === sites);
  if (hit !== undefined) return hit.positions;
  const { outKey, inKey, inCount } = termRelation(term, layout, outSite, inSite);
  const [ins, inKeys] = withKeys(inKey);
  const [outs, outKeys] = withKeys(outKey);
  const positions = { ins, inKeys, outs, outKeys, inCount, outSize: outKey.length };
  related.set(term, [...known, { layout, sites, positions }]);
  return positions;
}

/** The positions with a key (≥ 0), in order, and their keys. */
function withKeys(key: Int32Array): [Int32Array, Int32Array] {
  let n = 0;
  for (let i = 0; i < key.length; i++) if (key[i]! >= 0) n++;
  const positions = new Int32Array(n);
  const keys = new Int32Array(n);
  for (let i = 0, j = 0; i < key.length; i++) {
    if (key[i]! < 0) continue;
    positions[j] = i;
    keys[j++] = key[i]!;
  }
  return [positions, keys];
}
