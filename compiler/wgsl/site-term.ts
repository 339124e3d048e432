// `site_term` in linear size (compiler/symmetry/term-relation.ts): out position o averages the in
// positions that share its key, so the map is two passes over keys instead of a CSR matrix whose
// dense terms are quadratic (W1[a,b] ← W1[c,d] on a 64 → 32 → 10 MLP: 2048² entries per batch
// element; the learned optimizers' np-group layer has several such terms and made an inner step of
// UNF take seconds on lavapipe):
//   siteKeySumKernel    sums[n, s, k, c] = Σ_{i with key k} x[n, s, i, c]   (inputs listed by key: CSR)
//   siteKeyReadKernel   y[n, s, o, c] = scale[key o] · sums[n, s, key o, c] (0 where o has no key)
// with scale[k] = 1 / (inputs with key k). A sum of T terms on channel blocks of one input
// (`site_terms`) is the same two passes over all terms' keys: the key sums (x seen as T blocks per
// position), then siteTermsReadKernel, where every out position adds its keys' means over the terms.
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

/** One invocation per (n, s, key, c): the key's sum over its in positions (uniforms: dims of `sums`, site_in). */
export function siteKeySumKernel(): Kernel {
  const uniforms = [...DIM_FIELDS, { name: 'site_in', type: 'u32' as const }];
  const bindings = [
    { name: 'x', element: 'f32', access: 'read' as const },
    { name: 'start', element: 'u32', access: 'read' as const },
    { name: 'members', element: 'u32', access: 'read' as const },
    { name: 'sums', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${SPLIT_INDEX}
  let base = (n * u.d1 + s) * u.site_in;
  var acc = 0.0;
  for (var k = start[t]; k < start[t + 1u]; k++) { acc += x[(base + members[k]) * u.d3 + c]; }
  sums[i] = acc;`;
  return { name: 'site_key_sum', source: `// site_key_sum: a site term's inputs summed per key\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
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

/**
 * The tables of `site_terms` (T terms, term k on channel block k of x): all terms' keys in one key
 * space (term k's after term k−1's), in positions listed by key as i·T + k — position i of block k,
 * so siteKeySumKernel reads x as T·site_in positions of the block's channels — and every out
 * position's keys over the terms (CSR), each with its 1/count. Linear in the sites' sizes per term.
 */
export function stackedKeyTables(rs: TermRelation[]): { start: Uint32Array; members: Uint32Array; outStart: Uint32Array; outKeys: Uint32Array; scale: Float32Array } {
  const T = rs.length;
  const base = [0];
  for (const r of rs) base.push(base.at(-1)! + r.inCount.length);
  const keys = base[T]!;
  // (at least one key, as the kernels see it: a sum of terms that relate nothing reads zeros)
  const start = new Uint32Array(Math.max(keys, 1) + 1);
  rs.forEach((r, k) => r.inCount.forEach((n, key) => { start[base[k]! + key + 1] = n; }));
  for (let key = 0; key < keys; key++) start[key + 1]! += start[key]!;
  const fill = start.slice(0, keys);
  const members = new Uint32Array(Math.max(start[keys]!, 1));
  rs.forEach((r, k) => r.inKey.forEach((key, i) => {
    if (key >= 0) members[fill[base[k]! + key]!++] = i * T + k;
  }));
  // An out position reads a key of term k where it has one and that key has inputs.
  const outs = rs[0]!.outKey.length;
  const outStart = new Uint32Array(outs + 1);
  const reads = (r: TermRelation, o: number): boolean => r.outKey[o]! >= 0 && r.inCount[r.outKey[o]!]! > 0;
  for (const r of rs) for (let o = 0; o < outs; o++) if (reads(r, o)) outStart[o + 1]!++;
  for (let o = 0; o < outs; o++) outStart[o + 1]! += outStart[o]!;
  const outKeys = new Uint32Array(Math.max(outStart[outs]!, 1));
  const next = outStart.slice(0, outs);
  rs.forEach((r, k) => {
    for (let o = 0; o < outs; o++) if (reads(r, o)) outKeys[next[o]!++] = base[k]! + r.outKey[o]!;
  });
  const scale = new Float32Array(Math.max(keys, 1));
  rs.forEach((r, k) => r.inCount.forEach((n, key) => { scale[base[k]! + key] = n > 0 ? 1 / n : 0; }));
  return { start, members, outStart, outKeys, scale };
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
