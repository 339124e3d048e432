// Every tensor a kernel touches is seen through a *view*: an element offset plus one stride per
// logical axis [batch, set, site, channel]. A missing axis has stride 0, which is how broadcasting,
// concatenation (an output view with a channel offset), slicing (an input view with one) and fold /
// unfold (permuted strides) all become the same strided kernels.

export type Dims4 = [number, number, number, number];

export interface View {
  offset: number;
  strides: Dims4;
}

/** The contiguous row-major view of a tensor with dims [batch, set, site, channel]. */
export function contiguous(dims: Dims4, offset = 0): View {
  const [, d1, d2, d3] = dims;
  return { offset, strides: [d1 * d2 * d3, d2 * d3, d3, 1] };
}

/** Uniform fields for a view named `p`: p_off, p_s0..p_s3. */
export function viewFields(p: string): { name: string; type: 'u32' }[] {
  return ['off', 's0', 's1', 's2', 's3'].map((f) => ({ name: `${p}_${f}`, type: 'u32' as const }));
}

export function viewValues(p: string, view: View): Record<string, number> {
  return {
    [`${p}_off`]: view.offset,
    [`${p}_s0`]: view.strides[0],
    [`${p}_s1`]: view.strides[1],
    [`${p}_s2`]: view.strides[2],
    [`${p}_s3`]: view.strides[3],
  };
}

/** WGSL expression for the element index of view `p` at coordinates n, s, t, c. */
export function viewIndex(p: string): string {
  return `u.${p}_off + n * u.${p}_s0 + s * u.${p}_s1 + t * u.${p}_s2 + c * u.${p}_s3`;
}

/** WGSL that splits a linear index `i` over dims [*, u.d1, u.d2, u.d3] into n, s, t, c. */
export const SPLIT_INDEX = `  let c = i % u.d3;
  let t = (i / u.d3) % u.d2;
  let s = (i / (u.d3 * u.d2)) % u.d1;
  let n = i / (u.d3 * u.d2 * u.d1);`;

export const DIM_FIELDS = [
  { name: 'count', type: 'u32' as const },
  { name: 'd1', type: 'u32' as const },
  { name: 'd2', type: 'u32' as const },
  { name: 'd3', type: 'u32' as const },
];

export function dimValues(dims: Dims4): Record<string, number> {
  return { count: dims[0] * dims[1] * dims[2] * dims[3], d1: dims[1], d2: dims[2], d3: dims[3] };
}
