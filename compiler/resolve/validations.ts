// The validation registry: every resolver rule is one small function, registered below under the
// node it inspects. walk.ts visits the module and calls them. To add a rule, write the function
// and add it to VALIDATIONS; it reports through ctx.report with a span and, where one helps, a hint.
import { error } from '../diagnostics/diagnostic.js';
import { findFamily } from '../spaces/families.js';
import type { CallExpr, FunctionDecl, NameRef, Statement, TargetDecl, TaskDecl } from '../syntax/ast.js';
import { BUILTINS, builtinsIn, findBuiltin } from './builtins.js';
import { bindCall, calleeCandidates, calleeRole, resolveCallee, signature, type Callee } from './callee.js';
import { SCALAR_TYPES, type ExprSite, type ValidationContext } from './context.js';
import { kindProblems } from './kinds.js';
import type { ResolvedModule } from './symbols.js';
import { didYouMean } from './suggest.js';
import { TASK_VALIDATIONS } from './task-validations.js';

export interface ValidationRegistry {
  module: ((m: ResolvedModule, ctx: ValidationContext) => void)[];
  function: ((fn: FunctionDecl, ctx: ValidationContext) => void)[];
  target: ((t: TargetDecl, ctx: ValidationContext) => void)[];
  task: ((t: TaskDecl, ctx: ValidationContext) => void)[];
  statement: ((s: Statement, site: ExprSite, ctx: ValidationContext) => void)[];
  call: ((c: CallExpr, site: ExprSite, ctx: ValidationContext) => void)[];
  name: ((n: NameRef, site: ExprSite, ctx: ValidationContext) => void)[];
}

// ---- declarations ---------------------------------------------------------------------------

function duplicateDeclarations(m: ResolvedModule, ctx: ValidationContext): void {
  const seen = new Map<string, number>();
  for (const d of m.program.declarations) {
    if (d.kind === 'use' || d.name.name === '') continue;
    const first = seen.get(d.name.name);
    if (first !== undefined) {
      ctx.report(error('resolve/duplicate-declaration', `\`${d.name.name}\` is already declared on line ${first}`, d.name.span,
        'rename one of them'));
    } else seen.set(d.name.name, d.name.span.start.line);
  }
}

function shadowsBuiltin(fn: FunctionDecl, ctx: ValidationContext): void {
  if (findBuiltin(fn.name.name, 'op') || findBuiltin(fn.name.name, 'space')) {
    ctx.report(error('resolve/shadows-builtin', `\`${fn.name.name}\` is a builtin and cannot be redeclared`, fn.name.span, 'choose another name'));
  }
}

function duplicateParams(fn: FunctionDecl, ctx: ValidationContext): void {
  const seen = new Set<string>();
  for (const p of fn.params) {
    if (seen.has(p.name.name)) ctx.report(error('resolve/duplicate-parameter', `parameter \`${p.name.name}\` of \`${fn.name.name}\` is declared twice`, p.name.span));
    seen.add(p.name.name);
  }
}

const SPACE_TYPES_HINT = 'a parameter type is int, float, bool, string, target, or a space: grads(T, b)[c], neurons(T)[c], weights(T)[c], weight_grads(T, b)[c], set(b)[c], vector[c]';

function isSpaceType(e: FunctionDecl['returnType']): boolean {
  if (e.kind !== 'index') return false;
  if (e.base.kind === 'name') return e.base.name === 'vector';
  return e.base.kind === 'call' && findBuiltin(e.base.callee.name, 'space') !== undefined;
}

function paramTypes(fn: FunctionDecl, ctx: ValidationContext): void {
  for (const p of fn.params) {
    const t = p.type;
    if (t.kind === 'name' && SCALAR_TYPES.has(t.name)) continue;
    if (isSpaceType(t)) continue;
    if (t.kind === 'call' && findBuiltin(t.callee.name, 'space')) {
      ctx.report(error('resolve/bad-type', `the space \`${t.callee.name}(...)\` needs a channel count`, t.span, `write e.g. \`${t.callee.name}(...)[c]\``));
    } else if (t.kind === 'name') {
      ctx.report(error('resolve/bad-type', `unknown type \`${t.name}\``, t.span, didYouMean(t.name, [...SCALAR_TYPES.keys(), 'vector']) ?? SPACE_TYPES_HINT));
    } else if (!(t.kind === 'call' || (t.kind === 'index' && t.base.kind === 'call'))) {
      ctx.report(error('resolve/bad-type', `the type of \`${p.name.name}\` must be a scalar kind or a space type`, t.span, SPACE_TYPES_HINT));
    }
  }
}

function returnTypeIsSpace(fn: FunctionDecl, ctx: ValidationContext): void {
  if (!isSpaceType(fn.returnType) && fn.returnType.kind !== 'call') {
    ctx.report(error('resolve/bad-type', `\`${fn.name.name}\` must return a space type`, fn.returnType.span,
      'e.g. `-> weights(T)[1]`, `-> neurons(T)[width]` or `-> vector[out]`'));
  }
}

