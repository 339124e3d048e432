// Rendering a target MLP with Θ-valued weights (ops `render`, `render_vjp`): each invocation runs
// the whole network on one point, keeping every layer's values in private arrays. Private arrays
// need sizes known when the shader is compiled, so the target's widths and parameter offsets are
// written into the kernel (one pipeline per target shape); batch and point counts stay uniforms.
//
// Buffers: theta [B|1, P] (thetaStride P or 0), coords [B|1, n, d_0] (coordsStride n·d_0 or 0),
// y and dy [B, n, d_L].
import { activationWgsl, TANH } from './activation.js';
import type { MlpSpec, TargetLayout } from '../spaces/target.js';
import { header, LINEAR_WORKGROUP, type Kernel, type UniformField } from './kernel.js';

const UNIFORMS: UniformField[] = [
  ...(['points', 'thetaStride', 'coordsStride', 'zero'] as const).map((name) => ({ name, type: 'u32' as const })),
  { name: 'omega0', type: 'f32' },
];

/** One invocation per (batch element, point): y[e, k] = f_θe(coords[e, k]). */
export function renderKernel(layout: TargetLayout): Kernel {
  const spec = mlpSpecOf(layout);
  const L = spec.widths.length - 1;
  const bindings = [
    { name: 'theta', element: 'f32', access: 'read' as const },
    { name: 'coords', element: 'f32', access: 'read' as const },
    { name: 'y', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${pointPrologue(spec)}
${forwardLayers(layout, spec, false)}
  for (var o = 0u; o < ${spec.widths[L]}u; o++) { y[i * ${spec.widths[L]}u + o] = a${L}[o]; }`;
  return {
    name: `render_${shapeName(spec)}`,
    source: `// render: the MLP ${spec.widths.join('→')} with per-element θ at every point\n${header(UNIFORMS, bindings)}${TANH}${pointMain(body)}`,
    uniforms: [...UNIFORMS], bindings, workgroup: [64, 1],
  };
}

/**
 * Where each point's factors lie in the scratch row render_vjp's two passes share: the layer
 * inputs a_0 … a_{L−1}, then the back-propagated signals g_1 … g_L (∂loss/∂u_l). The θ-gradient is
 * their outer products summed over the points (∂W_l = Σ_k g_l aᵀ_{l−1}, ∂b_l = Σ_k g_l).
 */
export interface FactorLayout {
  /** Floats per point. */
  width: number;
  /** a_l at `a[l]` (l < L), g_l at `g[l]` (l ≥ 1; g[0] unused). */
  a: number[];
  g: number[];
}

export function renderFactorLayout(layout: TargetLayout): FactorLayout {
  const { widths } = mlpSpecOf(layout);
  const L = widths.length - 1;
  const a: number[] = [];
  const g: number[] = [0];
  let at = 0;
  for (let l = 0; l < L; l++) { a.push(at); at += widths[l]!; }
  for (let l = 1; l <= L; l++) { g.push(at); at += widths[l]!; }
  return { width: at, a, g };
}

/**
 * render_vjp, pass 1: one invocation per (batch element, point) runs the network forward and
 * back and writes the point's factors (renderFactorLayout) to its own row of `factors`.
 */
export function renderFactorsKernel(layout: TargetLayout): Kernel {
  const spec = mlpSpecOf(layout);
  const L = spec.widths.length - 1;
  const f = renderFactorLayout(layout);
  const bindings = [
    { name: 'theta', element: 'f32', access: 'read' as const },
    { name: 'coords', element: 'f32', access: 'read' as const },
    { name: 'dy', element: 'f32', access: 'read' as const },
    { name: 'factors', element: 'f32', access: 'read_write' as const },
  ];
  const { derivative } = activationWgsl(spec.activation);
  const lines: string[] = [];
  for (let l = 0; l < L; l++) {
    lines.push(`  for (var q = 0u; q < ${bound(spec.widths[l]!)}; q++) { factors[row + (${f.a[l]}u + q) * u.points] = a${l}[q]; }`);
  }
  const dL = spec.widths[L]!;
  lines.push(`  var g${L}: array<f32, ${dL}>;
  for (var o = 0u; o < ${dL}u; o++) { g${L}[o] = dy[i * ${dL}u + o]; factors[row + (${f.g[L]}u + o) * u.points] = g${L}[o]; }`);
  for (let l = L; l > 1; l--) {
    const rows = spec.widths[l]!;
    const cols = spec.widths[l - 1]!;
    const W = layout.params[2 * (l - 1)]!;
    lines.push(`  var g${l - 1}: array<f32, ${cols}>;
  for (var q = 0u; q < ${bound(cols)}; q++) {
    var acc = 0.0;
    for (var p = 0u; p < ${bound(rows)}; p++) { acc += theta[t0 + ${W.offset}u + p * ${cols}u + q] * g${l}[p]; }
    let s = u${l - 1}[q];
    g${l - 1}[q] = acc * (${derivative});
    factors[row + (${f.g[l - 1]}u + q) * u.points] = g${l - 1}[q];
  }`);
  }
  const body = `  let row = e * ${f.width}u * u.points + k;
${pointPrologue(spec)}
${forwardLayers(layout, spec, true)}
${lines.join('\n')}`;
  return {
    name: `render_factors_${shapeName(spec)}`,
    source: `// render_vjp pass 1: per point, the inputs and back-propagated signals of every layer of the MLP ${spec.widths.join('→')}\n${header(UNIFORMS, bindings)}${TANH}${pointMain(body)}`,
    uniforms: [...UNIFORMS], bindings, workgroup: [64, 1],
  };
}

/**
 * render_vjp, pass 2: one invocation per (batch element, parameter) sums its parameter's outer
 * product entry over the element's points, reading the factors pass 1 wrote. Every invocation
 * writes one output and the inner loop only reads (no accumulation in global memory, no partial
 * sums to reduce); neighbouring invocations read neighbouring a_{l−1} entries and the same g_l.
 * Four interleaved accumulators shorten the float32 sums' error chain.
 */
export function renderGradKernel(layout: TargetLayout): Kernel {
  const spec = mlpSpecOf(layout);
  const L = spec.widths.length - 1;
  const P = layout.paramCount;
  const f = renderFactorLayout(layout);
  const uniforms: UniformField[] = (['points', 'zero'] as const).map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'factors', element: 'f32', access: 'read' as const },
    { name: 'grad', element: 'f32', access: 'read_write' as const },
  ];
  // Which factor pair parameter j multiplies: g_l[p] · a_{l−1}[q] (weights) or g_l[p] (biases).
  const cases: string[] = [];
  for (let l = 1; l <= L; l++) {
    const cols = spec.widths[l - 1]!;
    const W = layout.params[2 * (l - 1)]!;
    const bias = layout.params[2 * (l - 1) + 1]!;
    cases.push(`if (j >= ${W.offset}u && j < ${W.offset + W.rows * cols}u) { let r = j - ${W.offset}u; gi = ${f.g[l]}u + r / ${cols}u; ai = ${f.a[l - 1]}u + r % ${cols}u; }`);
    cases.push(`if (j >= ${bias.offset}u && j < ${bias.offset + bias.rows}u) { gi = ${f.g[l]}u + j - ${bias.offset}u; isBias = true; }`);
  }
  const body = `  var gi = 0u;
  var ai = 0u;
  var isBias = false;
  ${cases.join(' else ')}
  let g = e * ${f.width}u * u.points + gi * u.points;
  let a = e * ${f.width}u * u.points + ai * u.points;
  let n4 = u.points - u.points % 4u;
  var s0 = 0.0; var s1 = 0.0; var s2 = 0.0; var s3 = 0.0;
  if (isBias) {
    for (var k = 0u; k < n4; k += 4u) { s0 += factors[g + k]; s1 += factors[g + k + 1u]; s2 += factors[g + k + 2u]; s3 += factors[g + k + 3u]; }
    for (var k = n4; k < u.points; k++) { s0 += factors[g + k]; }
  } else {
    for (var k = 0u; k < n4; k += 4u) {
      s0 += factors[g + k] * factors[a + k];
      s1 += factors[g + k + 1u] * factors[a + k + 1u];
      s2 += factors[g + k + 2u] * factors[a + k + 2u];
      s3 += factors[g + k + 3u] * factors[a + k + 3u];
    }
    for (var k = n4; k < u.points; k++) { s0 += factors[g + k] * factors[a + k]; }
  }
  grad[e * ${P}u + j] = (s0 + s1) + (s2 + s3);`;
  return {
    name: `render_grad_${shapeName(spec)}`,
    source: `// render_vjp pass 2: θ-gradients of the MLP ${spec.widths.join('→')}, each summed over the points from the factors\n${header(uniforms, bindings)}${paramMain(P, body)}`,
    uniforms, bindings, workgroup: [64, 1],
  };
}

