// The traversal that drives the validation registry: it visits declarations, statements and
// expressions in order, keeps the scope of each net/block body (parameters, type variables, `let`s
// defined so far), decides the role of every sub-expression, and calls the registered checks.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Expr, FunctionDecl, Statement } from '../syntax/ast.js';
import { bindCall, calleeRole, paramArgKind, resolveCallee } from './callee.js';
import { SCALAR_TYPES, type ExprSite, type Scope, type ValidationContext, type ValueKind } from './context.js';
import { inferKind } from './kinds.js';
import type { ResolvedModule } from './symbols.js';
import { VALIDATIONS } from './validations.js';

export function validateModule(module: ResolvedModule): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const ctx: ValidationContext = { module, report: (d) => diagnostics.push(d) };
  for (const check of VALIDATIONS.module) check(module, ctx);
  for (const decl of module.program.declarations) {
    if (decl.kind === 'net' || decl.kind === 'block') {
      for (const check of VALIDATIONS.function) check(decl, ctx);
      walkFunction(decl, ctx);
    } else if (decl.kind === 'target') {
      for (const check of VALIDATIONS.target) check(decl, ctx);
      walkExpr(decl.value, { role: decl.value.kind === 'call' ? 'target' : 'value', scope: undefined }, ctx);
    } else if (decl.kind === 'task') {
      for (const check of VALIDATIONS.task) check(decl, ctx);
    }
  }
  return diagnostics;
}

function walkFunction(fn: FunctionDecl, ctx: ValidationContext): void {
  const scope: Scope = { fn, bindings: new Map(), letNames: letNames(fn.body) };
  for (const v of typeVariables(fn, ctx)) scope.bindings.set(v, 'typevar');
  for (const p of fn.params) {
    const kind = paramArgKind(p.type).kind;
    if (!scope.bindings.has(p.name.name)) scope.bindings.set(p.name.name, kind === 'tensor' ? 'tensor' : (kind as ValueKind));
  }
  for (const p of fn.params) {
    // A bare type name (`int`, or a typo of one) is the paramTypes validation's business.
    if (p.type.kind !== 'name') walkExpr(p.type, { role: 'type', scope }, ctx);
    if (p.default) walkExpr(p.default, { role: 'value', scope }, ctx);
  }
  walkExpr(fn.returnType, { role: 'type', scope }, ctx);
  walkStatements(fn.body, scope, ctx);
}

function walkStatements(statements: Statement[], scope: Scope, ctx: ValidationContext): void {
  for (const s of statements) {
    for (const check of VALIDATIONS.statement) check(s, { role: 'value', scope }, ctx);
    if (s.kind === 'let') {
      walkExpr(s.value, { role: 'value', scope }, ctx);
      scope.bindings.set(s.name.name, inferKind(s.value, { role: 'value', scope }, ctx));
    } else if (s.kind === 'repeat') {
      walkExpr(s.count, { role: 'value', scope }, ctx);
      walkStatements(s.body, scope, ctx);
    } else {
      walkExpr(s.value, { role: 'value', scope }, ctx);
    }
  }
}

export function walkExpr(expr: Expr, site: ExprSite, ctx: ValidationContext): void {
  switch (expr.kind) {
    case 'name':
      if (site.role !== 'symbol') for (const check of VALIDATIONS.name) check(expr, site, ctx);
      return;
    case 'call': {
      const role = calleeRole(site);
      if (role === undefined) return;
      for (const check of VALIDATIONS.call) check(expr, site, ctx);
      const callee = resolveCallee(expr.callee.name, role, ctx);
      const binding = callee ? bindCall(expr, callee) : undefined;
      for (const arg of expr.args) {
        const param = binding?.matched.find((m) => m.arg === arg)?.param;
        walkExpr(arg.value, argumentSite(param?.kind.kind, arg.value, site), ctx);
      }
      return;
    }
    case 'list':
      for (const item of expr.items) walkExpr(item, site, ctx);
      return;
    case 'record':
      for (const f of expr.fields) walkExpr(f.value, site, ctx);
      return;
    case 'index':
      walkExpr(expr.base, site, ctx);
      walkExpr(expr.index, site.role === 'type' ? site : { role: 'value', scope: site.scope }, ctx);
      return;
    case 'unary':
      walkExpr(expr.operand, site, ctx);
      return;
    case 'binary':
      walkExpr(expr.left, site, ctx);
      walkExpr(expr.right, site, ctx);
      return;
    default:
      return;
  }
}

/** Enum words and activation names are not looked up as names; activation calls are calls. */
function argumentSite(kind: string | undefined, value: Expr, parent: ExprSite): ExprSite {
  if (kind === 'enum' || kind === 'enum_list' || kind === 'name_list') return { role: 'symbol', scope: parent.scope };
  if (kind === 'activation') return { role: value.kind === 'call' ? 'activation' : 'symbol', scope: parent.scope };
  return { role: parent.role === 'type' ? 'type' : 'value', scope: parent.scope };
}

function letNames(statements: Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    if (s.kind === 'let') out.add(s.name.name);
    if (s.kind === 'repeat') for (const n of letNames(s.body)) out.add(n);
  }
  return out;
}

/**
 * Names free in the parameters' space types (`T`, `b`, `c` in `grads(T, b)[c]`): not a scalar
 * parameter and not a declared target, so they are type variables bound later by unification.
 */
export function typeVariables(fn: FunctionDecl, ctx: ValidationContext): Set<string> {
  const scalars = new Set(fn.params.filter((p) => p.type.kind === 'name' && SCALAR_TYPES.has(p.type.name)).map((p) => p.name.name));
  const out = new Set<string>();
  const visit = (e: Expr): void => {
    if (e.kind === 'name') {
      if (e.name !== '' && !scalars.has(e.name) && ctx.module.visible.get(e.name)?.kind !== 'target') out.add(e.name);
    } else if (e.kind === 'call') for (const a of e.args) visit(a.value);
    else if (e.kind === 'index') {
      if (e.base.kind !== 'name') visit(e.base); // `vector` in `vector[c]` is the space's name
      visit(e.index);
    } else if (e.kind === 'binary') {
      visit(e.left);
      visit(e.right);
    }
  };
  for (const p of fn.params) if (p.type.kind !== 'name') visit(p.type);
  return out;
}
