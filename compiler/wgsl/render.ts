// Rendering a target MLP with Θ-valued weights (ops `render`, `render_vjp`): each invocation runs
// the whole network on one point. Private arrays need sizes known when the shader is compiled, so
// the target's widths and parameter offsets are written into the kernel (one pipeline per target
// shape); batch and point counts stay uniforms.
//
// Kernel shape (measured on lavapipe, where a SIMD lane is an invocation and every memory access
// whose address differs between lanes costs a per-lane load): a layer's values live in vec4
// private arrays, and a layer is computed a group of `rowGroup` outputs at a time, the group's
// sums held in vec4 registers while a loop walks the inputs four at a time; the element's θ
// addresses are the same in every lane (the element comes from the workgroup id), so each weight
// is one broadcast load per SIMD batch of points. Reading an input block is the loop's only
// per-lane access. Widths that are not multiples of 4 are padded with zeros (padded rows are
// masked, weight addresses clamped to the block, so an element never reads another's θ).
//
// Buffers: theta [B|1, P] (thetaStride P or 0), coords [B|1, n, d_0] (coordsStride n·d_0 or 0),
// y and dy [B, n, d_L].
import { activationWgsl, TANH } from './activation.js';
import type { MlpSpec, TargetLayout } from '../spaces/target.js';
import { header, type Kernel, type UniformField } from './kernel.js';

/** The kernel shape of the render kernels: parameters, so that a GPU can use others. */
export interface RenderShape {
  /** Invocations (points) per workgroup of the per-point kernels. */
  pointWorkgroup: number;
  /** Points each invocation of a per-point kernel runs (each weight read serves them all). */
  pointsPerInvocation: number;
  /** Outputs of a layer summed at once in registers (a multiple of 4). */
  rowGroup: number;
  /** Largest weight table staged in workgroup memory (bytes; larger ones are read from θ). */
  stageBytes: number;
  /** Invocations per workgroup of the gradient kernel (one block of a parameter matrix each). */
  gradWorkgroup: number;
  /** Rows and columns of a gradient block, in vec4s (a block is 4·rows × 4·cols entries). */
  gradBlock: [number, number];
}

/** Measured on lavapipe (Mesa 25.0.7, 2 cores): docs/performance.md, INR fitting. */
export const RENDER_SHAPE: RenderShape = { pointWorkgroup: 32, pointsPerInvocation: 4, rowGroup: 16, stageBytes: 16384, gradWorkgroup: 32, gradBlock: [4, 2] };

const UNIFORMS: UniformField[] = [
  ...(['points', 'thetaStride', 'coordsStride', 'zero'] as const).map((name) => ({ name, type: 'u32' as const })),
  { name: 'omega0', type: 'f32' },
];

/**
 * One invocation per (batch element, `points` points): y[e, k] = f_θe(coords[e, k]). With
 * `keepFactors` it also writes each point's layer inputs and σ'(u_l) to its row of `factors`, so
 * that the render_vjp of the same θ and points runs only the backward pass (renderSignalsKernel).
 */
export function renderKernel(layout: TargetLayout, shape: RenderShape = RENDER_SHAPE, keepFactors = false): Kernel {
  const spec = mlpSpecOf(layout);
  const L = spec.widths.length - 1;
  const dL = spec.widths[L]!;
  const staged = stagedWeights(layout, shape);
  const f = renderFactorLayout(layout);
  const bindings = [
    { name: 'theta', element: 'f32', access: 'read' as const },
    { name: 'coords', element: 'f32', access: 'read' as const },
    { name: 'y', element: 'f32', access: 'read_write' as const },
    ...(keepFactors ? [{ name: 'factors', element: 'vec4f', access: 'read_write' as const }] : []),
  ];
  const out = perPoint(shape, (t) => Array.from({ length: dL }, (_, o) => `y[k${t} * ${dL}u + ${o}u] = a${L}_${t}[${o >> 2}].${'xyzw'[o & 3]};`).join(' '));
  const body = `${pointPrologue(spec, shape)}
${keepFactors ? factorRows(shape, f) : ''}
${forwardLayers(spec, shape, staged, keepFactors ? 'factors' : 'none', f)}
${keepFactors ? inputRows(spec, shape, f) : ''}
${out}`;
  return {
    name: `render${keepFactors ? '_keep' : ''}_${shapeName(spec)}_${shapeTag(shape)}`,
    source: `// render: the MLP ${spec.widths.join('→')} with per-element θ at every point${keepFactors ? ', keeping the factors of its render_vjp' : ''}\n${header(UNIFORMS, bindings)}${activationFns(spec)}${staged.declaration}${pointMain(body, shape, staged)}`,
    uniforms: [...UNIFORMS], bindings, workgroup: [shape.pointWorkgroup, 1],
  };
}

