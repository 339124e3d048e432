// Lowering of the builtin ops (resolve/builtins.ts) to IR nodes, with the shape and space checks
// each one needs. The symmetry of each op is *not* judged here: that is the checker's job
// (compiler/symmetry), so a symmetry-breaking op lowers fine and is rejected with its own message.
import type { CallExpr, Expr, Span } from '../syntax/ast.js';
import type { TargetLayout } from '../spaces/target.js';
import type { GroupChoice } from '../symmetry/site-model.js';
import type { TermSubset } from '../symmetry/term-subset.js';
import type { GraphBuilder } from './graph-builder.js';
import { lowerEqlinear, type EqlinearInfo } from './lower-eqlinear.js';
import { pixelsSite } from './space-types.js';
import type { AxisName, ParamInit, UnaryFn, ValueId } from './ops.js';
import { formatType, siteSize, type TensorType } from './types.js';
import { describeValue, type Value } from './values.js';

export interface BuiltinArg {
  expr: Expr;
  /** Evaluated value; null for enum arguments (bare words, read from `expr`). */
  value: Value | null;
}

export interface BuiltinArgs {
  named: Map<string, BuiltinArg>;
  rest: BuiltinArg[];
}

/** What a builtin's lowering needs from the lowerer. */
export interface OpContext {
  b: GraphBuilder;
  targets: Map<string, TargetLayout>;
  eqlinears: EqlinearInfo[];
  fail(code: string, message: string, span: Span, hint?: string): never;
  param(base: string, shape: number[], init: ParamInit, span: Span): ValueId;
  label(builtin: string): string;
  int(v: Value | null, expr: Expr, what: string): number;
  broadcastType(x: TensorType, y: TensorType, span: Span, what: string): TensorType;
}

const UNARY = new Set<string>(['relu', 'gelu', 'tanh', 'sigmoid', 'silu', 'sin', 'cos', 'exp', 'log', 'square', 'sqrt', 'abs']);