/**
 * The entry point of the per-point kernels: workgroups along x cover one element's points, the
 * grid's y is the batch element (pointGrid). The element index `e` comes from the workgroup id, so
 * the shader compiler sees it (and every θ address) as uniform: lavapipe then loads each θ entry
 * once per SIMD batch of points instead of gathering it per point.
 */
function pointMain(body: string): string {
  return `@compute @workgroup_size(${LINEAR_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let e = wid.y;
  let k = gid.x;
  if (k >= u.points) { return; }
  let i = e * u.points + k;
${body}
}
`;
}

/** The entry point of render_grad: x covers the parameters j, y is the element e (uniform, as in pointMain). */
function paramMain(P: number, body: string): string {
  return `@compute @workgroup_size(${LINEAR_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let e = wid.y;
  let j = gid.x;
  if (j >= ${P}u) { return; }
${body}
}
`;
}

/** Workgroups of a per-point kernel over `batch` elements of `points` points. */
export function pointGrid(batch: number, points: number): [number, number, number] {
  if (batch > 65535) throw new Error(`internal: render over ${batch} elements exceeds the grid's 65535 rows`);
  return [Math.ceil(points / LINEAR_WORKGROUP), batch, 1];
}

/** Loads point k's coordinates of element e into a0 and finds its θ (t0). */
function pointPrologue(spec: MlpSpec): string {
  const d0 = spec.widths[0]!;
  return `  let t0 = e * u.thetaStride;
  let x0 = e * u.coordsStride + k * ${d0}u;
  var a0: array<f32, ${d0}>;
  for (var q = 0u; q < ${d0}u; q++) { a0[q] = coords[x0 + q]; }`;
}