/** Each point's row of `factors` (row0, row1, …). */
function factorRows(shape: RenderShape, f: FactorLayout): string {
  return Array.from({ length: shape.pointsPerInvocation }, (_, t) => `  let row${t} = k${t} * ${f.width / 4}u;`).join('\n');
}

/** Writes every point's layer inputs a_0 … a_{L−1} to its factor row. */
function inputRows(spec: MlpSpec, shape: RenderShape, f: FactorLayout): string {
  const L = spec.widths.length - 1;
  const lines: string[] = [];
  for (let l = 0; l < L; l++) {
    lines.push(perPoint(shape, (t) => Array.from({ length: blocks(spec.widths[l]!) }, (_, b) => `factors[row${t} + ${f.a[l]! / 4 + b}u] = a${l}_${t}[${b}];`).join(' ')));
  }
  return lines.join('\n');
}

/** g_L of every point from dy, kept in g{L}_t and written to its factor row. */
function outputSignals(spec: MlpSpec, shape: RenderShape, f: FactorLayout): string {
  const L = spec.widths.length - 1;
  const dL = spec.widths[L]!;
  const lines: string[] = [];
  for (let t = 0; t < shape.pointsPerInvocation; t++) {
    lines.push(`  var g${L}_${t}: array<vec4f, ${blocks(dL)}>;`);
    for (let b = 0; b < blocks(dL); b++) {
      const parts = [0, 1, 2, 3].map((c) => (4 * b + c < dL ? `dy[k${t} * ${dL}u + ${4 * b + c}u]` : '0.0'));
      lines.push(`  g${L}_${t}[${b}] = vec4f(${parts.join(', ')});`);
    }
  }
  lines.push(perPoint(shape, (t) => Array.from({ length: blocks(dL) }, (_, b) => `factors[row${t} + ${f.g[L]! / 4 + b}u] = g${L}_${t}[${b}];`).join(' ')));
  return lines.join('\n');
}

/**
 * render_vjp pass 1 after a render that kept the factors: one invocation per (batch element,
 * `points` points) runs the network backward only, σ'(u_l) read from the factor row, and writes
 * the signals g_l to it.
 */
export function renderSignalsKernel(layout: TargetLayout, shape: RenderShape = RENDER_SHAPE): Kernel {
  const spec = mlpSpecOf(layout);
  const L = spec.widths.length - 1;
  const f = renderFactorLayout(layout);
  const staged = stagedWeights(layout, shape);
  const bindings = [
    { name: 'theta', element: 'f32', access: 'read' as const },
    { name: 'dy', element: 'f32', access: 'read' as const },
    { name: 'factors', element: 'vec4f', access: 'read_write' as const },
  ];
  const lines = [factorRows(shape, f), outputSignals(spec, shape, f)];
  for (let l = L; l > 1; l--) lines.push(backwardLayer(spec, shape, staged, l, f, (t, index) => `factors[row${t} + ${f.d[l - 1]! / 4}u + ${index}]`));
  return {
    name: `render_signals_${shapeName(spec)}_${shapeTag(shape)}`,
    source: `// render_vjp pass 1 (after a render that kept the factors): per point, the back-propagated signals of every layer of the MLP ${spec.widths.join('→')}\n${header(UNIFORMS, bindings)}${staged.declaration}${pointMain(lines.join('\n'), shape, staged)}`,
    uniforms: [...UNIFORMS], bindings, workgroup: [shape.pointWorkgroup, 1],
  };
}

