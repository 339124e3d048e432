// A keyed mean's per-key means, for readers that look each position's key up themselves (an
// elementwise kernel reading a segment_mean or site_term through the out-key table, plan.ts):
//   means[n, s, k, c] = scale[k] · Σ_{i with key k} x[n, s, i, c]
// the first pass of site-term.ts with its scale applied, so that no second pass writes the
// full-size [n, s, out, c] tensor (blocknorm's two segment means over the 2,410 parameters).
import { header, linearMain, type Kernel } from './kernel.js';
import { DIM_FIELDS, SPLIT_INDEX } from './view.js';

/** One invocation per (n, s, key, c) (uniforms: dims of `means`, site_in). */
export function siteKeyMeanKernel(): Kernel {
  const uniforms = [...DIM_FIELDS, { name: 'site_in', type: 'u32' as const }];
  const bindings = [
    { name: 'x', element: 'f32', access: 'read' as const },
    { name: 'start', element: 'u32', access: 'read' as const },
    { name: 'members', element: 'u32', access: 'read' as const },
    { name: 'scale', element: 'f32', access: 'read' as const },
    { name: 'means', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${SPLIT_INDEX}
  let base = (n * u.d1 + s) * u.site_in;
  var acc = 0.0;
  for (var k = start[t]; k < start[t + 1u]; k++) { acc += x[(base + members[k]) * u.d3 + c]; }
  means[i] = scale[t] * acc;`;
  return { name: 'site_key_mean', source: `// site_key_mean: a keyed mean's inputs averaged per key\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}
