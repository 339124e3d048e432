// An MLP's training step for R runs at once, each run with its own θ and its own batch of b
// examples (the learned optimizer's PES particles and evaluation seeds), shaped for a CPU adapter
// (lavapipe runs a workgroup's invocations as SIMD lanes) and still sensible on a GPU:
//
// - a workgroup serves examples (or input columns) of ONE run and one block of output neurons, so
//   every read of θ has the same address in all its invocations: a uniform load, not a gather;
// - each invocation owns `items` examples × `block` output neurons and keeps their sums in
//   registers: every step of the inner sum loads items + block values for items × block FMAs (on
//   lavapipe a load, even a uniform one, costs about as much as several FMAs);
// - nothing returns early: out-of-range lanes compute on clamped indices and skip their stores
//   (an early return would make every later load divergent).
//
//   mlpRunsForwardKernel   u = b + W a, a' = σ(u) (u on the last layer); layer 1 reads the drawn
//                          examples through the batch index and copies them into act's layer 0
//   mlpRunsBackwardKernel  g_l = σ'(u_l) ⊙ W_{l+1}ᵀ g_{l+1}
//   mlpRunsGradKernel      ∇W = (1/b) Σ_e g_e a_eᵀ, ∇b = (1/b) Σ_e g_e per (run, input column,
//                          block of outputs); optionally Adam applied to θ in place (no ∇ buffer pass)
//
// Layouts as in gpu-mlp.ts: θ, ∇ [R, P]; act, pre, g [R·b, N] (neurons in layout order). The float64
// oracle is targets/mlp.ts (through the learned-optimizer task's float64 problem).
import type { Activation } from '../../compiler/spaces/target.js';
import { activationWgsl, TANH } from '../../compiler/wgsl/activation.js';
import { header, type Binding, type Kernel, type UniformField } from '../../compiler/wgsl/kernel.js';

/** Tile sizes (measured on lavapipe: docs/performance.md); kept as parameters for other adapters. */
export interface MlpRunsTiles {
  /** Invocations per workgroup along examples (forward, backward) or input columns (gradient). */
  lanes: number;
  /** Examples (forward, backward) or input columns (gradient) per invocation. */
  items: number;
  /** Output neurons per invocation (forward, gradient) or input neurons (backward). */
  block: number;
}

/** The tiles of the forward and backward kernels (`layers`) and of the gradient kernel. */
export interface MlpRunsShapes {
  layers: MlpRunsTiles;
  grad: MlpRunsTiles;
}

// Measured on lavapipe (2-core EPYC, FashionMlp 64 → 32 → 10, 16 runs of 128 examples): with one
// example or column per invocation the step's kernels took 2.2× the CPU time of these.
export const MLP_RUNS_TILES: MlpRunsShapes = { layers: { lanes: 16, items: 4, block: 8 }, grad: { lanes: 8, items: 4, block: 8 } };

const u32 = (name: string): UniformField => ({ name, type: 'u32' });
const f32 = (name: string): UniformField => ({ name, type: 'f32' });
const read = (name: string, element = 'f32'): Binding => ({ name, element, access: 'read' });
const write = (name: string, element = 'f32'): Binding => ({ name, element, access: 'read_write' });
const range = (n: number): number[] => Array.from({ length: n }, (_, j) => j);

// b: examples per run; rows/cols: W's shape; P: θ's stride per run; inOff/outOff: the layer's
// input and output neuron offsets (backward: layer l's and layer l+1's).
const LAYER: UniformField[] = [
  u32('b'), u32('rows'), u32('cols'), u32('N'), u32('P'), u32('wOff'), u32('bOff'), u32('inOff'), u32('outOff'), u32('last'), f32('omega0'),
];

function entry(lanes: number, lines: string[]): string {
  return `@compute @workgroup_size(${lanes})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
${lines.join('\n')}
}
`;
}

/** Workgroups of the forward or backward kernel: (example groups, neuron blocks, runs). */
export function mlpRunsGrid(tiles: MlpRunsTiles, b: number, neurons: number, runs: number): [number, number, number] {
  return [Math.ceil(b / (tiles.lanes * tiles.items)), Math.ceil(neurons / tiles.block), runs];
}

/** Workgroups of the gradient kernel for W [rows, cols]: (column groups, row blocks, runs). */
export function mlpRunsGradGrid(tiles: MlpRunsTiles, rows: number, cols: number, runs: number): [number, number, number] {
  return [Math.ceil(cols / (tiles.lanes * tiles.items)), Math.ceil(rows / tiles.block), runs];
}

/** An invocation's items: the s-th at wg.x·lanes·items + s·lanes + lid.x (a workgroup's lanes side by side), clamped below `limit`. */
function itemLines(v: string, tiles: MlpRunsTiles, limit: string): string[] {
  const { lanes, items } = tiles;
  return range(items).flatMap((s) => [
    `  let ${v}${s}_ = wg.x * ${lanes * items}u + ${s * lanes}u + lid.x;`,
    `  let ${v}${s} = min(${v}${s}_, ${limit} - 1u);`,
  ]);
}

