// Lowering: one net of a resolved program, instantiated for a target and a set size, → an IR graph.
//
// Blocks (and nets called from nets) are inlined; `repeat n` is unrolled in the enclosing scope;
// a function's type variables (T, b, c in `x: grads(T, b)[c]`) are bound by unifying its declared
// parameter types with the types of its arguments, and its declared return type is checked the same
// way. Builtin ops are lowered by lower-ops.ts. The first problem found stops the net's lowering and
// is reported as a diagnostic at the user's text.
import { DiagnosticError, error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { lookup, type ResolvedModule, type ResolvedProgram } from '../resolve/resolve.js';
import { findBuiltin } from '../resolve/builtins.js';
import type { CallExpr, Expr, FunctionDecl, Span, Statement } from '../syntax/ast.js';
import { elaborateTarget } from '../spaces/elaborate.js';
import type { TargetLayout } from '../spaces/target.js';
import { GraphBuilder } from './graph-builder.js';
import type { EqlinearInfo } from './lower-eqlinear.js';
import { lowerBuiltin, type BuiltinArgs, type OpContext } from './lower-ops.js';
import type { AxisName, Graph, ParamInit, ValueId } from './ops.js';
import { evalSpace, exprText, intOf, spacePattern, unifySpace } from './space-types.js';
import { formatType, sameSite, type Instantiation, type TensorType } from './types.js';
import { describeValue, type ScalarArg, type Value } from './values.js';

export type { EqlinearInfo } from './lower-eqlinear.js';
export type { ScalarArg } from './values.js';

export interface LowerRequest {
  program: ResolvedProgram;
  /** The module the net is looked up in (its own, or one that `use`s it). */
  module: ResolvedModule;
  net: string;
  /** Scalar arguments by parameter name; the rest take their defaults. */
  args?: ReadonlyMap<string, ScalarArg>;
  /** The target the net's free target variable (T) is bound to. */
  target: TargetLayout;
  /** The set size its free set variable (b) is bound to. */
  setSize: number;
}

export interface Lowered {
  graph: Graph;
  instantiation: Instantiation;
  /** Every eqlinear of the net with its basis, in graph order. */
  eqlinears: EqlinearInfo[];
}

export type LowerResult = { ok: true; value: Lowered } | { ok: false; diagnostics: Diagnostic[] };

/** The deepest block nesting accepted: deeper means a block (indirectly) calls itself. */
const MAX_DEPTH = 32;

export function lowerNet(req: LowerRequest): LowerResult {
  const sym = lookup(req.module, req.net);
  if (sym === undefined || sym.kind !== 'net') {
    return { ok: false, diagnostics: [error('ir/unknown-net', `no net named \`${req.net}\``, req.module.program.span)] };
  }
  const lowerer = new Lowerer(req);
  try {
    return { ok: true, value: lowerer.net(sym.decl, req.program.modules.get(sym.module)!) };
  } catch (e) {
    if (e instanceof DiagnosticError) return { ok: false, diagnostics: e.diagnostics };
    throw e;
  }
}

interface Frame {
  module: ResolvedModule;
  env: Map<string, Value>;
  /** Label prefix of the inlined blocks we are in, e.g. `set_layer.`. */
  prefix: string;
  depth: number;
}

class Lowerer implements OpContext {
  readonly targets = new Map<string, TargetLayout>();
  /** Filled as the net is lowered; `targets` gains every target the net refers to on the way. */
  readonly b: GraphBuilder;
  readonly eqlinears: EqlinearInfo[] = [];
  private readonly paramNames = new Set<string>();
  private readonly counters = new Map<string, number>();
  private frame!: Frame;

  constructor(private readonly req: LowerRequest) {
    this.b = new GraphBuilder(req.net, { targets: this.targets });
    this.targets.set(req.target.name, req.target);
  }

  fail(code: string, message: string, span: Span, hint?: string): never {
    throw new DiagnosticError([error(code, message, span, hint)]);
  }

  param(base: string, shape: number[], init: ParamInit, span: Span): ValueId {
    let name = base;
    for (let k = 2; this.paramNames.has(name); k++) name = `${base}_${k}`;
    this.paramNames.add(name);
    const type = shape.length === 1
      ? { set: null, site: null, channels: shape[0]! }
      : { set: null, site: { kind: 'fixed' as const, size: shape[0]!, label: 'rows' }, channels: shape[1]! };
    return this.b.add({ op: 'param', name, shape, init }, type, span, name);
  }

  /** A fresh readable label for the n-th use of a builtin in this block path, e.g. `pool.eqlinear1`. */
  label(builtin: string): string {
    const base = `${this.frame.prefix}${builtin}`;
    const n = (this.counters.get(base) ?? 0) + 1;
    this.counters.set(base, n);
    return `${base}${n}`;
  }

  net(decl: FunctionDecl, module: ResolvedModule): Lowered {
    this.frame = { module, env: new Map(), prefix: '', depth: 0 };
    const inputs = new Map<string, ValueId>();
    const args = this.req.args ?? new Map<string, ScalarArg>();
    for (const [name] of args) {
      if (!decl.params.some((p) => p.name.name === name)) {
        this.fail('ir/unknown-argument', `net ${decl.name.name} has no parameter \`${name}\``, decl.name.span);
      }
    }
    // Scalars first: tensor types may mention them (`features: weights(T)[n]`).
    for (const p of decl.params) {
      if (spacePattern(p.type) !== null) continue;
      const given = args.get(p.name.name);
      if (p.type.kind === 'name' && p.type.name === 'target') this.frame.env.set(p.name.name, { kind: 'target', name: this.req.target.name });
      else if (given !== undefined) this.frame.env.set(p.name.name, scalarValue(given));
      else if (p.default !== undefined) this.frame.env.set(p.name.name, this.expr(p.default));
      else this.fail('ir/missing-argument', `net ${decl.name.name} needs a value for \`${p.name.name}\``, p.span);
    }
    for (const p of decl.params) {
      const pattern = spacePattern(p.type);
      if (pattern === null) continue;
      this.bindFree(pattern.target, { kind: 'target', name: this.req.target.name });
      this.bindFree(pattern.set, { kind: 'number', value: this.req.setSize, isInteger: true });
      const t = evalSpace(p.type, (n) => this.lookupName(n));
      if (!t.ok) this.fail('ir/uninferable-type', `cannot lay out input \`${p.name.name}\`: ${t.message}`, t.span, 'give the channels as a number or a parameter');
      const id = this.b.add({ op: 'input', name: p.name.name }, t.type, p.span, p.name.name);
      inputs.set(p.name.name, id);
      this.frame.env.set(p.name.name, { kind: 'tensor', id });
    }
    const output = this.body(decl);
    return {
      graph: { name: decl.name.name, nodes: this.b.nodes, inputs, output, declaredBreaks: declaredBreaks(decl) },
      instantiation: { targets: this.targets },
      eqlinears: this.eqlinears,
    };
  }

  private bindFree(expr: Expr | null, v: Value): void {
    if (expr?.kind === 'name' && this.lookupName(expr.name) === undefined) this.frame.env.set(expr.name, v);
  }

  /** Runs a function body; checks and returns its result against the declared return type. */
  private body(decl: FunctionDecl): ValueId {
    const ret = this.statements(decl.body);
    if (ret === null) this.fail('ir/missing-return', `${decl.kind} ${decl.name.name} does not return a value`, decl.name.span);
    const v = ret.value;
    if (v.kind !== 'tensor') this.fail('ir/not-a-tensor', `${decl.kind} ${decl.name.name} returns ${describeValue(v)}, not a tensor`, ret.span);
    const actual = this.b.typeOf(v.id);
    const why = unifySpace(decl.returnType, actual, (n) => this.lookupName(n), (n, val) => this.frame.env.set(n, val));
    if (why !== null) {
      this.fail('ir/return-mismatch',
        `${decl.kind} ${decl.name.name} returns ${formatType(actual)}, but declares \`${exprText(decl.returnType)}\`: ${why}`, ret.span);
    }
    return v.id;
  }

  private statements(stmts: Statement[]): { value: Value; span: Span } | null {
    for (const s of stmts) {
      if (s.kind === 'return') return { value: this.expr(s.value), span: s.value.span };
      if (s.kind === 'let') {
        const mark = this.b.nodes.length;
        const v = this.expr(s.value);
        // The node the binding names takes its name, so dumps and messages read like the source.
        if (v.kind === 'tensor' && v.id >= mark && this.b.nodes[v.id]!.op.op !== 'param') this.b.nodes[v.id]!.label = `${this.frame.prefix}${s.name.name}`;
        this.frame.env.set(s.name.name, v);
      } else {
        const n = this.expr(s.count);
        if (n.kind !== 'number' || !Number.isInteger(n.value) || n.value < 0) {
          this.fail('ir/bad-repeat', '`repeat` needs a non-negative integer count', s.count.span);
        }
        for (let i = 0; i < n.value; i++) {
          const r = this.statements(s.body);
          if (r !== null) return r;
        }
      }
    }
    return null;
  }

  lookupName(name: string): Value | undefined {
    const v = this.frame.env.get(name);
    if (v !== undefined) return v;
    const sym = lookup(this.frame.module, name);
    if (sym?.kind !== 'target') return undefined;
    if (!this.targets.has(name)) {
      const layout = elaborateTarget(sym.decl);
      if (!layout.ok) throw new DiagnosticError(layout.diagnostics);
      this.targets.set(name, layout.value);
    }
    return { kind: 'target', name };
  }

  expr(e: Expr): Value {
    switch (e.kind) {
      case 'number': return { kind: 'number', value: e.value, isInteger: e.isInteger };
      case 'string': return { kind: 'string', value: e.value };
      case 'bool': return { kind: 'bool', value: e.value };
      case 'name': {
        const v = this.lookupName(e.name);
        if (v === undefined) this.fail('ir/unknown-name', `\`${e.name}\` is not bound here`, e.span);
        return v;
      }
      case 'unary': {
        const v = this.expr(e.operand);
        if (v.kind === 'number') return { ...v, value: -v.value };
        if (v.kind !== 'tensor') this.fail('ir/bad-operand', `cannot negate ${describeValue(v)}`, e.span);
        return { kind: 'tensor', id: this.b.add({ op: 'unary', fn: 'neg', x: v.id }, this.b.typeOf(v.id), e.span, `${this.frame.prefix}neg`) };
      }
      case 'binary': return this.binary(e);
      case 'call': return this.call(e);
      case 'index': {
        const t = evalSpace(e, (n) => this.lookupName(n));
        if (!t.ok) this.fail('ir/bad-space', t.message, t.span);
        return { kind: 'space', type: t.type };
      }
      case 'list': case 'record':
        return this.fail('ir/bad-operand', 'a list or record is not a value here', e.span);
    }
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>): Value {
    const a = this.expr(e.left);
    const b = this.expr(e.right);
    if (a.kind === 'number' && b.kind === 'number') {
      const value = e.op === '+' ? a.value + b.value : e.op === '-' ? a.value - b.value : e.op === '*' ? a.value * b.value : a.value / b.value;
      return { kind: 'number', value, isInteger: a.isInteger && b.isInteger && Number.isInteger(value) };
    }
    if (a.kind === 'tensor' && b.kind === 'tensor') {
      const fn = ({ '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' } as const)[e.op];
      const type = this.broadcastType(this.b.typeOf(a.id), this.b.typeOf(b.id), e.span, `\`${e.op}\``);
      return { kind: 'tensor', id: this.b.add({ op: 'binary', fn, a: a.id, b: b.id }, type, e.span, `${this.frame.prefix}${fn}`) };
    }
    // tensor * number, number * tensor, tensor / number: a scale.
    const [t, n] = a.kind === 'tensor' ? [a, b] : [b, a];
    if (t.kind === 'tensor' && n.kind === 'number' && (e.op === '*' || (e.op === '/' && a.kind === 'tensor'))) {
      const factor = e.op === '*' ? n.value : 1 / n.value;
      return { kind: 'tensor', id: this.b.add({ op: 'scale', x: t.id, factor }, this.b.typeOf(t.id), e.span, `${this.frame.prefix}scale`) };
    }
    return this.fail('ir/bad-operand', `cannot apply \`${e.op}\` to ${describeValue(a)} and ${describeValue(b)}`, e.span,
      t.kind === 'tensor' && n.kind === 'number' ? 'a tensor can only be multiplied or divided by a number' : undefined);
  }

  /** The type of a broadcasting op's result (ops.ts: missing set/site axes and 1 channel broadcast). */
  broadcastType(x: TensorType, y: TensorType, span: Span, what: string): TensorType {
    if (x.set !== null && y.set !== null && x.set.size !== y.set.size) {
      this.fail('ir/space-mismatch', `${what} combines sets of different sizes: ${formatType(x)} and ${formatType(y)}`, span);
    }
    if (x.site !== null && y.site !== null && !sameSite(x.site, y.site)) {
      this.fail('ir/space-mismatch', `${what} combines different spaces: ${formatType(x)} and ${formatType(y)}`, span);
    }
    if (x.channels !== y.channels && x.channels !== 1 && y.channels !== 1) {
      this.fail('ir/channel-mismatch', `${what} combines ${x.channels} channels with ${y.channels}`, span);
    }
    return { set: x.set ?? y.set, site: x.site ?? y.site, channels: Math.max(x.channels, y.channels) };
  }

  private call(e: CallExpr): Value {
    const name = e.callee.name;
    const sym = lookup(this.frame.module, name);
    if (sym?.kind === 'block' || sym?.kind === 'net') return this.inline(e, sym.decl, this.req.program.modules.get(sym.module)!);
    const builtin = findBuiltin(name, 'op');
    if (builtin === undefined) {
      if (spacePattern({ kind: 'index', base: e, index: { kind: 'number', value: 1, isInteger: true, span: e.span }, span: e.span }) !== null) {
        this.fail('ir/bad-space', `the space \`${name}(...)\` needs its channels, e.g. \`${exprText(e)}[8]\``, e.span);
      }
      this.fail('ir/unknown-op', `\`${name}\` is not an op, block or net`, e.callee.span);
    }
    const args: BuiltinArgs = { named: new Map(), rest: [] };
    e.args.forEach((a, i) => {
      const param = a.name !== undefined ? builtin.params.find((p) => p.name === a.name!.name) : builtin.params[Math.min(i, builtin.params.length - 1)];
      if (param === undefined) this.fail('ir/unknown-argument', `\`${name}\` has no parameter \`${a.name?.name ?? i}\``, a.span);
      // Enum arguments are bare words (`over: set`), read from the syntax, not evaluated.
      const enumLike = param.type.kind === 'enum' || param.type.kind === 'enum_list';
      const arg = { expr: a.value, value: enumLike ? null : this.expr(a.value) };
      if (param.rest === true) args.rest.push(arg);
      else args.named.set(param.name, arg);
    });
    return { kind: 'tensor', id: lowerBuiltin(this, name, e, args) };
  }

  /** Inlines a block (or a net used as a block) at a call site. */
  private inline(e: CallExpr, decl: FunctionDecl, module: ResolvedModule): Value {
    if (this.frame.depth >= MAX_DEPTH) this.fail('ir/recursive-block', `${decl.kind} ${decl.name.name} calls itself`, e.span);
    const given = new Map<string, { value: Value; span: Span }>();
    e.args.forEach((a, i) => {
      const p = a.name !== undefined ? decl.params.find((q) => q.name.name === a.name!.name) : decl.params[i];
      if (p === undefined) this.fail('ir/unknown-argument', `${decl.kind} ${decl.name.name} has no parameter \`${a.name?.name ?? `#${i + 1}`}\``, a.span);
      given.set(p.name.name, { value: this.expr(a.value), span: a.value.span });
    });
    const caller = this.frame;
    this.frame = { module, env: new Map(), prefix: `${caller.prefix}${decl.name.name}.`, depth: caller.depth + 1 };
    try {
      for (const p of decl.params) {
        const arg = given.get(p.name.name);
        if (spacePattern(p.type) !== null) {
          if (arg === undefined) this.fail('ir/missing-argument', `${decl.kind} ${decl.name.name} needs the tensor \`${p.name.name}\``, e.span);
          if (arg.value.kind !== 'tensor') this.fail('ir/not-a-tensor', `argument \`${p.name.name}\` of ${decl.name.name} must be a tensor, got ${describeValue(arg.value)}`, arg.span);
          const actual = this.b.typeOf(arg.value.id);
          const why = unifySpace(p.type, actual, (n) => this.lookupName(n), (n, v) => this.frame.env.set(n, v));
          if (why !== null) {
            this.fail('ir/argument-mismatch',
              `argument \`${p.name.name}\` of ${decl.name.name} expects \`${exprText(p.type)}\`, got ${formatType(actual)}: ${why}`, arg.span);
          }
          this.frame.env.set(p.name.name, arg.value);
        } else if (arg !== undefined) {
          this.frame.env.set(p.name.name, arg.value);
        } else if (p.default !== undefined) {
          this.frame.env.set(p.name.name, this.expr(p.default));
        } else {
          this.fail('ir/missing-argument', `${decl.kind} ${decl.name.name} needs a value for \`${p.name.name}\``, e.span);
        }
      }
      const out = this.body(decl);
      return { kind: 'tensor', id: out };
    } finally {
      this.frame = caller;
    }
  }

  /** A positive integer argument. */
  int(v: Value | null, expr: Expr, what: string): number {
    if (v?.kind === 'number' && Number.isInteger(v.value) && v.value >= 1) return v.value;
    const n = intOf(expr, (name) => this.lookupName(name));
    if (n === null) this.fail('ir/bad-argument', `${what} must be a positive integer`, expr.span);
    return n;
  }
}

function scalarValue(v: ScalarArg): Value {
  if (typeof v === 'number') return { kind: 'number', value: v, isInteger: Number.isInteger(v) };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  return { kind: 'string', value: v };
}

/** `@breaks(set, neurons)` → the axes whose symmetry the net does not claim. */
function declaredBreaks(decl: FunctionDecl): AxisName[] {
  const out: AxisName[] = [];
  for (const a of decl.annotations) {
    if (a.name.name !== 'breaks') continue;
    for (const arg of a.args) {
      if (arg.value.kind !== 'name') continue;
      const axis: AxisName = arg.value.name === 'set' ? 'set' : 'site';
      if (!out.includes(axis)) out.push(axis);
    }
  }
  return out;
}