function defaultKinds(fn: FunctionDecl, ctx: ValidationContext): void {
  for (const p of fn.params) {
    if (p.default === undefined) continue;
    if (!(p.type.kind === 'name' && SCALAR_TYPES.has(p.type.name))) {
      ctx.report(error('resolve/bad-default', `tensor parameter \`${p.name.name}\` cannot have a default`, p.default.span,
        'tensor inputs are supplied by the caller or the task'));
      continue;
    }
    const kind = { kind: p.type.name } as Parameters<typeof kindProblems>[0];
    for (const d of kindProblems(kind, p.default, p.name.name, `\`${fn.name.name}\``, { role: 'value', scope: undefined }, ctx)) ctx.report(d);
  }
}

function missingReturn(fn: FunctionDecl, ctx: ValidationContext): void {
  if (!fn.body.some((s) => s.kind === 'return')) {
    ctx.report(error('resolve/missing-return', `${fn.kind} \`${fn.name.name}\` has no \`return\``, fn.name.span,
      'end the body with `return EXPR`'));
  }
}

const ANNOTATIONS = new Map([['breaks', ['set', 'neurons', 'weights']]]);

function knownAnnotations(fn: FunctionDecl, ctx: ValidationContext): void {
  for (const a of fn.annotations) {
    const axes = ANNOTATIONS.get(a.name.name);
    if (axes === undefined) {
      ctx.report(error('resolve/unknown-annotation', `unknown annotation \`@${a.name.name}\``, a.name.span,
        didYouMean(a.name.name, ANNOTATIONS.keys()) ?? 'the only annotation is `@breaks(axis, ...)`'));
      continue;
    }
    for (const arg of a.args) {
      for (const d of kindProblems({ kind: 'enum', values: axes }, arg.value, 'axis', `\`@${a.name.name}\``, { role: 'symbol', scope: undefined }, ctx)) ctx.report(d);
    }
  }
}

function targetIsConstructed(t: TargetDecl, ctx: ValidationContext): void {
  if (t.value.kind === 'call' || t.value.kind === 'name') return;
  ctx.report(error('resolve/bad-target', `target \`${t.name.name}\` must be built by a target constructor`, t.value.span,
    `e.g. \`mlp(widths: [1, 32, 1], activation: relu)\`; constructors: ${builtinsIn('target').map((b) => b.name).join(', ')}`));
}

/**
 * A target's argument *values* (an even kernel, an empty list of channels, a zero width), checked by
 * its family (compiler/spaces/families.ts) once the rules above found its names and kinds right, so
 * that `gmn check` reports them even for a target no net or task uses yet.
 */
function targetValues(t: TargetDecl, ctx: ValidationContext): void {
  if (t.value.kind !== 'call') return;
  const callee = resolveCallee(t.value.callee.name, 'target', ctx);
  const family = findFamily(t.value.callee.name);
  if (callee === undefined || family === undefined) return;
  const binding = bindCall(t.value, callee);
  if (binding.missing.length + binding.extra.length + binding.unknownNamed.length + binding.repeated.length + binding.positionalAfterNamed.length > 0) return;
  const site: ExprSite = { role: 'value', scope: undefined };
  if (binding.matched.some(({ arg, param }) => kindProblems(param.kind, arg.value, param.name, '', site, ctx).length > 0)) return;
  const spec = family.spec(t.value);
  if (!spec.ok) for (const d of spec.diagnostics) ctx.report(d);
}

// ---- statements -----------------------------------------------------------------------------

function repeatCountIsInt(s: Statement, site: ExprSite, ctx: ValidationContext): void {
  if (s.kind !== 'repeat') return;
  for (const d of kindProblems({ kind: 'int' }, s.count, 'count', '`repeat`', site, ctx)) ctx.report(d);
}

// ---- calls ----------------------------------------------------------------------------------

const ROLE_WORDS = { value: 'function', type: 'space', target: 'target constructor', activation: 'activation' } as const;

function knownCallee(call: CallExpr, site: ExprSite, ctx: ValidationContext): void {
  const role = calleeRole(site);
  if (role === undefined || call.callee.name === '' || resolveCallee(call.callee.name, role, ctx)) return;
  const name = call.callee.name;
  const sym = ctx.module.visible.get(name);
  const local = site.scope?.bindings.has(name);
  if (role === 'value' && (sym || local)) {
    const what = local ? 'a value' : `a ${sym!.kind}`;
    ctx.report(error('resolve/not-callable', `\`${name}\` is ${what}, not a function`, call.callee.span));
    return;
  }
  const elsewhere = role === 'value' ? BUILTINS.find((b) => b.name === name) : undefined;
  const hint = didYouMean(name, calleeCandidates(role, ctx))
    ?? (elsewhere ? `\`${name}\` is a ${elsewhere.context} name and cannot be called here` : undefined);
  ctx.report(error('resolve/unknown-name', `unknown ${ROLE_WORDS[role]} \`${name}\``, call.callee.span, hint));
}

