// `site_term` in linear size (compiler/symmetry/term-relation.ts): out position o averages the in
// positions that share its key, so the map is two passes over keys instead of a CSR matrix whose
// dense terms are quadratic (W1[a,b] ← W1[c,d] on a 64 → 32 → 10 MLP: 2048² entries per batch
// element; the learned optimizers' np-group layer has several such terms and made an inner step of
// UNF take seconds on lavapipe):
//   siteKeySumKernel    sums[n, s, k, c] = Σ_{i with key k} x[n, s, i, c]   (inputs listed by key: CSR)
//   siteKeyReadKernel   y[n, s, o, c] = scale[key o] · sums[n, s, key o, c] (0 where o has no key)
// with scale[k] = 1 / (inputs with key k). `site_terms` with w null (term k on channel block k of
// the product x·concat(W)) is the key sums over all terms' keys (x read as T blocks per position),
// then siteTermsReadKernel. `site_terms` with w (Σ_k of term k on matmul(x, W_k)) moves the
// channel map inside the key sums, (Σ_{i with key} x[i, :]) · W_k, in three passes over all terms'
// keys: the key sums of x's cin channels (siteKeySumKernel; a term reads only its in-cell, and terms
// that group x alike share them), each key's contraction with its term's weights
// (siteKeyContractKernel), then siteTermsReadKernel, where every out position adds its keys' means
// over the terms. The matmul to the stacked weights first was site·cin·T·c multiply-adds and a
// [site, T·c] product: on a transformer's 1,322 terms over 67,520 parameters 2.9 G and 357 MB per
// batch element, against at most Σ_k |in_k|·cin adds here (9.6 M with the sharing).
import type { TermRelation } from '../symmetry/term-relation.js';
import { header, linearMain, type Kernel } from './kernel.js';
import { DIM_FIELDS, SPLIT_INDEX } from './view.js';

/** The key tables of a relation: in positions grouped by key (CSR), each out position's key, each key's 1/count. */
export function siteKeyTables(r: TermRelation): { start: Uint32Array; members: Uint32Array; outKey: Int32Array; scale: Float32Array } {
  const keys = r.inCount.length;
  const start = new Uint32Array(keys + 1);
  for (let k = 0; k < keys; k++) start[k + 1] = start[k]! + r.inCount[k]!;
  const fill = start.slice(0, keys);
  const members = new Uint32Array(Math.max(start[keys]!, 1));
  r.inKey.forEach((k, i) => {
    if (k >= 0) members[fill[k]!++] = i;
  });
  const scale = Float32Array.from(r.inCount, (n) => (n > 0 ? 1 / n : 0));
  return { start, members, outKey: r.outKey, scale: scale.length > 0 ? scale : new Float32Array(1) };
}

/**
 * One invocation per (n, s, key, c): the key's sum over its in positions (uniforms: dims of `sums`,
 * site_in). `vec4`: c counts runs of 4 channels (x and sums read as vec4: a quarter of the loads,
 * for the cin channels of the contracted `site_terms`).
 */
