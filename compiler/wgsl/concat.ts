// A channel concatenation of several parts in one dispatch: each invocation writes one output entry,
// read from the part its channel falls in (a chain of branches: WGSL binds buffers statically, so a
// kernel serves a fixed number of parts, and the planner dispatches one per CONCAT_PARTS parts).
// A copy per part was a dispatch each: the 32 stacked weights of UNF's np-group layer
// (compiler/optimize/rules/site-terms.ts) were 32 dispatches of a few hundred floats.
import { header, linearMain, type Kernel } from './kernel.js';
import { DIM_FIELDS, SPLIT_INDEX, viewFields } from './view.js';

/** Parts per dispatch: with the output, 13 storage buffers (lavapipe allows 16, as fused kernels use). */
export const CONCAT_PARTS = 12;

/**
 * `parts` parts into channels [0, e_{parts−1}) of the output view `o` (uniforms: dims of that
 * channel range, the view, and per part p its view x{p} and its channel end e{p}).
 */
export function concatKernel(parts: number): Kernel {
  const ids = Array.from({ length: parts }, (_, p) => p);
  const uniforms = [...DIM_FIELDS, ...viewFields('o'), ...ids.flatMap((p) => [...viewFields(`x${p}`), { name: `e${p}`, type: 'u32' as const }])];
  const bindings = [
    ...ids.map((p) => ({ name: `x${p}`, element: 'f32', access: 'read' as const })),
    { name: 'out', element: 'f32', access: 'read_write' as const },
  ];
  const read = (p: number): string => {
    const c = p === 0 ? 'c' : `(c - u.e${p - 1})`;
    return `x${p}[u.x${p}_off + n * u.x${p}_s0 + s * u.x${p}_s1 + t * u.x${p}_s2 + ${c} * u.x${p}_s3]`;
  };
  const branches = ids.map((p) => (p === parts - 1 ? `{ v = ${read(p)}; }` : `if (c < u.e${p}) { v = ${read(p)}; }`)).join(' else ');
  const body = `${SPLIT_INDEX}
  var v = 0.0;
  ${branches}
  out[u.o_off + n * u.o_s0 + s * u.o_s1 + t * u.o_s2 + c * u.o_s3] = v;`;
  return { name: `concat_${parts}`, source: `// concat_${parts}: ${parts} parts along channels\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}