/** u_l = W_l a_{l-1} + b_l, a_l = σ(u_l) (the last layer linear); `keepPre` also keeps u_l. */
function forwardLayers(layout: TargetLayout, spec: MlpSpec, keepPre: boolean): string {
  const L = spec.widths.length - 1;
  const { value } = activationWgsl(spec.activation);
  const lines: string[] = [];
  for (let l = 1; l <= L; l++) {
    const rows = spec.widths[l]!;
    const cols = spec.widths[l - 1]!;
    const W = layout.params[2 * (l - 1)]!;
    const bias = layout.params[2 * (l - 1) + 1]!;
    const store = l === L ? 's' : value;
    lines.push(`  var a${l}: array<f32, ${rows}>;${keepPre && l < L ? `\n  var u${l}: array<f32, ${rows}>;` : ''}
  for (var p = 0u; p < ${bound(rows)}; p++) {
    var s = theta[t0 + ${bias.offset}u + p];
    for (var q = 0u; q < ${bound(cols)}; q++) { s += theta[t0 + ${W.offset}u + p * ${cols}u + q] * a${l - 1}[q]; }${keepPre && l < L ? `\n    u${l}[p] = s;` : ''}
    a${l}[p] = ${store};
  }`);
  }
  return lines.join('\n');
}

/**
 * A layer width as a loop bound that the shader compiler cannot see through (`zero` is a uniform
 * set to 0): with constant bounds lavapipe's LLVM unrolls the nested loops completely, and
 * compiling render for 2→16→16→1 took 176 s.
 */
function bound(width: number): string {
  return `${width}u + u.zero`;
}

function shapeName(spec: MlpSpec): string {
  return `${spec.widths.join('x')}_${spec.activation.kind}`;
}

function mlpSpecOf(layout: TargetLayout): MlpSpec {
  if (layout.spec.kind !== 'mlp') throw new Error(`internal: render needs an mlp target, got ${layout.name}`);
  return layout.spec;
}
