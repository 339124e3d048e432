// Reductions over the set and/or site axis (sum or mean; the mean is a sum times a uniform 1/count),
// and the fine group's segment mean: the mean over each neuron's own segment, broadcast back.
import { header, linearMain, type Kernel } from './kernel.js';
import { DIM_FIELDS, SPLIT_INDEX, viewFields, viewIndex } from './view.js';

/**
 * out[n, s, t, c] = scale · Σ_{a < u.r1, b < u.r2} x[view_x(n, s + a, t + b, c)]
 * The output dims have size 1 on each reduced axis (so s = t = 0 there), and r1 / r2 are the
 * reduced sizes (1 for an axis that is kept). With `lanes` > 1 each invocation sums `lanes`
 * consecutive channels (the output's channel count must divide by it).
 */
export function reduceKernel(lanes = 1): Kernel {
  const uniforms = [...DIM_FIELDS, ...viewFields('x'), { name: 'r1', type: 'u32' as const }, { name: 'r2', type: 'u32' as const }, { name: 'scale', type: 'f32' as const }];
  const bindings = [
    { name: 'x', element: 'f32', access: 'read' as const },
    { name: 'out', element: 'f32', access: 'read_write' as const },
  ];
  const ls = Array.from({ length: lanes }, (_, l) => l);
  const lane = (l: number): string => (l === 0 ? '' : ` + ${l}u * u.x_s3`);
  const body = `${SPLIT_INDEX}
  let base = ${viewIndex('x')};
${ls.map((l) => `  var acc${l} = 0.0;`).join('\n')}
  for (var a = 0u; a < u.r1; a++) {
    let row = base + a * u.x_s1;
    for (var b = 0u; b < u.r2; b++) {
      let at = row + b * u.x_s2;
${ls.map((l) => `      acc${l} += x[at${lane(l)}];`).join('\n')}
    }
  }
${ls.map((l) => `  out[i${l === 0 ? '' : ` + ${l}u`}] = acc${l} * u.scale;`).join('\n')}`;
  const name = lanes === 1 ? 'reduce' : `reduce_x${lanes}`;
  return { name, source: `// ${name}: sum over the set and/or site axis, times a scale\n${header(uniforms, bindings)}${linearMain('u.count', body, lanes)}`, uniforms, bindings, workgroup: [64, 1] };
}

/**
 * out[n, s, t, c] = mean over j in segment(t) of x[n, s, j, c], with segment(t) = [seg[2t], seg[2t]+seg[2t+1]).
 * Contiguous input [d0, d1, d2, d3].
 */
export function segmentMeanKernel(): Kernel {
  const uniforms = [...DIM_FIELDS];
  const bindings = [
    { name: 'x', element: 'f32', access: 'read' as const },
    { name: 'seg', element: 'u32', access: 'read' as const },
    { name: 'out', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${SPLIT_INDEX}
  let start = seg[2u * t];
  let size = seg[2u * t + 1u];
  let base = (n * u.d1 + s) * u.d2 * u.d3 + c;
  var acc = 0.0;
  for (var j = 0u; j < size; j++) {
    acc += x[base + (start + j) * u.d3];
  }
  out[i] = acc / f32(size);`;
  return { name: 'segment_mean', source: `// segment_mean: per-segment mean over the site axis, broadcast back\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}
