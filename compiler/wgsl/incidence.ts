// gather and scatter along a target's incidence tables (neurons(T) ↔ params(T)).
// gather reads one neuron per parameter (-1 = none: a bias's column reads 0). scatter is its
// adjoint; it is written as a per-neuron *pull* over a CSR list of incident parameters, so no float
// atomics are needed and the sum order is fixed (deterministic results).
import { header, linearMain, type Kernel } from './kernel.js';
import { DIM_FIELDS, dimValues, SPLIT_INDEX, type Dims4 } from './view.js';

const SITE_IN = { name: 'site_in', type: 'u32' as const };

// Both run one invocation per output *row* (n, s, site) and loop over its u.d3 channels: the index
// split (integer division, slow on lavapipe) and the table lookups happen once per row, not once
// per element, and the channel loop reads and writes contiguous memory. u.count = rows.

/**
 * out[n, s, p, c] = idx[p] >= 0 ? x[n, s, idx[p], c] : 0, with x's site size u.site_in. With
 * `vec4` (channels divisible by 4, u.d3 then counts vec4 units) rows move as vec4 runs.
 */
export function gatherKernel(vec4 = false): Kernel {
  const uniforms = [...DIM_FIELDS, SITE_IN];
  const unit = vec4 ? 'vec4f' : 'f32';
  const bindings = [
    { name: 'x', element: unit, access: 'read' as const },
    { name: 'idx', element: 'i32', access: 'read' as const },
    { name: 'out', element: unit, access: 'read_write' as const },
  ];
  const body = `  let t = i % u.d2;
  let ns = i / u.d2;
  let j = idx[t];
  let o = i * u.d3;
  if (j >= 0) {
    let src = (ns * u.site_in + u32(j)) * u.d3;
    for (var c = 0u; c < u.d3; c++) { out[o + c] = x[src + c]; }
  } else {
    for (var c = 0u; c < u.d3; c++) { out[o + c] = ${unit}(0.0); }
  }`;
  const name = vec4 ? 'gather_v4' : 'gather';
  return { name, source: `// ${name}: neurons -> params along an incidence table, one row per invocation${vec4 ? ', vec4 runs' : ''}\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

/**
 * out[n, s, t, c] = Σ_{k in [start[t], start[t+1])} x[n, s, members[k], c], x's site size u.site_in.
 * With `vec4` (channels divisible by 4, u.d3 then counts vec4 units) sums run on vec4 runs.
 */
export function scatterKernel(vec4 = false): Kernel {
  const uniforms = [...DIM_FIELDS, SITE_IN];
  const unit = vec4 ? 'vec4f' : 'f32';
  const bindings = [
    { name: 'x', element: unit, access: 'read' as const },
    { name: 'start', element: 'u32', access: 'read' as const },
    { name: 'members', element: 'u32', access: 'read' as const },
    { name: 'out', element: unit, access: 'read_write' as const },
  ];
  const body = `  let t = i % u.d2;
  let base = (i / u.d2) * u.site_in;
  let o = i * u.d3;
  let first = start[t];
  let last = start[t + 1u];
  for (var c = 0u; c < u.d3; c++) {
    var acc = ${unit}(0.0);
    for (var k = first; k < last; k++) { acc += x[(base + members[k]) * u.d3 + c]; }
    out[o + c] = acc;
  }`;
  const name = vec4 ? 'scatter_v4' : 'scatter';
  return { name, source: `// ${name}: params -> neurons, summing every incident parameter, one row per invocation${vec4 ? ', vec4 runs' : ''}\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

/**
 * The uniforms of a gather or scatter over output dims `d` from a source with `siteIn` sites
 * (`vec4`: channels counted in vec4 units).
 */
export function incidenceUniforms(d: Dims4, siteIn: number, vec4 = false): Record<string, number> & { count: number } {
  const units: Dims4 = vec4 ? [d[0], d[1], d[2], d[3] / 4] : d;
  return { ...dimValues(units), count: d[0] * d[1] * d[2], site_in: siteIn };
}

/** CSR form of an incidence table for `scatter`: for each neuron, the parameters that point at it. */
export function incidenceCsr(idx: Int32Array, neurons: number): { start: Uint32Array; members: Uint32Array } {
  const start = new Uint32Array(neurons + 1);
  for (const j of idx) if (j >= 0) start[j + 1] = start[j + 1]! + 1;
  for (let t = 0; t < neurons; t++) start[t + 1] = start[t + 1]! + start[t]!;
  const fill = start.slice(0, neurons);
  const members = new Uint32Array(Math.max(1, start[neurons]!));
  idx.forEach((j, p) => {
    if (j >= 0) members[fill[j]!++] = p;
  });
  return { start, members };
}

/**
 * A sparse linear map along the site axis (the `site_term` op: each output position averages the
 * related input positions): out[n, s, o, c] = Σ_{k in [start[o], start[o+1])} weight[k] · x[n, s, col[k], c].
 */
export function sparseSiteKernel(): Kernel {
  const uniforms = [...DIM_FIELDS, SITE_IN];
  const bindings = [
    { name: 'x', element: 'f32', access: 'read' as const },
    { name: 'start', element: 'u32', access: 'read' as const },
    { name: 'col', element: 'u32', access: 'read' as const },
    { name: 'weight', element: 'f32', access: 'read' as const },
    { name: 'out', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${SPLIT_INDEX}
  let base = (n * u.d1 + s) * u.site_in;
  var acc = 0.0;
  for (var k = start[t]; k < start[t + 1u]; k++) {
    acc += weight[k] * x[(base + col[k]) * u.d3 + c];
  }
  out[i] = acc;`;
  return { name: 'site_term', source: `// site_term: sparse linear map along the site axis\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}