/**
 * Where each point's factors lie in the scratch row render_vjp's passes share: the layer inputs
 * a_0 … a_{L−1}, the back-propagated signals g_1 … g_L (∂loss/∂u_l), then the hidden layers'
 * σ'(u_l) (written by a forward render that keeps factors for the render_vjp after it), each
 * padded to a multiple of 4 floats (vec4 blocks). The θ-gradient is the outer products of a and g
 * summed over the points (∂W_l = Σ_k g_l aᵀ_{l−1}, ∂b_l = Σ_k g_l).
 */
export interface FactorLayout {
  /** Floats per point (a multiple of 4). */
  width: number;
  /** a_l at float offset `a[l]` (l < L), g_l at `g[l]` (l ≥ 1; g[0] unused), σ'(u_l) at `d[l]` (0 < l < L); multiples of 4. */
  a: number[];
  g: number[];
  d: number[];
}

export function renderFactorLayout(layout: TargetLayout): FactorLayout {
  const { widths } = mlpSpecOf(layout);
  const L = widths.length - 1;
  const a: number[] = [];
  const g: number[] = [0];
  let at = 0;
  for (let l = 0; l < L; l++) { a.push(at); at += 4 * blocks(widths[l]!); }
  for (let l = 1; l <= L; l++) { g.push(at); at += 4 * blocks(widths[l]!); }
  const d: number[] = [0];
  for (let l = 1; l < L; l++) { d.push(at); at += 4 * blocks(widths[l]!); }
  return { width: at, a, g, d };
}

/**
 * render_vjp, pass 1: one invocation per (batch element, point) runs the network forward and
 * back and writes the point's factors (renderFactorLayout) to its own row of `factors`.
 */
export function renderFactorsKernel(layout: TargetLayout, shape: RenderShape = RENDER_SHAPE): Kernel {
  const spec = mlpSpecOf(layout);
  const L = spec.widths.length - 1;
  const f = renderFactorLayout(layout);
  const staged = stagedWeights(layout, shape);
  const bindings = [
    { name: 'theta', element: 'f32', access: 'read' as const },
    { name: 'coords', element: 'f32', access: 'read' as const },
    { name: 'dy', element: 'f32', access: 'read' as const },
    { name: 'factors', element: 'vec4f', access: 'read_write' as const },
  ];
  const lines = [inputRows(spec, shape, f), outputSignals(spec, shape, f)];
  for (let l = L; l > 1; l--) lines.push(backwardLayer(spec, shape, staged, l, f, (t, index) => `dact4(u${l - 1}_${t}[${index}])`));
  const body = `${pointPrologue(spec, shape)}
${factorRows(shape, f)}
${forwardLayers(spec, shape, staged, 'pre', f)}
${lines.join('\n')}`;
  return {
    name: `render_factors_${shapeName(spec)}_${shapeTag(shape)}`,
    source: `// render_vjp pass 1: per point, the inputs and back-propagated signals of every layer of the MLP ${spec.widths.join('→')}\n${header(UNIFORMS, bindings)}${activationFns(spec)}${staged.declaration}${pointMain(body, shape, staged)}`,
    uniforms: [...UNIFORMS], bindings, workgroup: [shape.pointWorkgroup, 1],
  };
}

/** The blocks of render_grad, in invocation order: every layer's weight blocks, then its bias blocks. */
function gradBlocks(spec: MlpSpec, shape: RenderShape): { layer: number; bias: boolean; start: number; count: number; perRow: number }[] {
  const [br, bc] = shape.gradBlock;
  const out: { layer: number; bias: boolean; start: number; count: number; perRow: number }[] = [];
  let start = 0;
  for (let l = 1; l < spec.widths.length; l++) {
    const rowBlocks = Math.ceil(blocks(spec.widths[l]!) / br);
    const colBlocks = Math.ceil(blocks(spec.widths[l - 1]!) / bc);
    out.push({ layer: l, bias: false, start, count: rowBlocks * colBlocks, perRow: colBlocks });
    start += rowBlocks * colBlocks;
    out.push({ layer: l, bias: true, start, count: rowBlocks, perRow: 1 });
    start += rowBlocks;
  }
  return out;
}