const tileName = ({ lanes, items, block }: MlpRunsTiles) => `${lanes}x${items}x${block}`;

/**
 * One invocation per (`items` examples, block of output neurons) of one run. With `gather` (layer
 * 1) the input row is images[index[indexOff + row]] (cols = d0); the first block's invocations copy
 * it into act's layer 0 and the example's label into `labels`, for the loss and the gradient.
 */
export function mlpRunsForwardKernel(act: Activation, tiles: MlpRunsTiles, gather: boolean): Kernel {
  const { lanes, block } = tiles;
  const uniforms = gather ? [...LAYER, u32('indexOff')] : LAYER;
  const bindings = gather
    ? [read('images'), read('trainLabels', 'u32'), read('index', 'u32'), read('theta'), write('pre'), write('act'), write('labels', 'u32')]
    : [read('theta'), write('pre'), write('act')];
  const js = range(block);
  const ss = range(tiles.items);
  const lines = [
    `  let r = wg.z;`,
    `  let t = r * u.P;`,
    `  let o0 = wg.y * ${block}u;`,
    ...itemLines('e', tiles, 'u.b'),
    ...ss.map((s) => `  let row${s} = r * u.b + e${s};`),
    ...(gather
      ? [...ss.map((s) => `  let drawn${s} = index[u.indexOff + row${s}];\n  let src${s} = drawn${s} * u.cols;`), `  let copy = wg.y == 0u;`]
      : ss.map((s) => `  let src${s} = row${s} * u.N + u.inOff;`)),
    ...js.map((j) => `  let w${j} = t + u.wOff + min(o0 + ${j}u, u.rows - 1u) * u.cols;`),
    ...js.map((j) => `  let bias${j} = theta[t + u.bOff + min(o0 + ${j}u, u.rows - 1u)];`),
    ...ss.flatMap((s) => js.map((j) => `  var acc${s}_${j} = bias${j};`)),
    `  for (var k = 0u; k < u.cols; k++) {`,
    ...ss.map((s) => `    let a${s} = ${gather ? 'images' : 'act'}[src${s} + k];`),
    ...(gather ? [`    if (copy) {`, ...ss.map((s) => `      act[row${s} * u.N + u.inOff + k] = a${s};`), `    }`] : []),
    ...js.map((j) => `    let t${j} = theta[w${j} + k];`),
    ...ss.flatMap((s) => js.map((j) => `    acc${s}_${j} += a${s} * t${j};`)),
    `  }`,
    ...(gather ? [`  if (copy) {`, ...ss.map((s) => `    labels[row${s}] = trainLabels[drawn${s}];`), `  }`] : []),
    ...ss.flatMap((s) => [
      `  if (e${s}_ < u.b) {`,
      `    let out = row${s} * u.N + u.outOff + o0;`,
      ...js.map((j) => `    if (o0 + ${j}u < u.rows) { let s = acc${s}_${j}; pre[out + ${j}u] = s; act[out + ${j}u] = select(${activationWgsl(act).value}, s, u.last == 1u); }`),
      `  }`,
    ]),
  ];
  const name = `mlp_runs_forward_${act.kind}${gather ? '_gather' : ''}_${tileName(tiles)}`;
  return { name, source: `// ${name}: one MLP layer of R runs, each with its own θ\n${header(uniforms, bindings)}${TANH}${entry(lanes, lines)}`, uniforms, bindings, workgroup: [lanes, 1] };
}

/**
 * One invocation per (`items` examples, block of layer l's neurons q) of one run: g_l[q] =
 * σ'(u_l[q]) · Σ_p W[p, q] g_{l+1}[p], with W = W_{l+1} [rows, cols] (cols = layer l's width).
 */
