// What a call refers to (a builtin op, a block or net, a space, a target constructor or an
// activation, depending on where the call sits) and how its arguments bind to its parameters.
// Binding is computed once per call and read by the separate arity/name/kind validations.
import type { Argument, CallExpr, FunctionDecl } from '../syntax/ast.js';
import { builtinsIn, findBuiltin, type ArgKind, type Builtin } from './builtins.js';
import { SCALAR_TYPES, type ExprSite, type ValidationContext, type ValueKind } from './context.js';

export interface CalleeParam {
  name: string;
  kind: ArgKind;
  optional: boolean;
  rest: boolean;
}

export interface Callee {
  name: string;
  /** For messages: "op", "block", "net", "space", "target constructor", "activation". */
  what: string;
  params: CalleeParam[];
  result: ValueKind;
}

/** Where a call sits decides what its callee may be. */
export type CallRole = 'value' | 'type' | 'target' | 'activation';

export function resolveCallee(name: string, role: CallRole, ctx: ValidationContext): Callee | undefined {
  if (role === 'type') return fromBuiltin(findBuiltin(name, 'space'), 'space', 'space');
  if (role === 'target') return fromBuiltin(findBuiltin(name, 'target'), 'target constructor', 'target');
  if (role === 'activation') return fromBuiltin(findBuiltin(name, 'activation'), 'activation', 'unknown');
  const op = fromBuiltin(findBuiltin(name, 'op'), 'op', 'tensor');
  if (op) return op;
  const sym = ctx.module.visible.get(name);
  if (sym && (sym.kind === 'net' || sym.kind === 'block')) return functionCallee(sym.decl);
  return fromBuiltin(findBuiltin(name, 'space'), 'space', 'space');
}

/** Names a call in `role` could have meant (for "did you mean"). */
export function calleeCandidates(role: CallRole, ctx: ValidationContext): string[] {
  if (role === 'type') return builtinsIn('space').map((b) => b.name);
  if (role === 'target') return builtinsIn('target').map((b) => b.name);
  if (role === 'activation') return builtinsIn('activation').map((b) => b.name);
  const fns = [...ctx.module.visible.values()].filter((s) => s.kind === 'net' || s.kind === 'block').map((s) => s.name);
  return [...builtinsIn('op').map((b) => b.name), ...fns, ...builtinsIn('space').map((b) => b.name)];
}

export function functionCallee(decl: FunctionDecl): Callee {
  return {
    name: decl.name.name,
    what: decl.kind,
    result: 'tensor',
    params: decl.params.map((p) => ({ name: p.name.name, kind: paramArgKind(p.type), optional: p.default !== undefined, rest: false })),
  };
}

/** A declared parameter's type as an argument kind: a scalar kind, else a tensor (a space type). */
export function paramArgKind(type: FunctionDecl['params'][number]['type']): ArgKind {
  if (type.kind === 'name') {
    const scalar = SCALAR_TYPES.get(type.name);
    if (scalar === 'int' || scalar === 'float' || scalar === 'bool' || scalar === 'string' || scalar === 'target') return { kind: scalar };
  }
  return { kind: 'tensor' };
}

export function fromBuiltin(b: Builtin | undefined, what: string, result: ValueKind): Callee | undefined {
  if (b === undefined) return undefined;
  return {
    name: b.name, what, result,
    params: b.params.map((p) => ({ name: p.name, kind: p.type, optional: p.optional === true, rest: p.rest === true })),
  };
}

export function calleeRole(site: ExprSite): CallRole | undefined {
  return site.role === 'symbol' ? undefined : site.role;
}

// ---- binding --------------------------------------------------------------------------------

export interface Binding {
  /** Arguments matched to a parameter. */
  matched: { arg: Argument; param: CalleeParam }[];
  /** Positional arguments beyond the parameters. */
  extra: Argument[];
  /** Named arguments whose name is no parameter. */
  unknownNamed: Argument[];
  /** Arguments for a parameter that already has one. */
  repeated: Argument[];
  /** Positional arguments written after a named one. */
  positionalAfterNamed: Argument[];
  /** Required parameters left without an argument. */
  missing: CalleeParam[];
}

const bindings = new WeakMap<CallExpr, { callee: Callee; binding: Binding }>();

export function bindCall(call: CallExpr, callee: Callee): Binding {
  const cached = bindings.get(call);
  if (cached && cached.callee.name === callee.name && cached.callee.what === callee.what) return cached.binding;
  const binding = bindArguments(call.args, callee.params);
  bindings.set(call, { callee, binding });
  return binding;
}

export function bindArguments(args: readonly Argument[], params: readonly CalleeParam[]): Binding {
  const b: Binding = { matched: [], extra: [], unknownNamed: [], repeated: [], positionalAfterNamed: [], missing: [] };
  const filled = new Set<CalleeParam>();
  const positional = params.filter((p) => !p.rest);
  const rest = params.find((p) => p.rest);
  let next = 0;
  let sawNamed = false;
  for (const arg of args) {
    if (arg.name !== undefined) {
      sawNamed = true;
      const param = params.find((p) => p.name === arg.name!.name);
      if (param === undefined) b.unknownNamed.push(arg);
      else if (filled.has(param) && !param.rest) b.repeated.push(arg);
      else {
        filled.add(param);
        b.matched.push({ arg, param });
      }
      continue;
    }
    if (sawNamed) b.positionalAfterNamed.push(arg);
    while (next < positional.length && filled.has(positional[next]!)) next++;
    const param = next < positional.length ? positional[next++] : rest;
    if (param === undefined) b.extra.push(arg);
    else {
      filled.add(param);
      b.matched.push({ arg, param });
    }
  }
  b.missing = params.filter((p) => !p.optional && !p.rest && !filled.has(p));
  return b;
}

export function signature(callee: Callee): string {
  const ps = callee.params.map((p) => (p.rest ? `${p.name}...` : p.optional ? `${p.name}?` : p.name));
  return `${callee.name}(${ps.join(', ')})`;
}