/** The callee and binding for checks that need them (undefined: the callee check reported it). */
function bound(call: CallExpr, site: ExprSite, ctx: ValidationContext): { callee: Callee; binding: ReturnType<typeof bindCall> } | undefined {
  const role = calleeRole(site);
  const callee = role === undefined ? undefined : resolveCallee(call.callee.name, role, ctx);
  return callee ? { callee, binding: bindCall(call, callee) } : undefined;
}

function tooManyArguments(call: CallExpr, site: ExprSite, ctx: ValidationContext): void {
  const b = bound(call, site, ctx);
  const first = b?.binding.extra[0];
  if (!b || !first) return;
  const max = b.callee.params.length;
  const given = max + b.binding.extra.length;
  ctx.report(error('resolve/arity', `\`${b.callee.name}\` takes ${max} argument${max === 1 ? '' : 's'}, but ${given} were given`, first.span,
    `signature: ${signature(b.callee)}`));
}

function unknownNamedArguments(call: CallExpr, site: ExprSite, ctx: ValidationContext): void {
  const b = bound(call, site, ctx);
  for (const arg of b?.binding.unknownNamed ?? []) {
    const names = b!.callee.params.map((p) => p.name);
    ctx.report(error('resolve/unknown-argument', `\`${b!.callee.name}\` has no parameter \`${arg.name!.name}\``, arg.name!.span,
      didYouMean(arg.name!.name, names) ?? `signature: ${signature(b!.callee)}`));
  }
}

function repeatedArguments(call: CallExpr, site: ExprSite, ctx: ValidationContext): void {
  const b = bound(call, site, ctx);
  for (const arg of b?.binding.repeated ?? []) {
    ctx.report(error('resolve/duplicate-argument', `argument \`${arg.name!.name}\` of \`${b!.callee.name}\` is given twice`, arg.span));
  }
}

function positionalAfterNamed(call: CallExpr, site: ExprSite, ctx: ValidationContext): void {
  const b = bound(call, site, ctx);
  for (const arg of b?.binding.positionalAfterNamed ?? []) {
    ctx.report(error('resolve/argument-order', 'a positional argument cannot follow a named one', arg.span, 'name it, or move it before the named arguments'));
  }
}

function missingArguments(call: CallExpr, site: ExprSite, ctx: ValidationContext): void {
  const b = bound(call, site, ctx);
  if (!b || b.binding.missing.length === 0) return;
  const names = b.binding.missing.map((p) => `\`${p.name}\``).join(', ');
  ctx.report(error('resolve/arity', `\`${b.callee.name}\` is missing argument${b.binding.missing.length === 1 ? '' : 's'} ${names}`, call.callee.span,
    `signature: ${signature(b.callee)}`));
}

function argumentKinds(call: CallExpr, site: ExprSite, ctx: ValidationContext): void {
  const b = bound(call, site, ctx);
  for (const { arg, param } of b?.binding.matched ?? []) {
    const argSite: ExprSite = { role: site.role === 'type' ? 'type' : 'value', scope: site.scope };
    for (const d of kindProblems(param.kind, arg.value, param.name, `\`${b!.callee.name}\``, argSite, ctx)) ctx.report(d);
  }
}

// ---- names ----------------------------------------------------------------------------------

function knownName(n: NameRef, site: ExprSite, ctx: ValidationContext): void {
  if (n.name === '' || site.scope?.bindings.has(n.name)) return;
  const sym = ctx.module.visible.get(n.name);
  if (sym?.kind === 'target') return;
  if (site.role === 'type' && (SCALAR_TYPES.has(n.name) || n.name === 'vector')) return;
  if (site.scope?.letNames.has(n.name)) {
    ctx.report(error('resolve/use-before-definition', `\`${n.name}\` is used before its definition`, n.span, 'move the `let` above this use'));
    return;
  }
  if (sym) {
    ctx.report(error('resolve/not-a-value', `\`${n.name}\` is a ${sym.kind}, not a value`, n.span,
      sym.kind === 'task' ? undefined : `call it: \`${n.name}(...)\``));
    return;
  }
  const candidates = [...(site.scope?.bindings.keys() ?? []), ...[...ctx.module.visible.values()].filter((s) => s.kind === 'target').map((s) => s.name)];
  ctx.report(error('resolve/unknown-name', `unknown name \`${n.name}\``, n.span, didYouMean(n.name, candidates)));
}

export const VALIDATIONS: ValidationRegistry = {
  module: [duplicateDeclarations],
  function: [shadowsBuiltin, duplicateParams, paramTypes, returnTypeIsSpace, defaultKinds, missingReturn, knownAnnotations],
  target: [targetIsConstructed, targetValues],
  task: TASK_VALIDATIONS,
  statement: [repeatCountIsInt],
  call: [knownCallee, tooManyArguments, unknownNamedArguments, repeatedArguments, positionalAfterNamed, missingArguments, argumentKinds],
  name: [knownName],
};