export function mlpRunsBackwardKernel(act: Activation, tiles: MlpRunsTiles): Kernel {
  const { lanes, block } = tiles;
  const bindings = [read('theta'), read('pre'), write('g')];
  const js = range(block);
  const ss = range(tiles.items);
  const lines = [
    `  let r = wg.z;`,
    `  let t = r * u.P;`,
    `  let q0 = wg.y * ${block}u;`,
    ...itemLines('e', tiles, 'u.b'),
    ...ss.map((s) => `  let row${s} = r * u.b + e${s};\n  let up${s} = row${s} * u.N + u.outOff;`),
    ...js.map((j) => `  let w${j} = t + u.wOff + min(q0 + ${j}u, u.cols - 1u);`),
    ...ss.flatMap((s) => js.map((j) => `  var acc${s}_${j} = 0.0;`)),
    `  for (var p = 0u; p < u.rows; p++) {`,
    ...ss.map((s) => `    let g${s} = g[up${s} + p];`),
    `    let wp = p * u.cols;`,
    ...js.map((j) => `    let t${j} = theta[w${j} + wp];`),
    ...ss.flatMap((s) => js.map((j) => `    acc${s}_${j} += t${j} * g${s};`)),
    `  }`,
    ...ss.flatMap((s) => [
      `  if (e${s}_ < u.b) {`,
      `    let at = row${s} * u.N + u.inOff + q0;`,
      ...js.map((j) => `    if (q0 + ${j}u < u.cols) { let s = pre[at + ${j}u]; g[at + ${j}u] = acc${s}_${j} * (${activationWgsl(act).derivative}); }`),
      `  }`,
    ]),
  ];
  const name = `mlp_runs_backward_${act.kind}_${tileName(tiles)}`;
  return { name, source: `// ${name}: one MLP layer's backward of R runs, each with its own θ\n${header(LAYER, bindings)}${TANH}${entry(lanes, lines)}`, uniforms: LAYER, bindings, workgroup: [lanes, 1] };
}

const GRAD: UniformField[] = [u32('b'), u32('rows'), u32('cols'), u32('N'), u32('P'), u32('wOff'), u32('bOff'), u32('inOff'), u32('outOff'), f32('invB')];
const ADAM: UniformField[] = [f32('beta1'), f32('beta2'), f32('eps'), f32('bc1'), f32('bc2')];

/**
 * One invocation per (`items` input columns i, block of output rows o) of one run: ∇W[o, i] = (1/b)
 * Σ_e g_e[o] a_e[i]; the first column's invocation also gives ∇b[o] = (1/b) Σ_e g_e[o] (sums of the
 * uniform g reads: scalar work). With `adam`, each parameter's Adam step (rate lrs[run]) is applied
 * to θ here and ∇ is not stored; without, ∇ goes into `grad`.
 */
export function mlpRunsGradKernel(tiles: MlpRunsTiles, adam: boolean): Kernel {
  const { lanes, block } = tiles;
  const uniforms = adam ? [...GRAD, ...ADAM] : GRAD;
  const bindings = adam ? [read('act'), read('g'), read('lrs'), write('theta'), write('m'), write('v')] : [read('act'), read('g'), write('grad')];
  const js = range(block);
  const ss = range(tiles.items);
  const store = (at: string, value: string) => adam ? `adam(${at}, ${value}, lr);` : `grad[${at}] = ${value};`;
  const lines = [
    `  let r = wg.z;`,
    `  let first = wg.y * ${block}u;`,
    ...itemLines('i', tiles, 'u.cols'),
    ...js.map((j) => `  let o${j} = min(first + ${j}u, u.rows - 1u);`),
    ...ss.flatMap((s) => js.map((j) => `  var acc${s}_${j} = 0.0;`)),
    ...js.map((j) => `  var bias${j} = 0.0;`),
    `  for (var e = 0u; e < u.b; e++) {`,
    `    let at = (r * u.b + e) * u.N;`,
    ...ss.map((s) => `    let a${s} = act[at + u.inOff + i${s}];`),
    `    let go = at + u.outOff;`,
    ...js.map((j) => `    let g${j} = g[go + o${j}];\n    bias${j} += g${j};`),
    ...ss.flatMap((s) => js.map((j) => `    acc${s}_${j} += g${j} * a${s};`)),
    `  }`,
    `  let t = r * u.P;`,
    adam ? `  let lr = lrs[r];` : '',
    ...js.map((j) => `  if (first + ${j}u < u.rows) {
${ss.map((s) => `    if (i${s}_ < u.cols) { ${store(`t + u.wOff + o${j} * u.cols + i${s}`, `acc${s}_${j} * u.invB`)} }`).join('\n')}
    if (i0_ == 0u) { ${store(`t + u.bOff + o${j}`, `bias${j} * u.invB`)} }
  }`),
  ];
  const adamFn = adam ? `fn adam(j: u32, gr: f32, lr: f32) {
  let mi = u.beta1 * m[j] + (1.0 - u.beta1) * gr;
  let vi = u.beta2 * v[j] + (1.0 - u.beta2) * gr * gr;
  m[j] = mi;
  v[j] = vi;
  theta[j] = theta[j] - lr * ((mi / u.bc1) / (sqrt(vi / u.bc2) + u.eps));
}
` : '';
  const name = `mlp_runs_grad${adam ? '_adam' : ''}_${tileName(tiles)}`;
  const note = adam ? 'with Adam applied in place' : 'into ∇';
  return { name, source: `// ${name}: one MLP layer's batch gradient of R runs, ${note}\n${header(uniforms, bindings)}${adamFn}${entry(lanes, lines)}`, uniforms, bindings, workgroup: [lanes, 1] };
}
