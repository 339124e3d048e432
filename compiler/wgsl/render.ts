// Rendering a target MLP with Θ-valued weights (ops `render`, `render_vjp`): each invocation runs
// the whole network on one point, keeping every layer's values in private arrays. Private arrays
// need sizes known when the shader is compiled, so the target's widths and parameter offsets are
// written into the kernel (one pipeline per target shape); batch and point counts stay uniforms.
//
// Buffers: theta [B|1, P] (thetaStride P or 0), coords [B|1, n, d_0] (coordsStride n·d_0 or 0),
// y and dy [B, n, d_L].
import { activationWgsl, TANH } from './activation.js';
import type { MlpSpec, TargetLayout } from '../spaces/target.js';
import { header, linearMain, type Kernel, type UniformField } from './kernel.js';

const UNIFORMS: UniformField[] = [
  ...(['count', 'points', 'thetaStride', 'coordsStride', 'zero'] as const).map((name) => ({ name, type: 'u32' as const })),
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
    source: `// render: the MLP ${spec.widths.join('→')} with per-element θ at every point\n${header(UNIFORMS, bindings)}${TANH}${linearMain('u.count', body)}`,
    uniforms: [...UNIFORMS], bindings, workgroup: [64, 1],
  };
}

/**
 * One invocation per (batch element e, chunk c): the θ-gradient summed over the points k ≡ c
 * (mod chunks), written to partial[e, c, :]; the planner sums the chunks. Each invocation owns
 * its partial row, so no two invocations write the same address.
 */
export function renderVjpKernel(layout: TargetLayout): Kernel {
  const spec = mlpSpecOf(layout);
  const L = spec.widths.length - 1;
  const P = layout.paramCount;
  const uniforms: UniformField[] = [...UNIFORMS, { name: 'chunks', type: 'u32' }];
  const bindings = [
    { name: 'theta', element: 'f32', access: 'read' as const },
    { name: 'coords', element: 'f32', access: 'read' as const },
    { name: 'dy', element: 'f32', access: 'read' as const },
    { name: 'partial', element: 'f32', access: 'read_write' as const },
  ];
  const { derivative } = activationWgsl(spec.activation);
  const backward: string[] = [];
  for (let l = L; l >= 1; l--) {
    const rows = spec.widths[l]!;
    const cols = spec.widths[l - 1]!;
    const W = layout.params[2 * (l - 1)]!;
    const bias = layout.params[2 * (l - 1) + 1]!;
    backward.push(`    for (var p = 0u; p < ${bound(rows)}; p++) {
      let gp = g${l}[p];
      partial[out + ${bias.offset}u + p] += gp;
      for (var q = 0u; q < ${bound(cols)}; q++) { partial[out + ${W.offset}u + p * ${cols}u + q] += gp * a${l - 1}[q]; }
    }`);
    if (l > 1) {
      backward.push(`    var g${l - 1}: array<f32, ${cols}>;
    for (var q = 0u; q < ${bound(cols)}; q++) {
      var acc = 0.0;
      for (var p = 0u; p < ${bound(rows)}; p++) { acc += theta[t0 + ${W.offset}u + p * ${cols}u + q] * g${l}[p]; }
      let s = u${l - 1}[q];
      g${l - 1}[q] = acc * (${derivative});
    }`);
    }
  }
  const dL = spec.widths[L]!;
  const body = `  let e = i / u.chunks;
  let out = i * ${P}u;
  for (var j = 0u; j < ${P}u; j++) { partial[out + j] = 0.0; }
  for (var k = i % u.chunks; k < u.points; k += u.chunks) {
    let point = e * u.points + k;
${indent(pointPrologue(spec, 'point'))}
${indent(forwardLayers(layout, spec, true))}
    var g${L}: array<f32, ${dL}>;
    for (var o = 0u; o < ${dL}u; o++) { g${L}[o] = dy[point * ${dL}u + o]; }
${backward.join('\n')}
  }`;
  return {
    name: `render_vjp_${shapeName(spec)}`,
    source: `// render_vjp: θ-gradients of the MLP ${spec.widths.join('→')} summed over a chunk of points\n${header(uniforms, bindings)}${TANH}${linearMain('u.count', body)}`,
    uniforms, bindings, workgroup: [64, 1],
  };
}

/** Loads the point's coordinates into a0 and finds its θ (t0). `point` indexes [B, n]. */
function pointPrologue(spec: MlpSpec, point = 'i'): string {
  const d0 = spec.widths[0]!;
  return `  let t0 = (${point} / u.points) * u.thetaStride;
  let x0 = (${point} / u.points) * u.coordsStride + (${point} % u.points) * ${d0}u;
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

function indent(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}

function shapeName(spec: MlpSpec): string {
  return `${spec.widths.join('x')}_${spec.activation.kind}`;
}

function mlpSpecOf(layout: TargetLayout): MlpSpec {
  if (layout.spec.kind !== 'mlp') throw new Error(`internal: render needs an mlp target, got ${layout.name}`);
  return layout.spec;
}
