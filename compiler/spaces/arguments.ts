// Reading a target constructor's argument values: every failure is a diagnostic at the argument
// that caused it. Names and kinds were checked by the resolver against the family's parameters.
import type { Argument, CallExpr, Expr, ListExpr, Span } from '../syntax/ast.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Activation } from './target.js';

export type Elaborated<T> = { ok: true; value: T } | { ok: false; diagnostics: Diagnostic[] };

export const fail = <T>(code: string, message: string, span: Span, hint?: string): Elaborated<T> => ({
  ok: false,
  diagnostics: [error(code, message, span, hint)],
});

/** Named arguments by name; positional ones by parameter order. */
export function argsByName(call: CallExpr, order: readonly string[]): Map<string, Argument> {
  const out = new Map<string, Argument>();
  call.args.forEach((arg, i) => {
    const key = arg.name?.name ?? order[i];
    if (key !== undefined) out.set(key, arg);
  });
  return out;
}

export function positiveInt(expr: Expr, what: string): Elaborated<number> {
  if (expr.kind === 'number' && expr.isInteger && expr.value >= 1) return { ok: true, value: expr.value };
  return fail('spaces/bad-size', `${what} must be a positive integer`, expr.span);
}

/** A list of positive integers, each checked at its own span. */
export function positiveInts(list: ListExpr, what: string): Elaborated<number[]> {
  const out: number[] = [];
  for (const item of list.items) {
    const v = positiveInt(item, what);
    if (!v.ok) return v;
    out.push(v.value);
  }
  return { ok: true, value: out };
}

export function parseActivation(expr: Expr): Elaborated<Activation> {
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