/** Workgroups of render_grad over `batch` elements. */
export function renderGradGrid(layout: TargetLayout, batch: number, shape: RenderShape = RENDER_SHAPE): [number, number, number] {
  const all = gradBlocks(mlpSpecOf(layout), shape);
  const last = all.at(-1)!;
  return elementGrid(batch, last.start + last.count, shape.gradWorkgroup);
}

/**
 * render_vjp, pass 2: one invocation per (batch element, block of a parameter matrix) sums the
 * block's outer products g_l aᵀ_{l−1} over the element's points, reading the factors pass 1
 * wrote: per point two vec4 loads per vec4 of rows and columns, 16 multiply-adds per pair. A bias
 * block is the same sum with a ≡ (1, 0, 0, 0). Every invocation writes its own outputs, and the
 * inner loop only reads (no accumulation in global memory, no partial sums to reduce).
 */
export function renderGradKernel(layout: TargetLayout, shape: RenderShape = RENDER_SHAPE): Kernel {
  const spec = mlpSpecOf(layout);
  const P = layout.paramCount;
  const f = renderFactorLayout(layout);
  const [br, bc] = shape.gradBlock;
  const uniforms: UniformField[] = (['points', 'zero'] as const).map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'factors', element: 'vec4f', access: 'read' as const },
    { name: 'grad', element: 'f32', access: 'read_write' as const },
  ];
  const all = gradBlocks(spec, shape);
  const total = all.at(-1)!.start + all.at(-1)!.count;
  // Which block invocation j sums: its g and a vec4 offsets within a point's row, its output.
  const cases = all.map((b) => {
    const l = b.layer;
    const rows = spec.widths[l]!;
    const cols = spec.widths[l - 1]!;
    const W = layout.params[2 * (l - 1)]!;
    const bias = layout.params[2 * (l - 1) + 1]!;
    const set = b.bias
      ? `rb = j - ${b.start}u; cb = 0u; gv = ${f.g[l]! / 4}u; av = 0u; isBias = true; rows = ${rows}u; cols = 1u; out = ${bias.offset}u;`
      : `rb = (j - ${b.start}u) / ${b.perRow}u; cb = (j - ${b.start}u) % ${b.perRow}u; gv = ${f.g[l]! / 4}u; av = ${f.a[l - 1]! / 4}u; rows = ${rows}u; cols = ${cols}u; out = ${W.offset}u;`;
    return `if (j < ${b.start + b.count}u) { ${set} }`;
  });
  const acc = (i: number, c: number): string => `s${i}_${c}`;
  const decl: string[] = [];
  const loads: string[] = [];
  const fma: string[] = [];
  for (let c = 0; c < bc; c++) loads.push(`    let a${c} = select(factors[p + av + cb * ${bc}u + ${c}u], vec4f(1.0, 0.0, 0.0, 0.0), isBias);`);
  for (let r = 0; r < br; r++) loads.push(`    let g${r} = factors[p + gv + rb * ${br}u + ${r}u];`);
  for (let r = 0; r < br; r++) {
    for (let i = 0; i < 4; i++) {
      for (let c = 0; c < bc; c++) {
        decl.push(`  var ${acc(4 * r + i, c)} = vec4f(0.0);`);
        fma.push(`    ${acc(4 * r + i, c)} += g${r}.${'xyzw'[i]} * a${c};`);
      }
    }
  }
  // Entry (r, c) of the block, written where it lies inside the parameter matrix.
  const writes: string[] = [];
  for (let r = 0; r < 4 * br; r++) {
    for (let c = 0; c < 4 * bc; c++) {
      writes.push(`  if (r0 + ${r}u < rows && c0 + ${c}u < cols) { grad[base + (r0 + ${r}u) * cols + c0 + ${c}u] = ${acc(r, c >> 2)}.${'xyzw'[c & 3]}; }`);
    }
  }
  const body = `  var rb = 0u; var cb = 0u; var gv = 0u; var av = 0u; var isBias = false; var rows = 0u; var cols = 0u; var out = 0u;
  ${cases.join(' else ')}
${decl.join('\n')}
  for (var k = 0u; k < u.points; k++) {
    let p = (e * u.points + k) * ${f.width / 4}u;
${loads.join('\n')}
${fma.join('\n')}
  }
  let r0 = rb * ${4 * br}u;
  let c0 = cb * ${4 * bc}u;
  let base = e * ${P}u + out;
${writes.join('\n')}`;
  return {
    name: `render_grad_${shapeName(spec)}_b${br}x${bc}`,
    source: `// render_vjp pass 2: θ-gradients of the MLP ${spec.widths.join('→')}, each block summed over the points from the factors\n${header(uniforms, bindings)}${blockMain(total, body, shape)}`,
    uniforms, bindings, workgroup: [shape.gradWorkgroup, 1],
  };
}

