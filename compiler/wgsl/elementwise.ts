// Elementwise kernels: one generator for every pointwise op (unary, binary, scale, select, bias)
// and for pure data movement (broadcast, concat, slice, fold, unfold), which are the identity
// expression between two views. An expression tree of several ops is one kernel: that is how
// elementwise chains are fused (the executor builds the tree, this file prints it).
import type { BinaryFn, UnaryFn } from '../ir/ops.js';
import { header, linearMain, type Kernel, type UniformField } from './kernel.js';
import { DIM_FIELDS, SPLIT_INDEX, viewFields, viewIndex } from './view.js';

export type Expr =
  | { kind: 'input'; index: number }
  | { kind: 'unary'; fn: UnaryFn; x: Expr }
  | { kind: 'binary'; fn: BinaryFn; a: Expr; b: Expr }
  /** x · factor; the factor is a uniform, so expressions that differ only in factors share a pipeline. */
  | { kind: 'scale'; x: Expr; factor: number }
  /** mask != 0 ? a : b */
  | { kind: 'select'; mask: Expr; a: Expr; b: Expr };

/** Number of input views an expression reads (inputs are numbered 0..n-1). */
export function arity(expr: Expr): number {
  switch (expr.kind) {
    case 'input': return expr.index + 1;
    case 'unary': return arity(expr.x);
    case 'scale': return arity(expr.x);
    case 'binary': return Math.max(arity(expr.a), arity(expr.b));
    case 'select': return Math.max(arity(expr.mask), arity(expr.a), arity(expr.b));
  }
}

/** The scale factors of an expression in the order the kernel numbers them (f0, f1, ...). */
export function factors(expr: Expr): number[] {
  switch (expr.kind) {
    case 'input': return [];
    case 'unary': return factors(expr.x);
    case 'scale': return [...factors(expr.x), expr.factor];
    case 'binary': return [...factors(expr.a), ...factors(expr.b)];
    case 'select': return [...factors(expr.mask), ...factors(expr.a), ...factors(expr.b)];
  }
}

/** WGSL helpers for the unary functions that have no builtin (numerically safe forms). */
const UNARY_HELPERS = `fn tanh_safe(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// GELU, tanh approximation (as runtime/reference and compiler/resolve/builtins.ts):
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), and its exact derivative.
fn gelu(x: f32) -> f32 {
  let t = tanh_safe(0.7978845608028654 * (x + 0.044715 * x * x * x));
  return 0.5 * x * (1.0 + t);
}
fn gelu_grad(x: f32) -> f32 {
  let t = tanh_safe(0.7978845608028654 * (x + 0.044715 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * x * x);
}
`;

export function unaryWgsl(fn: UnaryFn, x: string): string {
  switch (fn) {
    case 'relu': return `max(${x}, 0.0)`;
    case 'gelu': return `gelu(${x})`;
    case 'tanh': return `tanh_safe(${x})`;
    case 'sigmoid': return `sigmoid(${x})`;
    case 'silu': return `(${x} * sigmoid(${x}))`;
    case 'sin': return `sin(${x})`;
    case 'cos': return `cos(${x})`;
    case 'exp': return `exp(${x})`;
    case 'log': return `log(${x})`;
    case 'neg': return `(-${x})`;
    case 'square': return `(${x} * ${x})`;
    case 'sqrt': return `sqrt(${x})`;
    case 'abs': return `abs(${x})`;
    case 'relu_grad': return `select(0.0, 1.0, ${x} > 0.0)`;
    case 'gelu_grad': return `gelu_grad(${x})`;
    case 'tanh_grad': return `(1.0 - tanh_safe(${x}) * tanh_safe(${x}))`;
    case 'sigmoid_grad': return `(sigmoid(${x}) * (1.0 - sigmoid(${x})))`;
    case 'silu_grad': return `(sigmoid(${x}) * (1.0 + ${x} * (1.0 - sigmoid(${x}))))`;
    case 'sign': return `sign(${x})`;
  }
}

/** The unary functions whose WGSL form also works on vec4f (builtins, or written for vectors). */
const VEC4_UNARY: Partial<Record<UnaryFn, (x: string) => string>> = {
  relu: (x) => `max(${x}, vec4f(0.0))`,
  relu_grad: (x) => `select(vec4f(0.0), vec4f(1.0), ${x} > vec4f(0.0))`,
  neg: (x) => `(-${x})`,
  square: (x) => `(${x} * ${x})`,
  sqrt: (x) => `sqrt(${x})`,
  abs: (x) => `abs(${x})`,
  exp: (x) => `exp(${x})`,
  log: (x) => `log(${x})`,
  sin: (x) => `sin(${x})`,
  cos: (x) => `cos(${x})`,
  sign: (x) => `sign(${x})`,
};