export function siteKeySumKernel(vec4 = false): Kernel {
  const uniforms = [...DIM_FIELDS, { name: 'site_in', type: 'u32' as const }];
  const unit = vec4 ? 'vec4f' : 'f32';
  const bindings = [
    { name: 'x', element: unit, access: 'read' as const },
    { name: 'start', element: 'u32', access: 'read' as const },
    { name: 'members', element: 'u32', access: 'read' as const },
    { name: 'sums', element: unit, access: 'read_write' as const },
  ];
  const body = `${SPLIT_INDEX}
  let base = (n * u.d1 + s) * u.site_in;
  var acc = ${unit}(0.0);
  for (var k = start[t]; k < start[t + 1u]; k++) { acc += x[(base + members[k]) * u.d3 + c]; }
  sums[i] = acc;`;
  const name = vec4 ? 'site_key_sum_v4' : 'site_key_sum';
  return { name, source: `// ${name}: a site term's inputs summed per key${vec4 ? ', vec4 runs' : ''}\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

/** One invocation per output entry (uniforms: dims of the output, `keys` per (n, s)). */
export function siteKeyReadKernel(): Kernel {
  const uniforms = [...DIM_FIELDS, { name: 'keys', type: 'u32' as const }];
  const bindings = [
    { name: 'sums', element: 'f32', access: 'read' as const },
    { name: 'outKey', element: 'i32', access: 'read' as const },
    { name: 'scale', element: 'f32', access: 'read' as const },
    { name: 'out', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${SPLIT_INDEX}
  let key = outKey[t];
  if (key < 0) { out[i] = 0.0; return; }
  let k = u32(key);
  out[i] = scale[k] * sums[((n * u.d1 + s) * u.keys + k) * u.d3 + c];`;
  return { name: 'site_key_read', source: `// site_key_read: every output position reads its key's mean\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

/** The tables of `site_terms` (stackedKeyTables). */
export interface StackedKeyTables {
  /** x's in positions listed by key (CSR over all terms' keys, term k's after term k−1's). */
  start: Uint32Array;
  members: Uint32Array;
  /** The term of each key (its weights' channel block). */
  keyTerm: Uint32Array;
  /**
   * The same over the distinct in-keyings (terms that group x's positions alike share their key
   * sums of x: UNF-local's 1,322 terms on `Lm1b` have 258, 299,392 rows against 1,324,032), and
   * each key's row there.
   */
  sourceStart: Uint32Array;
  sourceMembers: Uint32Array;
  keySource: Uint32Array;
  /** Every out position's keys over the terms (CSR), and each key's 1/count. */
  outStart: Uint32Array;
  outKeys: Uint32Array;
  scale: Float32Array;
}

/**
 * The tables of T terms in one key space. `relation(k)` is asked once per term and dropped after
 * (a transformer's 1,322 relations over 67,520 parameters are 0.7 GB together): the tables keep only
 * the related positions, linear in the sites' sizes per term.
 */
export function stackedKeyTables(terms: number, relation: (k: number) => TermRelation): StackedKeyTables {
  const members: Uint32Array[] = [];
  const starts = [0];
  const keyTerm: number[] = [];
  const scale: number[] = [];
  // per term: the out positions that read one of its keys (a key with inputs), and that key
  const reads: { outs: Uint32Array; keys: Uint32Array }[] = [];
  // the distinct in-keyings by a digest, each with its first source key
  const sources = new Map<string, { m: Uint32Array; inCount: Int32Array; base: number }[]>();
  const sourceStarts = [0];
  const sourceMembers: Uint32Array[] = [];
  const keySource: number[] = [];
  let outs = 0;
  for (let k = 0; k < terms; k++) {
    const r = relation(k);
    outs = r.outKey.length;
    const base = keyTerm.length;
    const local = new Uint32Array(r.inCount.length + 1);
    r.inCount.forEach((n, key) => {
      local[key + 1] = local[key]! + n;
      starts.push(starts.at(-1)! + n);
      keyTerm.push(k);
      scale.push(n > 0 ? 1 / n : 0);
    });
    const m = new Uint32Array(local[r.inCount.length]!);
    r.inKey.forEach((key, i) => {
      if (key >= 0) m[local[key]!++] = i;
    });
    members.push(m);
    const digest = `${r.inCount.length} ${m.length} ${m.reduce((h, i) => (h * 31 + i) | 0, 0)}`;
    const alike = sources.get(digest) ?? [];
    let source = alike.find((c) => equal(c.m, m) && equal(c.inCount, r.inCount));
    if (source === undefined) {
      source = { m, inCount: r.inCount, base: sourceStarts.length - 1 };
      alike.push(source);
      sources.set(digest, alike);
      r.inCount.forEach((n) => sourceStarts.push(sourceStarts.at(-1)! + n));
      sourceMembers.push(m);
    }
    for (let key = 0; key < r.inCount.length; key++) keySource.push(source.base + key);
    const reading = (o: number): boolean => r.outKey[o]! >= 0 && r.inCount[r.outKey[o]!]! > 0;
    let n = 0;
    for (let o = 0; o < outs; o++) if (reading(o)) n++;
    const read = { outs: new Uint32Array(n), keys: new Uint32Array(n) };
    n = 0;
    for (let o = 0; o < outs; o++) {
      if (!reading(o)) continue;
      read.outs[n] = o;
      read.keys[n++] = base + r.outKey[o]!;
    }
    reads.push(read);
  }
  // (at least one key and one entry, as the kernels see it: terms that relate nothing read zeros)
  const keys = keyTerm.length;
  const start = new Uint32Array(Math.max(keys, 1) + 1);
  start.set(starts);
  const all = concatenated(members);
  const outStart = new Uint32Array(outs + 1);
  for (const r of reads) for (const o of r.outs) outStart[o + 1]!++;
  for (let o = 0; o < outs; o++) outStart[o + 1]! += outStart[o]!;
  const outKeys = new Uint32Array(Math.max(outStart[outs]!, 1));
  const next = outStart.slice(0, outs);
  for (const r of reads) r.outs.forEach((o, e) => { outKeys[next[o]!++] = r.keys[e]!; });
  const byKey = { keyTerm: new Uint32Array(Math.max(keys, 1)), keySource: new Uint32Array(Math.max(keys, 1)), scale: new Float32Array(Math.max(keys, 1)) };
  byKey.keyTerm.set(keyTerm);
  byKey.keySource.set(keySource);
  byKey.scale.set(scale);
  const sourceStart = new Uint32Array(Math.max(sourceStarts.length, 2));
  sourceStart.set(sourceStarts);
  return { start, members: all, sourceStart, sourceMembers: concatenated(sourceMembers), outStart, outKeys, ...byKey };
}

function equal(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The parts end to end (at least one entry, as a binding). */
function concatenated(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(Math.max(parts.reduce((n, p) => n + p.length, 0), 1));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** The members as positions of the product x·concat(W) read as T·site_in positions of c channels: i·T + k. */
export function productMembers(t: StackedKeyTables, terms: number): Uint32Array {
  const out = new Uint32Array(t.members.length);
  for (let key = 0; key + 1 < t.start.length; key++) {
    for (let e = t.start[key]!; e < t.start[key + 1]!; e++) out[e] = t.members[e]! * terms + t.keyTerm[key]!;
  }
  return out;
}

/**
 * One invocation per (n, s, key, c): the key's sums of x's cin channels (row keySource[key] of
 * xsums [.., sources, cin], of x's batch) contracted with its term's weights, column
 * keyTerm[key]·c_out + c of w [cin, T·c_out] (w_n: w's stride per batch element, 0 when shared; x_n
 * likewise for xsums: 0 or 1 element). Uniforms: dims of the contracted sums, cin, w's columns, sources.
 */
export function siteKeyContractKernel(): Kernel {
  const uniforms = [...DIM_FIELDS, ...(['cin', 'wcols', 'w_n', 'x_n', 'sources'] as const).map((name) => ({ name, type: 'u32' as const }))];
  const bindings = [
    { name: 'xsums', element: 'f32', access: 'read' as const },
    { name: 'w', element: 'f32', access: 'read' as const },
    { name: 'keyTerm', element: 'u32', access: 'read' as const },
    { name: 'keySource', element: 'u32', access: 'read' as const },
    { name: 'sums', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${SPLIT_INDEX}
  let row = (((n * u.x_n) * u.d1 + s) * u.sources + keySource[t]) * u.cin;
  let col = n * u.w_n + keyTerm[t] * u.d3 + c;
  var acc = 0.0;
  for (var j = 0u; j < u.cin; j++) { acc += xsums[row + j] * w[col + j * u.wcols]; }
  sums[i] = acc;`;
  return { name: 'site_key_contract', source: `// site_key_contract: each key's sums of x times its term's weights\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

/** One invocation per output entry: the sum of its keys' means over the terms (uniforms: dims of the output, `keys` per (n, s)). */
export function siteTermsReadKernel(): Kernel {
  const uniforms = [...DIM_FIELDS, { name: 'keys', type: 'u32' as const }];
  const bindings = [
    { name: 'sums', element: 'f32', access: 'read' as const },
    { name: 'outStart', element: 'u32', access: 'read' as const },
    { name: 'outKeys', element: 'u32', access: 'read' as const },
    { name: 'scale', element: 'f32', access: 'read' as const },
    { name: 'out', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${SPLIT_INDEX}
  let row = (n * u.d1 + s) * u.keys;
  var acc = 0.0;
  for (var e = outStart[t]; e < outStart[t + 1u]; e++) {
    let k = outKeys[e];
    acc += scale[k] * sums[(row + k) * u.d3 + c];
  }
  out[i] = acc;`;
  return { name: 'site_terms_read', source: `// site_terms_read: every output position sums its keys' means over the terms\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}