/**
 * The entry point of the per-point kernels: workgroups along x cover one element's points,
 * `pointsPerInvocation` each (k0, k1, …: the row of point t in the batch, clamped to the last point
 * so that every invocation runs the same code; `live(t)` guards the writes), the grid's y is the
 * batch element. The element index `e` comes from the workgroup id, so every θ address is uniform.
 * Staged weights are copied by the whole workgroup first (no early return before the barrier).
 */
function pointMain(body: string, shape: RenderShape, staged: StagedWeights): string {
  const T = shape.pointsPerInvocation;
  const points = Array.from({ length: T }, (_, t) => `  let k${t} = e * u.points + min(first + ${t}u, u.points - 1u);`);
  return `@compute @workgroup_size(${shape.pointWorkgroup})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = wid.y;
  let t0 = e * u.thetaStride;
${staged.copy}
  let first = gid.x * ${T}u;
  if (first >= u.points) { return; }
${points.join('\n')}
${body}
}
`;
}

/** A statement per point of the invocation, each guarded by the point's existence. */
function perPoint(shape: RenderShape, statement: (t: number) => string): string {
  return Array.from({ length: shape.pointsPerInvocation }, (_, t) => (t === 0 ? `  ${statement(t)}` : `  if (first + ${t}u < u.points) { ${statement(t)} }`)).join('\n');
}

/** The entry point of render_grad: x covers the blocks j, y is the element e (uniform, as in pointMain). */
function blockMain(total: number, body: string, shape: RenderShape): string {
  return `@compute @workgroup_size(${shape.gradWorkgroup})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let e = wid.y;
  let j = gid.x;
  if (j >= ${total}u) { return; }
${body}
}
`;
}

/** Workgroups of a per-point kernel over `batch` elements of `points` points. */
export function pointGrid(batch: number, points: number, shape: RenderShape = RENDER_SHAPE): [number, number, number] {
  return elementGrid(batch, Math.ceil(points / shape.pointsPerInvocation), shape.pointWorkgroup);
}

function elementGrid(batch: number, perElement: number, workgroup: number): [number, number, number] {
  if (batch > 65535) throw new Error(`internal: render over ${batch} elements exceeds the grid's 65535 rows`);
  return [Math.ceil(perElement / workgroup), batch, 1];
}

/** Loads each point's coordinates into a0_t (zero-padded vec4s). */
function pointPrologue(spec: MlpSpec, shape: RenderShape): string {
  const d0 = spec.widths[0]!;
  const lines: string[] = [];
  for (let t = 0; t < shape.pointsPerInvocation; t++) {
    lines.push(`  let xc${t} = e * u.coordsStride + (k${t} - e * u.points) * ${d0}u;
  var a0_${t}: array<vec4f, ${blocks(d0)}>;`);
    for (let b = 0; b < blocks(d0); b++) {
      const parts = [0, 1, 2, 3].map((c) => (4 * b + c < d0 ? `coords[xc${t} + ${4 * b + c}u]` : '0.0'));
      lines.push(`  a0_${t}[${b}] = vec4f(${parts.join(', ')});`);
    }
  }
  return lines.join('\n');
}

