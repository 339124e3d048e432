// Task fields are written as expressions (`adam(lr: 1e-3)`, `{ test: 500 }`, `[1, 2, 3]`).
// This file evaluates them into plain values and merges preset overrides into them, keeping the
// span of every call so a bad value can still be reported at its place in the file.
import type { Expr, Span, TaskDecl } from '../../compiler/syntax/ast.js';

export type Value = number | string | boolean | Value[] | RecordValue | CallValue;

export interface RecordValue {
  kind: 'record';
  fields: Map<string, Value>;
  span: Span;
}

/** `name(args)` or a bare `name` (an enum value or a reference, with no args). */
export interface CallValue {
  kind: 'call';
  name: string;
  bare: boolean;
  positional: Value[];
  named: Map<string, Value>;
  span: Span;
}

export function evaluate(expr: Expr): Value {
  switch (expr.kind) {
    case 'number':
    case 'string':
    case 'bool':
      return expr.value;
    case 'unary': {
      const v = evaluate(expr.operand);
      return typeof v === 'number' ? -v : v;
    }
    case 'binary': {
      const l = evaluate(expr.left);
      const r = evaluate(expr.right);
      if (typeof l !== 'number' || typeof r !== 'number') return l;
      if (expr.op === '+') return l + r;
      if (expr.op === '-') return l - r;
      if (expr.op === '*') return l * r;
      return l / r;
    }
    case 'list':
      return expr.items.map(evaluate);
    case 'record':
      return {
        kind: 'record',
        fields: new Map(expr.fields.map((f) => [f.key.name, evaluate(f.value)])),
        span: expr.span,
      };
    case 'name':
      return { kind: 'call', name: expr.name, bare: true, positional: [], named: new Map(), span: expr.span };
    case 'call': {
      const positional: Value[] = [];
      const named = new Map<string, Value>();
      for (const arg of expr.args) {
        if (arg.name === undefined) positional.push(evaluate(arg.value));
        else named.set(arg.name.name, evaluate(arg.value));
      }
      return { kind: 'call', name: expr.callee.name, bare: false, positional, named, span: expr.span };
    }
    case 'index':
      return evaluate(expr.base);
  }
}

/**
 * A preset value overrides the task's value, except that a record merges into a record or into a
 * call's named arguments (`data: { models: 160 }` changes one argument of `random_targets(...)`).
 */
export function mergeOverride(base: Value | undefined, override: Value): Value {
  if (base === undefined || typeof override !== 'object' || Array.isArray(override) || override.kind !== 'record') {
    return override;
  }
  if (typeof base !== 'object' || Array.isArray(base)) return override;
  if (base.kind === 'record') {
    const fields = new Map(base.fields);
    for (const [k, v] of override.fields) fields.set(k, mergeOverride(fields.get(k), v));
    return { ...base, fields };
  }
  const named = new Map(base.named);
  for (const [k, v] of override.fields) named.set(k, mergeOverride(named.get(k), v));
  return { ...base, named };
}

/** The task's fields with one preset's overrides applied (`undefined` preset: the task as written). */
export function taskFields(task: TaskDecl, presetName: string | undefined): Map<string, Value> {
  const fields = new Map<string, Value>(task.fields.map((f) => [f.key.name, evaluate(f.value)]));
  if (presetName === undefined) return fields;
  const preset = task.presets.find((p) => p.name.name === presetName);
  if (preset === undefined) return fields;
  for (const f of preset.fields) fields.set(f.key.name, mergeOverride(fields.get(f.key.name), evaluate(f.value)));
  return fields;
}
