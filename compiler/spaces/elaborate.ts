// Target elaboration: the expression of a `target X = mlp(...)` / `transformer(...)` declaration
// → a TargetSpec (checked values, defaults applied) → a TargetLayout (segments and param blocks).
// Argument names and kinds were already checked by the resolver against builtins.ts; this stage
// checks *values* (positive widths, integer sizes, divisibility) and reports them as diagnostics.
import type { Argument, CallExpr, Expr, Span, TargetDecl } from '../syntax/ast.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { transformerLayout } from './transformer.js';
import { mlpLayout, type Activation, type Init, type MlpSpec, type TargetLayout, type TargetSpec, type TransformerSpec } from './target.js';

export type Elaborated<T> = { ok: true; value: T } | { ok: false; diagnostics: Diagnostic[] };

const fail = <T>(code: string, message: string, span: Span, hint?: string): Elaborated<T> => ({
  ok: false,
  diagnostics: [error(code, message, span, hint)],
});

/** Elaborates a target declaration all the way to its layout. */
export function elaborateTarget(decl: TargetDecl): Elaborated<TargetLayout> {
  const spec = targetSpec(decl.value);
  if (!spec.ok) return spec;
  return targetLayout(decl.name.name, spec.value);
}

/** `mlp(widths: [...], activation: ..., init: ...)` or `transformer(...)` → its spec. */
export function targetSpec(expr: Expr): Elaborated<TargetSpec> {
  if (expr.kind !== 'call') {
    return fail('spaces/not-a-target', 'a target must be built by `mlp(...)` or `transformer(...)`', expr.span);
  }
  if (expr.callee.name === 'mlp') return mlpSpec(expr);
  if (expr.callee.name === 'transformer') return transformerSpec(expr);
  return fail('spaces/not-a-target', `\`${expr.callee.name}\` is not a target constructor`, expr.callee.span,
    'use `mlp(widths: [...], activation: ...)` or `transformer(...)`');
}

/** The layout of a spec (transformers: compiler/spaces/transformer.ts, paper appendix B.2). */
export function targetLayout(name: string, spec: TargetSpec): Elaborated<TargetLayout> {
  return { ok: true, value: spec.kind === 'mlp' ? mlpLayout(name, spec) : transformerLayout(name, spec) };
}

/** Named arguments by name; positional ones by parameter order. */
function argsByName(call: CallExpr, order: readonly string[]): Map<string, Argument> {
  const out = new Map<string, Argument>();
  call.args.forEach((arg, i) => {
    const key = arg.name?.name ?? order[i];
    if (key !== undefined) out.set(key, arg);
  });
  return out;
}

function positiveInt(expr: Expr, what: string): Elaborated<number> {
  if (expr.kind === 'number' && expr.isInteger && expr.value >= 1) return { ok: true, value: expr.value };
  return fail('spaces/bad-size', `${what} must be a positive integer`, expr.span);
}

function mlpSpec(call: CallExpr): Elaborated<MlpSpec> {
  const args = argsByName(call, ['widths', 'activation', 'init']);
  const widthsArg = args.get('widths');
  if (widthsArg === undefined) return fail('spaces/missing-argument', 'mlp needs `widths: [d0, ..., dL]`', call.span);
  if (widthsArg.value.kind !== 'list') return fail('spaces/bad-size', '`widths` must be a list of positive integers', widthsArg.value.span);
  if (widthsArg.value.items.length < 2) {
    return fail('spaces/bad-size', 'an mlp needs at least an input and an output width', widthsArg.value.span);
  }
  const widths: number[] = [];
  for (const item of widthsArg.value.items) {
    const w = positiveInt(item, 'a layer width');
    if (!w.ok) return w;
    widths.push(w.value);
  }
  const actArg = args.get('activation');
  if (actArg === undefined) return fail('spaces/missing-argument', 'mlp needs `activation: relu | gelu | tanh | sine(...)`', call.span);
  const activation = parseActivation(actArg.value);
  if (!activation.ok) return activation;
  const initArg = args.get('init');
  let init: Init = activation.value.kind === 'sine' ? 'siren' : 'kaiming';
  if (initArg !== undefined) {
    const v = initArg.value;
    if (v.kind !== 'name' || !['gaussian', 'siren', 'kaiming'].includes(v.name)) {
      return fail('spaces/bad-init', '`init` must be one of gaussian, siren, kaiming', v.span);
    }
    init = v.name as Init;
  }
  return { ok: true, value: { kind: 'mlp', widths, activation: activation.value, init } };
}

function parseActivation(expr: Expr): Elaborated<Activation> {
  const name = expr.kind === 'name' ? expr.name : expr.kind === 'call' ? expr.callee.name : null;
  if (name === 'relu' || name === 'gelu' || name === 'tanh') return { ok: true, value: { kind: name } };
  if (name === 'sine') {
    let omega0 = 30; // SIREN's default (Sitzmann et al. 2020)
    if (expr.kind === 'call' && expr.args.length > 0) {
      const v = expr.args[0]!.value;
      const value = v.kind === 'unary' && v.operand.kind === 'number' ? -v.operand.value : v.kind === 'number' ? v.value : null;
      if (value === null || value <= 0) return fail('spaces/bad-activation', '`omega0` must be a positive number', v.span);
      omega0 = value;
    }
    return { ok: true, value: { kind: 'sine', omega0 } };
  }
  return fail('spaces/bad-activation', 'activation must be relu, gelu, tanh or sine(omega0: ...)', expr.span);
}

function transformerSpec(call: CallExpr): Elaborated<TransformerSpec> {
  const order = ['vocab', 'd_model', 'heads', 'blocks', 'ffn', 'seq', 'head_dim', 'norm'];
  const args = argsByName(call, order);
  const sizes = new Map<string, number>();
  for (const key of order.slice(0, 7)) {
    const arg = args.get(key);
    if (arg === undefined) {
      if (key === 'head_dim') continue;
      return fail('spaces/missing-argument', `transformer needs \`${key}\``, call.span);
    }
    const v = positiveInt(arg.value, `\`${key}\``);
    if (!v.ok) return v;
    sizes.set(key, v.value);
  }
  const dModel = sizes.get('d_model')!;
  const heads = sizes.get('heads')!;
  let headDim = sizes.get('head_dim');
  if (headDim === undefined) {
    if (dModel % heads !== 0) {
      return fail('spaces/bad-size', `d_model (${dModel}) is not divisible by heads (${heads})`, call.span, 'give `head_dim` explicitly');
    }
    headDim = dModel / heads;
  }
  let norm: 'pre' | 'post' = 'pre';
  const normArg = args.get('norm');
  if (normArg !== undefined) {
    const v = normArg.value;
    if (v.kind !== 'name' || (v.name !== 'pre' && v.name !== 'post')) return fail('spaces/bad-norm', '`norm` must be pre or post', v.span);
    norm = v.name;
  }
  return {
    ok: true,
    value: {
      kind: 'transformer', vocab: sizes.get('vocab')!, dModel, heads, headDim,
      blocks: sizes.get('blocks')!, ffn: sizes.get('ffn')!, seq: sizes.get('seq')!, norm,
    },
  };
}