/**
 * The weights as the per-point kernels read them, a vec4 at a time: per layer l the columns of
 * W_l in blocks of 4 rows (`forward`), b_l in blocks of 4 (`bias`), and for the backward pass the
 * rows of W_l in blocks of 4 columns (`backward`, l ≥ 2), padding entries zero. They are either
 * staged in workgroup memory by the whole workgroup (when they fit `stageBytes`) or read from θ.
 */
interface StagedWeights {
  /** The workgroup array's declaration ('' when not staged). */
  declaration: string;
  /** Statements copying the weights into it (before the points' code; '' when not staged). */
  copy: string;
  forward: (l: number, q: string, rb: string) => string;
  bias: (l: number, rb: string) => string;
  backward: (l: number, p: string, cb: string) => string;
}

function stagedWeights(layout: TargetLayout, shape: RenderShape): StagedWeights {
  const spec = mlpSpecOf(layout);
  const L = spec.widths.length - 1;
  // Direct reads from θ: entry (r, c) of W_l or b_l, 0 outside the block (clamped addresses keep
  // every read inside this element's θ).
  const w = (l: number, r: string, c: string): string => {
    const rows = spec.widths[l]!;
    const cols = spec.widths[l - 1]!;
    const at = `theta[t0 + ${layout.params[2 * (l - 1)]!.offset}u + min(${r}, ${rows - 1}u) * ${cols}u + min(${c}, ${cols - 1}u)]`;
    return `select(0.0, ${at}, ${r} < ${rows}u && ${c} < ${cols}u)`;
  };
  const b = (l: number, r: string): string => `select(0.0, theta[t0 + ${layout.params[2 * (l - 1) + 1]!.offset}u + min(${r}, ${spec.widths[l]! - 1}u)], ${r} < ${spec.widths[l]!}u)`;
  const vec = (f: (c: number) => string): string => `vec4f(${[0, 1, 2, 3].map(f).join(', ')})`;
  const direct = {
    forward: (l: number, q: string, rb: string) => vec((c) => w(l, `(${rb} * 4u + ${c}u)`, q)),
    bias: (l: number, rb: string) => vec((c) => b(l, `(${rb} * 4u + ${c}u)`)),
    backward: (l: number, p: string, cb: string) => vec((c) => w(l, p, `(${cb} * 4u + ${c}u)`)),
  };
  // Segments of the staged array, in vec4s: [kind, layer, start, count, blocks per q/p].
  const segments: { kind: 'forward' | 'bias' | 'backward'; l: number; start: number; count: number; per: number }[] = [];
  let total = 0;
  for (let l = 1; l <= L; l++) {
    const R4 = blocks(spec.widths[l]!);
    const C4 = blocks(spec.widths[l - 1]!);
    segments.push({ kind: 'forward', l, start: total, count: 4 * C4 * R4, per: R4 });
    total += 4 * C4 * R4;
    segments.push({ kind: 'bias', l, start: total, count: R4, per: R4 });
    total += R4;
    if (l >= 2) {
      segments.push({ kind: 'backward', l, start: total, count: 4 * R4 * C4, per: C4 });
      total += 4 * R4 * C4;
    }
  }
  if (total * 16 > shape.stageBytes) return { declaration: '', copy: '', ...direct };
  const at = (kind: string, l: number): { start: number; per: number } => segments.find((s) => s.kind === kind && s.l === l)!;
  const copy = segments.map((s) => {
    const value = s.kind === 'bias' ? direct.bias(s.l, 'j') : s.kind === 'forward' ? direct.forward(s.l, 'i', 'j') : direct.backward(s.l, 'i', 'j');
    return `if (x < ${s.start + s.count}u) { let i = (x - ${s.start}u) / ${s.per}u; let j = (x - ${s.start}u) % ${s.per}u; staged[x] = ${value}; }`;
  });
  return {
    declaration: `var<workgroup> staged: array<vec4f, ${total}>;\n`,
    copy: `  for (var x = lid; x < ${total}u; x += ${shape.pointWorkgroup}u) {
    ${copy.join(' else ')}
  }
  workgroupBarrier();`,
    forward: (l, q, rb) => `staged[${at('forward', l).start}u + ${q} * ${at('forward', l).per}u + ${rb}]`,
    bias: (l, rb) => `staged[${at('bias', l).start}u + ${rb}]`,
    backward: (l, p, cb) => `staged[${at('backward', l).start}u + ${p} * ${at('backward', l).per}u + ${cb}]`,
  };
}