/** Whether an expression can be evaluated on vec4f values (see `printExpr`'s vec4 mode). */
export function vec4Friendly(expr: Expr): boolean {
  switch (expr.kind) {
    case 'input': return true;
    case 'unary': return VEC4_UNARY[expr.fn] !== undefined && vec4Friendly(expr.x);
    case 'scale': return vec4Friendly(expr.x);
    case 'binary': return vec4Friendly(expr.a) && vec4Friendly(expr.b);
    case 'select': return vec4Friendly(expr.mask) && vec4Friendly(expr.a) && vec4Friendly(expr.b);
  }
}

const BINARY: Record<BinaryFn, string> = { add: '+', sub: '-', mul: '*', div: '/' };

/**
 * Prints an expression as WGSL `let` statements, one per node, so a fused chain reads top-down like
 * the IR it came from. Returns the statements and the name of the result. Input k is read from
 * `x{k}v{suffix}`; in vec4 mode every value is a vec4f (see `vec4Friendly`).
 */
export function printExpr(expr: Expr, suffix = '', vec4 = false): { lines: string[]; result: string } {
  const lines: string[] = [];
  let temps = 0;
  let scales = 0;
  const walk = (e: Expr): string => {
    switch (e.kind) {
      case 'input': return `x${e.index}v${suffix}`;
      case 'unary': {
        const x = walk(e.x);
        const name = `v${temps++}${suffix}`;
        lines.push(`  let ${name} = ${vec4 ? VEC4_UNARY[e.fn]!(x) : unaryWgsl(e.fn, x)};`);
        return name;
      }
      case 'scale': {
        const x = walk(e.x);
        const name = `v${temps++}${suffix}`;
        lines.push(`  let ${name} = ${x} * u.f${scales++};`);
        return name;
      }
      case 'binary': {
        const a = walk(e.a);
        const b = walk(e.b);
        const name = `v${temps++}${suffix}`;
        lines.push(`  let ${name} = ${a} ${BINARY[e.fn]} ${b};`);
        return name;
      }
      case 'select': {
        const m = walk(e.mask);
        const a = walk(e.a);
        const b = walk(e.b);
        const name = `v${temps++}${suffix}`;
        lines.push(`  let ${name} = select(${b}, ${a}, ${m} != ${vec4 ? 'vec4f(0.0)' : '0.0'});`);
        return name;
      }
    }
  };
  const result = walk(expr);
  return { lines, result };
}

/** A short, stable description of an expression, used in kernel names. */
export function exprName(expr: Expr): string {
  switch (expr.kind) {
    case 'input': return `x${expr.index}`;
    case 'unary': return `${expr.fn}(${exprName(expr.x)})`;
    case 'scale': return `scale(${exprName(expr.x)})`;
    case 'binary': return `${expr.fn}(${exprName(expr.a)},${exprName(expr.b)})`;
    case 'select': return `select(${exprName(expr.mask)},${exprName(expr.a)},${exprName(expr.b)})`;
  }
}

/**
 * Which views are plain contiguous copies of the output's layout (offset 0, row-major over the
 * output dims): those are indexed by the linear index itself, and when every view is, the kernel
 * never splits the index into coordinates (integer division is slow on lavapipe).
 */
export interface Contiguity {
  out: boolean;
  inputs: boolean[];
}

/** How a map kernel reads its inputs and writes its output. */
export interface MapLayout {
  contiguity?: Contiguity;
  /** Channels per invocation (the output's channel count must divide by it). */
  lanes?: number;
  /**
   * Evaluate 4 lanes as vec4f values with one vector store (a vec4-friendly expression, a
   * contiguous output); input k is loaded as one vec4 when `inputs[k]` (its view reads aligned runs
   * of 4 channels), else lane by lane.
   */
  vec4?: { inputs: boolean[]; runs?: number };
  /**
   * Inputs read through an incidence table (a fused gather): x_k[n, s, idx_k[t], c], 0 where
   * idx_k[t] < 0; binding `idx{k}` (i32) follows the inputs. The view of x_k is its own, over its
   * own site axis.
   */
  gathered?: boolean[];
}

/**
 * out[view_o(n,s,t,c)] = expr(x0[view_0(n,s,t,c)], x1[...], ...) for every (n,s,t,c) of dims.
 * Each input gets its own binding, even when two inputs are the same buffer at different views.
 */
