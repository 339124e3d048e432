// Argument kinds: the coarse kind of an expression, and whether it fits what a parameter expects
// (an int where a target is expected, `1.5` for an `int`, `over: sett`, `activation: rleu`, ...).
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Expr } from '../syntax/ast.js';
import { builtinsIn, type ArgKind } from './builtins.js';
import { resolveCallee } from './callee.js';
import type { ExprSite, ValidationContext, ValueKind } from './context.js';
import { didYouMean } from './suggest.js';

export function inferKind(expr: Expr, site: ExprSite, ctx: ValidationContext): ValueKind {
  switch (expr.kind) {
    case 'number':
      return expr.isInteger ? 'int' : 'float';
    case 'string':
      return 'string';
    case 'bool':
      return 'bool';
    case 'list':
      return 'list';
    case 'record':
      return 'record';
    case 'name': {
      const bound = site.scope?.bindings.get(expr.name);
      if (bound !== undefined) return bound;
      if (expr.name === 'vector') return 'space';
      return ctx.module.visible.get(expr.name)?.kind === 'target' ? 'target' : 'unknown';
    }
    case 'call':
      return resolveCallee(expr.callee.name, site.role === 'type' ? 'type' : 'value', ctx)?.result ?? 'unknown';
    case 'index':
      return inferKind(expr.base, site, ctx) === 'space' ? 'space' : 'unknown';
    case 'unary':
      return inferKind(expr.operand, site, ctx);
    case 'binary': {
      const l = inferKind(expr.left, site, ctx);
      const r = inferKind(expr.right, site, ctx);
      if (l === 'tensor' || r === 'tensor') return 'tensor';
      if (l === 'int' && r === 'int') return expr.op === '/' ? 'float' : 'int';
      if ((l === 'int' || l === 'float') && (r === 'int' || r === 'float')) return 'float';
      return 'unknown';
    }
  }
}

/** Kinds a value of each expected kind may have (`typevar` and `unknown` are given the benefit of the doubt). */
const ACCEPTS: Readonly<Record<string, readonly ValueKind[]>> = {
  tensor: ['tensor'],
  int: ['int', 'typevar'],
  float: ['int', 'float', 'typevar'],
  bool: ['bool'],
  string: ['string'],
  target: ['target', 'typevar'],
  space: ['space'],
  int_or_space: ['int', 'space', 'typevar'],
};

const DESCRIBE: Readonly<Record<ValueKind, string>> = {
  tensor: 'a tensor', int: 'an int', float: 'a float', bool: 'a bool', string: 'a string', target: 'a target',
  space: 'a space', typevar: 'a type variable', list: 'a list', record: 'a record', unknown: 'a value',
};

const EXPECTED: Readonly<Record<string, string>> = {
  tensor: 'a tensor', int: 'an int', float: 'a number', bool: '`true` or `false`', string: 'a string',
  target: 'a target', space: 'a space such as `weights(T)[1]`', int_or_space: 'an int or a space',
  int_list: 'a list of ints', float_list: 'a list of numbers',
};

/** Problems with `expr` as the value of parameter `param` of `owner` (e.g. "`relu`"). */
export function kindProblems(expected: ArgKind, expr: Expr, param: string, owner: string, site: ExprSite, ctx: ValidationContext): Diagnostic[] {
  switch (expected.kind) {
    case 'any':
      return [];
    case 'enum':
      return enumProblems(expected.values, expr, param, owner);
    case 'enum_list':
      return expr.kind === 'list' ? expr.items.flatMap((i) => enumProblems(expected.values, i, param, owner)) : enumProblems(expected.values, expr, param, owner);
    case 'name_list': {
      const items = expr.kind === 'list' ? expr.items : [expr];
      return items.filter((i) => i.kind !== 'name').map((i) => error('resolve/argument-kind', `\`${param}\` of ${owner} must be a list of names, e.g. \`[sgdm, ds_optimizer]\``, i.span));
    }
    case 'activation':
      return activationProblems(expr);
    case 'int_list':
    case 'float_list': {
      if (expr.kind !== 'list') return [mismatch(expected.kind, expr, param, owner, site, ctx)];
      const item: ArgKind = { kind: expected.kind === 'int_list' ? 'int' : 'float' };
      return expr.items.flatMap((i) => kindProblems(item, i, param, owner, site, ctx));
    }
    default: {
      const kind = inferKind(expr, site, ctx);
      if (kind === 'unknown' || ACCEPTS[expected.kind]!.includes(kind)) return [];
      return [mismatch(expected.kind, expr, param, owner, site, ctx)];
    }
  }
}

function mismatch(expected: string, expr: Expr, param: string, owner: string, site: ExprSite, ctx: ValidationContext): Diagnostic {
  const kind = inferKind(expr, site, ctx);
  const found = expr.kind === 'number' ? `\`${expr.isInteger ? expr.value : numberText(expr.value)}\`` : expr.kind === 'name' ? `${DESCRIBE[kind]} \`${expr.name}\`` : DESCRIBE[kind];
  const hint = expected === 'int' && kind === 'float' ? 'an int is written without a decimal point or exponent, e.g. `32`' : undefined;
  return error('resolve/argument-kind', `\`${param}\` of ${owner} must be ${EXPECTED[expected] ?? expected}, found ${found}`, expr.span, hint);
}

function numberText(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

function enumProblems(values: readonly string[], expr: Expr, param: string, owner: string): Diagnostic[] {
  const choices = values.map((v) => `\`${v}\``).join(', ');
  if (expr.kind !== 'name') {
    return [error('resolve/argument-kind', `\`${param}\` of ${owner} must be one of ${choices}`, expr.span)];
  }
  if (values.includes(expr.name)) return [];
  return [error('resolve/unknown-value', `unknown value \`${expr.name}\` for \`${param}\` of ${owner}`, expr.span,
    didYouMean(expr.name, values) ?? `expected one of ${choices}`)];
}

/** A bare activation name; calls (`sine(omega0: 30)`) are checked as calls in the activation role. */
function activationProblems(expr: Expr): Diagnostic[] {
  const names = builtinsIn('activation').map((b) => b.name);
  if (expr.kind === 'call') return [];
  if (expr.kind !== 'name') {
    return [error('resolve/argument-kind', `expected an activation (${names.join(', ')})`, expr.span)];
  }
  if (names.includes(expr.name)) return [];
  return [error('resolve/unknown-activation', `unknown activation \`${expr.name}\``, expr.span,
    didYouMean(expr.name, names) ?? `activations: ${names.join(', ')}`)];
}