/**
 * u_l = W_l a_{l−1} + b_l, a_l = σ(u_l) (the last layer linear), `rowGroup` rows at a time; `keep`
 * 'pre' also keeps u_l in private arrays (for a backward pass in the same kernel), 'factors'
 * writes σ'(u_l) to the factor rows (for a later one).
 */
function forwardLayers(spec: MlpSpec, shape: RenderShape, weights: StagedWeights, keep: 'none' | 'pre' | 'factors', f: FactorLayout): string {
  const L = spec.widths.length - 1;
  const out: string[] = [];
  for (let l = 1; l <= L; l++) {
    const R4 = blocks(spec.widths[l]!);
    const hidden = l < L;
    const pre = keep === 'pre' && hidden;
    for (let t = 0; t < shape.pointsPerInvocation; t++) {
      out.push(`  var a${l}_${t}: array<vec4f, ${R4}>;${pre ? ` var u${l}_${t}: array<vec4f, ${R4}>;` : ''}`);
    }
    // A dead point (past the last) repeats the last point's values: its writes are the same.
    const kept = (t: number, index: string, s: string): string =>
      pre ? `u${l}_${t}[${index}] = ${s}; ` : keep === 'factors' && hidden ? `factors[row${t} + ${f.d[l]! / 4}u + ${index}] = dact4(${s}); ` : '';
    out.push(groupedProduct(shape, {
      outBlocks: R4, inBlocks: blocks(spec.widths[l - 1]!), input: (t) => `a${l - 1}_${t}`,
      weight: (q, ob) => weights.forward(l, q, ob),
      init: (ob) => weights.bias(l, ob),
      store: (t, index, s) => `${kept(t, index, s)}a${l}_${t}[${index}] = ${hidden ? `act4(${s})` : s};`,
    }));
  }
  return out.join('\n');
}

/** g_{l−1} = σ'(u_{l−1}) ⊙ W_lᵀ g_l, kept in g{l−1}_t and written to the factor rows. */
function backwardLayer(spec: MlpSpec, shape: RenderShape, weights: StagedWeights, l: number, f: FactorLayout, dact: (t: number, index: string) => string): string {
  const C4 = blocks(spec.widths[l - 1]!);
  const decl = Array.from({ length: shape.pointsPerInvocation }, (_, t) => `  var g${l - 1}_${t}: array<vec4f, ${C4}>;`);
  return `${decl.join('\n')}
${groupedProduct(shape, {
    outBlocks: C4, inBlocks: blocks(spec.widths[l]!), input: (t) => `g${l}_${t}`,
    // the transpose: output q sums W_l[p, q] g_l[p] over the rows p
    weight: (p, ob) => weights.backward(l, p, ob),
    init: () => 'vec4f(0.0)',
    store: (t, index, s) => `g${l - 1}_${t}[${index}] = ${s} * ${dact(t, index)};`,
  })}
${perPoint(shape, (t) => Array.from({ length: C4 }, (_, b) => `factors[row${t} + ${f.g[l - 1]! / 4 + b}u] = g${l - 1}_${t}[${b}];`).join(' '))}`;
}