export function mapKernel(expr: Expr, name = 'map', layout: MapLayout = {}): Kernel {
  const n = arity(expr);
  const runs = layout.vec4?.runs ?? 1;
  const lanes = layout.vec4 === undefined ? (layout.lanes ?? 1) : 4 * runs;
  const vector = layout.vec4 !== undefined;
  if (vector && (layout.contiguity?.out !== true || !vec4Friendly(expr))) throw new Error(`internal: ${name} cannot run on vec4 runs`);
  const gathered = (k: number): boolean => layout.gathered?.[k] === true;
  const vectorInput = (k: number): boolean => layout.vec4?.inputs[k] === true;
  const plain = (k: number): boolean => layout.contiguity?.inputs[k] === true && !gathered(k);
  const outPlain = layout.contiguity?.out === true;

  const uniforms: UniformField[] = [...DIM_FIELDS, ...viewFields('o')];
  for (let k = 0; k < n; k++) uniforms.push(...viewFields(`x${k}`));
  factors(expr).forEach((_, j) => uniforms.push({ name: `f${j}`, type: 'f32' }));
  const inputs = Array.from({ length: n }, (_, k) => k);
  const bindings = [
    ...inputs.map((k) => ({ name: `x${k}`, element: vectorInput(k) ? 'vec4f' : 'f32', access: 'read' as const })),
    ...inputs.filter(gathered).map((k) => ({ name: `idx${k}`, element: 'i32', access: 'read' as const })),
    { name: 'out', element: vector ? 'vec4f' : 'f32', access: 'read_write' as const },
  ];
  const split = outPlain && inputs.every(plain) ? [] : [SPLIT_INDEX];
  const body: string[] = [...split];
  // A gathered input's site is looked up once per invocation (lanes share the row).
  for (const k of inputs.filter(gathered)) body.push(`  let j${k} = idx${k}[t];`, `  let t${k} = u32(max(j${k}, 0));`);
  /** Element index of input k (or of the output, `o`) for lane l. */
  const at = (k: number | 'o', l: number): string => {
    const p = k === 'o' ? 'o' : `x${k}`;
    if (k === 'o' ? outPlain : plain(k)) return l === 0 ? 'i' : `i + ${l}u`;
    const base = k !== 'o' && gathered(k) ? `u.${p}_off + n * u.${p}_s0 + s * u.${p}_s1 + t${k} * u.${p}_s2 + c * u.${p}_s3` : viewIndex(p);
    return l === 0 ? base : `${base} + ${l}u * u.${p}_s3`;
  };
  const zeroUnless = (k: number, value: string): string => (gathered(k) ? `select(${vector ? 'vec4f(0.0)' : '0.0'}, ${value}, j${k} >= 0)` : value);
  if (vector) {
    // Run r covers channels c + 4r .. c + 4r + 3 of the same row (the planner gives `runs` only when
    // the row's channels divide into them), so the coordinates split once serve every run.
    for (const k of inputs) if (!vectorInput(k)) body.push(`  let at${k} = ${at(k, 0)};`);
    for (let r = 0; r < runs; r++) {
      const suffix = runs === 1 ? '' : `_${r}`;
      for (const k of inputs) {
        if (vectorInput(k)) body.push(`  let x${k}v${suffix} = ${zeroUnless(k, `x${k}[(${at(k, 0)}) / 4u${r === 0 ? '' : ` + ${r}u`}]`)};`);
        else {
          const lane = (l: number): string => (4 * r + l === 0 ? '' : ` + ${4 * r + l}u * u.x${k}_s3`);
          body.push(`  let x${k}v${suffix} = ${zeroUnless(k, `vec4f(${[0, 1, 2, 3].map((l) => `x${k}[at${k}${lane(l)}]`).join(', ')})`)};`);
        }
      }
      const { lines, result } = printExpr(expr, suffix, true);
      body.push(...lines, `  out[i / 4u${r === 0 ? '' : ` + ${r}u`}] = ${result};`);
    }
  } else {
    for (let l = 0; l < lanes; l++) {
      const suffix = lanes === 1 ? '' : `_${l}`;
      const { lines, result } = printExpr(expr, suffix);
      for (const k of inputs) body.push(`  let x${k}v${suffix} = ${zeroUnless(k, `x${k}[${at(k, l)}]`)};`);
      body.push(...lines, `  out[${at('o', l)}] = ${result};`);
    }
  }
  const note = vector ? ` (${runs === 1 ? 'vec4 runs' : `${runs} vec4 runs per invocation`} of 4 channels)` : lanes === 1 ? '' : ` (${lanes} channels per invocation)`;
  const helpers = vector ? '' : UNARY_HELPERS;
  const source = `// ${name}: ${exprName(expr)}${note}\n${header(uniforms, bindings)}${helpers}${linearMain('u.count', body.join('\n'), lanes)}`;
  return { name, source, uniforms, bindings, workgroup: [64, 1] };
}

/** out[i] = value for i < count (zero-initialises padded outputs). */
export function fillKernel(): Kernel {
  const uniforms: UniformField[] = [{ name: 'count', type: 'u32' }, { name: 'value', type: 'f32' }];
  const bindings = [{ name: 'out', element: 'f32', access: 'read_write' as const }];
  return { name: 'fill', source: `// fill: out[i] = value\n${header(uniforms, bindings)}${linearMain('u.count', '  out[i] = u.value;')}`, uniforms, bindings, workgroup: [64, 1] };
}