export function lowerBuiltin(ctx: OpContext, name: string, call: CallExpr, args: BuiltinArgs): ValueId {
  const span = call.span;
  const tensor = (key: string): ValueId => {
    const a = args.named.get(key);
    if (a === undefined) return ctx.fail('ir/missing-argument', `\`${name}\` needs \`${key}\``, span);
    if (a.value?.kind !== 'tensor') return ctx.fail('ir/not-a-tensor', `\`${key}\` of ${name} must be a tensor, got ${a.value === null ? 'a word' : describeValue(a.value)}`, a.expr.span);
    return a.value.id;
  };
  const flag = (key: string, dflt: boolean): boolean => {
    const a = args.named.get(key);
    if (a === undefined) return dflt;
    if (a.value?.kind !== 'bool') return ctx.fail('ir/bad-argument', `\`${key}\` of ${name} must be true or false`, a.expr.span);
    return a.value.value;
  };
  const word = (key: string, dflt: string | null): string => {
    const a = args.named.get(key);
    if (a === undefined) {
      if (dflt === null) return ctx.fail('ir/missing-argument', `\`${name}\` needs \`${key}\``, span);
      return dflt;
    }
    if (a.expr.kind !== 'name') return ctx.fail('ir/bad-argument', `\`${key}\` of ${name} must be a bare word`, a.expr.span);
    return a.expr.name;
  };
  const target = (key: string): string => {
    const a = args.named.get(key);
    if (a?.value?.kind !== 'target') return ctx.fail('ir/bad-argument', `\`${key}\` of ${name} must be a target`, a?.expr.span ?? span);
    return a.value.name;
  };
  const add = (op: Parameters<GraphBuilder['add']>[0], type: TensorType, label = ctx.label(name)): ValueId => ctx.b.add(op, type, span, label);
  // `zero`: weights and bias start at 0, so the map is 0 until trained (an editor's last layer:
  // training starts from "no edit").
  const linear = (x: ValueId, out: number, bias: boolean, label: string, zero = false): ValueId => {
    const t = ctx.b.typeOf(x);
    const init = zero ? { kind: 'zeros' as const } : { kind: 'uniform_fan_in' as const, fanIn: t.channels };
    const w = ctx.param(`${label}.w`, [t.channels, out], init, span);
    let y = add({ op: 'matmul', x, w, transposeW: false }, { ...t, channels: out }, label);
    if (bias) y = add({ op: 'bias', x: y, b: ctx.param(`${label}.b`, [out], init, span) }, { ...t, channels: out }, label);
    return y;
  };

  if (UNARY.has(name)) {
    const x = tensor('x');
    return add({ op: 'unary', fn: name as UnaryFn, x }, ctx.b.typeOf(x));
  }
  switch (name) {
    case 'linear': {
      const a = args.named.get('out');
      return linear(tensor('x'), ctx.int(a?.value ?? null, a?.expr ?? call, '`out` of linear'), flag('bias', true), ctx.label(name), flag('zero', false));
    }
    case 'eqlinear': {
      const x = tensor('x');
      const from = ctx.b.typeOf(x);
      const out = args.named.get('out');
      if (out === undefined) return ctx.fail('ir/missing-argument', 'eqlinear needs `out`: a channel count or a space', span);
      const to: TensorType = out.value?.kind === 'space' ? out.value.type : { ...from, channels: ctx.int(out.value, out.expr, '`out` of eqlinear') };
      const group = word('group', 'coarse') as GroupChoice;
      const terms = { terms: word('terms', 'all') as TermSubset, span: args.named.get('terms')?.expr.span ?? span };
      const r = lowerEqlinear(ctx, x, to, group, terms, flag('bias', true), span, ctx.label(name));
      ctx.eqlinears.push(r.info);
      return r.id;
    }
    case 'dense': {
      const x = tensor('x');
      const t = ctx.b.typeOf(x);
      const toArg = args.named.get('to');
      if (toArg?.value?.kind !== 'space') return ctx.fail('ir/bad-argument', '`to` of dense must be a space type such as `weights(T)[1]`', toArg?.expr.span ?? span);
      const to = toArg.value.type;
      if (to.set !== null) return ctx.fail('ir/bad-argument', 'dense maps one set element at a time: `to` cannot have a set axis', toArg.expr.span);
      const size = (s: TensorType['site']): number => (s === null ? 1 : siteSize(s, { targets: ctx.targets }));
      const fanIn = size(t.site) * t.channels;
      const w = ctx.param(`${ctx.label(name)}.w`, [fanIn, size(to.site) * to.channels], { kind: 'uniform_fan_in', fanIn }, span);
      return add({ op: 'dense', x, w }, { set: t.set, site: to.site, channels: to.channels });
    }
    case 'layernorm': {
      const x = tensor('x');
      return add({ op: 'layernorm', x, eps: 1e-5 }, ctx.b.typeOf(x));
    }
    case 'blocknorm': {
      // (x − m) / sqrt(v + ε), m and v the per-segment (neuron layer, parameter block) mean and
      // variance of each example, set element and channel: statistics over whole orbits, so the
      // map commutes with the group.
      const x = tensor('x');
      const t = ctx.b.typeOf(x);
      if (t.site === null || t.site.kind === 'fixed') {
        return ctx.fail('ir/missing-axis', `blocknorm standardises over the layers of a target, but its argument is ${formatType(t)}`, span, 'apply it to a weights(T), neurons(T) or grads(T, b) tensor');
      }
      const label = ctx.label(name);
      const target = t.site.target;
      const mean = add({ op: 'segment_mean', x, target }, t, `${label}.mean`);
      const centred = add({ op: 'binary', fn: 'sub', a: x, b: mean }, t, `${label}.centred`);
      const variance = add({ op: 'segment_mean', x: add({ op: 'unary', fn: 'square', x: centred }, t, `${label}.square`), target }, t, `${label}.variance`);
      const eps = add({ op: 'const', table: { kind: 'fill', target, value: 1e-5 } }, { set: null, site: null, channels: 1 }, `${label}.eps`);
      const std = add({ op: 'unary', fn: 'sqrt', x: add({ op: 'binary', fn: 'add', a: variance, b: eps }, t, `${label}.variance`) }, t, `${label}.std`);
      return add({ op: 'binary', fn: 'div', a: centred, b: std }, t, label);
    }
    case 'render': {
      const theta = tensor('theta');
      const t = ctx.b.typeOf(theta);
      if (t.site?.kind !== 'params' || t.set !== null || t.channels !== 1) {
        return ctx.fail('ir/bad-argument', `render draws a target from its weights, weights(T)[1], but \`theta\` is ${formatType(t)}`, args.named.get('theta')!.expr.span,
          t.site?.kind === 'params' && t.set === null ? 'map the features to one channel first, e.g. `linear(x, 1)`' : undefined);
      }
      const layout = ctx.targets.get(t.site.target)!;
      if (layout.spec.kind !== 'mlp' || layout.spec.widths[0] !== 2) {
        return ctx.fail('ir/bad-argument', `render draws an image: ${layout.name} must be an mlp with 2 inputs (the pixel coordinates), it is ${layout.spec.kind === 'mlp' ? `an mlp with ${layout.spec.widths[0]}` : 'not an mlp'}`, args.named.get('theta')!.expr.span);
      }
      const sideArg = args.named.get('side');
      if (sideArg === undefined) return ctx.fail('ir/missing-argument', 'render needs `side`: the image is side×side pixels', span);
      const side = ctx.int(sideArg.value, sideArg.expr, '`side` of render');
      const label = ctx.label(name);
      const coords = add({ op: 'const', table: { kind: 'pixel_grid', target: layout.name, side } }, { set: null, site: pixelsSite(side), channels: 2 }, `${label}.grid`);
      return add({ op: 'render', theta, coords, target: layout.name }, { set: null, site: pixelsSite(side), channels: layout.spec.widths.at(-1)! }, label);
    }
    case 'attention': {
      const x = tensor('x');
      const t = ctx.b.typeOf(x);
      const over = axisOf(ctx, t, word('over', null), args.named.get('over')!.expr.span, 'attention');
      const headsArg = args.named.get('heads');
      const heads = headsArg === undefined ? 1 : ctx.int(headsArg.value, headsArg.expr, '`heads`');
      if (t.channels % heads !== 0) return ctx.fail('ir/channel-mismatch', `attention with ${heads} heads needs channels divisible by ${heads}, got ${t.channels}`, span);
      const label = ctx.label(name);
      const [q, k, v] = ['q', 'k', 'v'].map((p) => linear(x, t.channels, false, `${label}.${p}`));
      const o = add({ op: 'attention', q: q!, k: k!, v: v!, over, heads }, t, label);
      return linear(o, t.channels, true, `${label}.o`);
    }
    case 'mean': case 'sum': {
      const x = tensor('x');
      const t = ctx.b.typeOf(x);
      const overArg = args.named.get('over')!;
      const words = overArg.expr.kind === 'list' ? overArg.expr.items : [overArg.expr];
      const axes: AxisName[] = words.map((w) => {
        if (w.kind !== 'name') return ctx.fail('ir/bad-argument', '`over` takes set, neurons or weights', w.span);
        return axisOf(ctx, t, w.name, w.span, name);
      });
      const type: TensorType = { set: axes.includes('set') ? null : t.set, site: axes.includes('site') ? null : t.site, channels: t.channels };
      return add({ op: 'reduce', fn: name, x, axes }, type);
    }
    case 'concat': {
      const xs = args.rest.map((a) => {
        if (a.value?.kind !== 'tensor') return ctx.fail('ir/not-a-tensor', 'concat takes tensors', a.expr.span);
        return a.value.id;
      });
      const types = xs.map((x) => ctx.b.typeOf(x));
      const joint = types.reduce((acc, t) => ctx.broadcastType({ ...acc, channels: 1 }, { ...t, channels: 1 }, span, 'concat'));
      const label = ctx.label(name);
      const spread = xs.map((x, i) => {
        const t = types[i]!;
        const axes: AxisName[] = [];
        if (t.set === null && joint.set !== null) axes.push('set');
        if (t.site === null && joint.site !== null) axes.push('site');
        return axes.length === 0 ? x : add({ op: 'broadcast', x, axes }, { set: joint.set, site: joint.site, channels: t.channels }, label);
      });
      return add({ op: 'concat', xs: spread }, { set: joint.set, site: joint.site, channels: types.reduce((n, t) => n + t.channels, 0) }, label);
    }
    case 'select': {
      const [mask, a, b] = [tensor('mask'), tensor('a'), tensor('b')];
      const ab = ctx.broadcastType(ctx.b.typeOf(a), ctx.b.typeOf(b), span, 'select');
      const type = ctx.broadcastType(ctx.b.typeOf(mask), ab, span, 'select');
      return add({ op: 'select', mask, a, b }, type);
    }
    case 'rows': case 'cols': {
      const x = tensor('x');
      const t = ctx.b.typeOf(x);
      if (t.site?.kind !== 'neurons') {
        return ctx.fail('ir/not-neurons', `\`${name}\` reads features of neurons, but its argument is ${formatType(t)}`, span, 'apply it to a neurons(T) or grads(T, b) tensor');
      }
      return add({ op: 'gather', x, incidence: name, target: t.site.target }, { ...t, site: { kind: 'params', target: t.site.target } });
    }
    case 'row_sum': case 'col_sum': {
      const x = tensor('x');
      const t = ctx.b.typeOf(x);
      if (t.site?.kind !== 'params') {
        return ctx.fail('ir/not-weights', `\`${name}\` sums parameters into neurons, but its argument is ${formatType(t)}`, span, 'apply it to a weights(T) tensor');
      }
      const incidence = name === 'row_sum' ? 'rows' : 'cols';
      return add({ op: 'scatter', x, incidence, target: t.site.target }, { ...t, site: { kind: 'neurons', target: t.site.target } });
    }
    case 'fold': {
      const x = tensor('x');
      const t = ctx.b.typeOf(x);
      const axis = axisOf(ctx, t, word('axis', null), args.named.get('axis')!.expr.span, 'fold');
      const type: TensorType = axis === 'set'
        ? { set: null, site: t.site, channels: t.channels * t.set!.size }
        : { set: t.set, site: null, channels: t.channels * siteSize(t.site!, { targets: ctx.targets }) };
      return add({ op: 'fold', x, axis }, type);
    }
    case 'posenc': {
      const tgt = target('target');
      const dimArg = args.named.get('dim');
      if (dimArg === undefined) return ctx.fail('ir/missing-argument', 'posenc needs `dim`', span);
      const dim = ctx.int(dimArg.value, dimArg.expr, '`dim` of posenc');
      const hiddenIds = word('ids', 'layer') === 'unique' ? 'unique' : 'segment';
      return add({ op: 'const', table: { kind: 'posenc', target: tgt, dim, hiddenIds } }, { set: null, site: { kind: 'neurons', target: tgt }, channels: dim });
    }
    case 'bias_mask': {
      const tgt = target('target');
      return add({ op: 'const', table: { kind: 'bias_mask', target: tgt } }, { set: null, site: { kind: 'params', target: tgt }, channels: 1 });
    }
  }
  return ctx.fail('ir/unknown-op', `\`${name}\` has no lowering`, call.callee.span);
}

/** `set` / `neurons` / `weights` as an axis of x, or a diagnostic saying why x lacks it. */
function axisOf(ctx: OpContext, t: TensorType, word: string, span: Span, op: string): AxisName {
  if (word === 'set') {
    if (t.set === null) ctx.fail('ir/missing-axis', `${op} over set, but ${formatType(t)} has no set axis`, span);
    return 'set';
  }
  const kind = word === 'neurons' ? 'neurons' : 'params';
  if (t.site?.kind !== kind) ctx.fail('ir/missing-axis', `${op} over ${word}, but ${formatType(t)} has no ${word} axis`, span);
  return 'site';
}