interface GroupedProduct {
  outBlocks: number;
  inBlocks: number;
  /** Point t's private vec4 array the inputs are read from. */
  input: (t: number) => string;
  /** WGSL of the vec4 of weights joining input q to output block ob, and of block ob's initial value (u32 expressions). */
  weight: (q: string, ob: string) => string;
  init: (ob: string) => string;
  /** WGSL storing point t's vec4 `s` of outputs at vec4 index `index`. */
  store: (t: number, index: string, s: string) => string;
}

/**
 * out[r] = init(r) + Σ_q weight(q, r) · input[q] for every point of the invocation, `rowGroup`
 * outputs at a time (vec4 sums s{block}_{point} in registers: each weight vec4 read serves all the
 * invocation's points), the inputs four at a time. The loop bounds hide behind `u.zero`: with
 * constant bounds lavapipe's LLVM unrolls the nested loops completely (minutes of compilation).
 */
function groupedProduct(shape: RenderShape, p: GroupedProduct): string {
  const T = shape.pointsPerInvocation;
  const points = Array.from({ length: T }, (_, t) => t);
  // The largest divisor of the output blocks within the row group: no group runs past the end.
  let groupBlocks = Math.max(1, Math.min(Math.floor(shape.rowGroup / 4), p.outBlocks));
  while (p.outBlocks % groupBlocks !== 0) groupBlocks--;
  const groups = p.outBlocks / groupBlocks;
  const ob = (b: number): string => (groups === 1 ? `${b}u` : `(o0 + ${b}u)`);
  const lines: string[] = [];
  for (let b = 0; b < groupBlocks; b++) lines.push(`    let i${b} = ${p.init(ob(b))};\n    ${points.map((t) => `var s${b}_${t} = i${b};`).join(' ')}`);
  lines.push(`    for (var ib = 0u; ib < ${p.inBlocks}u + u.zero; ib++) {
      ${points.map((t) => `let x${t} = ${p.input(t)}[ib];`).join(' ')}`);
  for (let c = 0; c < 4; c++) {
    for (let b = 0; b < groupBlocks; b++) {
      lines.push(`      { let w = ${p.weight(`(ib * 4u + ${c}u)`, ob(b))}; ${points.map((t) => `s${b}_${t} += w * x${t}.${'xyzw'[c]};`).join(' ')} }`);
    }
  }
  lines.push('    }');
  for (let b = 0; b < groupBlocks; b++) lines.push(`    ${points.map((t) => p.store(t, groups === 1 ? `${b}` : `o0 + ${b}u`, `s${b}_${t}`)).join(' ')}`);
  if (groups === 1) return `  {\n${lines.join('\n')}\n  }`;
  return `  for (var og = 0u; og < ${groups}u + u.zero; og++) {
    let o0 = og * ${groupBlocks}u;
${lines.join('\n')}
  }`;
}

/** σ and σ' per component of a vec4 (the activation's expressions are written for one f32). */
function activationFns(spec: MlpSpec): string {
  const { value, derivative } = activationWgsl(spec.activation);
  return `${TANH}fn act(s: f32) -> f32 { return ${value}; }
fn dact(s: f32) -> f32 { return ${derivative}; }
fn act4(v: vec4f) -> vec4f { return vec4f(act(v.x), act(v.y), act(v.z), act(v.w)); }
fn dact4(v: vec4f) -> vec4f { return vec4f(dact(v.x), dact(v.y), dact(v.z), dact(v.w)); }
`;
}

/** vec4 blocks holding `width` floats. */
function blocks(width: number): number {
  return Math.ceil(width / 4);
}

function shapeName(spec: MlpSpec): string {
  return `${spec.widths.join('x')}_${spec.activation.kind}`;
}

function mlpSpecOf(layout: TargetLayout): MlpSpec {
  if (layout.spec.kind !== 'mlp') throw new Error(`internal: render needs an mlp target, got ${layout.name}`);
  return layout.spec;
}

function shapeTag(shape: RenderShape): string {
  return `p${shape.pointsPerInvocation}g${shape.rowGroup}w${shape.pointWorkgroup}`;
}
