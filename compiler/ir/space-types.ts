// Space type expressions (`grads(T, b)[c]`, `neurons(T)[8]`, `vector[out]`, ...) as IR tensor types:
// evaluation (every name bound) and unification (free names T, b, c bound from an actual type),
// which is how a net's and a block's type variables get their values.
import type { Expr, Span } from '../syntax/ast.js';
import type { TensorType } from './types.js';
import type { Value } from './values.js';

type SpaceKind = 'grads' | 'neurons' | 'weights' | 'weight_grads' | 'set' | 'vector' | 'pixels';

interface SpacePattern {
  kind: SpaceKind;
  target: Expr | null;
  set: Expr | null;
  /** The image side of `pixels(side)`. */
  side: Expr | null;
  channels: Expr;
}

const SPACES: Record<SpaceKind, { target: boolean; set: boolean }> = {
  grads: { target: true, set: true },
  neurons: { target: true, set: false },
  weights: { target: true, set: false },
  weight_grads: { target: true, set: true },
  set: { target: false, set: true },
  vector: { target: false, set: false },
  pixels: { target: false, set: false },
};

/** The site of `pixels(side)`: side² positions on a fixed axis. */
export function pixelsSite(side: number): { kind: 'fixed'; size: number; label: string } {
  return { kind: 'fixed', size: side * side, label: 'pixels' };
}

export type Lookup = (name: string) => Value | undefined;
export type SpaceResult = { ok: true; type: TensorType } | { ok: false; message: string; span: Span };

/** Splits `base[channels]` into its parts; null when the expression is not a space type. */
export function spacePattern(expr: Expr): SpacePattern | null {
  if (expr.kind !== 'index') return null;
  const base = expr.base;
  if (base.kind === 'name' && base.name === 'vector') return { kind: 'vector', target: null, set: null, side: null, channels: expr.index };
  if (base.kind !== 'call' || !(base.callee.name in SPACES)) return null;
  const kind = base.callee.name as SpaceKind;
  const shape = SPACES[kind];
  const args = base.args.map((a) => a.value);
  const target = shape.target ? args[0] ?? null : null;
  const set = shape.set ? args[shape.target ? 1 : 0] ?? null : null;
  const side = kind === 'pixels' ? args[0] ?? null : null;
  return { kind, target, set, side, channels: expr.index };
}

function typeOf(kind: SpaceKind, target: string | null, set: TensorType['set'], side: number | null, channels: number): TensorType {
  const site: TensorType['site'] =
    kind === 'grads' || kind === 'neurons' ? { kind: 'neurons', target: target! }
      : kind === 'weights' || kind === 'weight_grads' ? { kind: 'params', target: target! }
      : kind === 'pixels' ? pixelsSite(side!) : null;
  return { set, site, channels };
}

/** Evaluates a space type whose names are all bound. */
export function evalSpace(expr: Expr, lookup: Lookup): SpaceResult {
  const p = spacePattern(expr);
  if (p === null) return { ok: false, message: 'expected a space type such as `neurons(T)[8]`', span: expr.span };
  let target: string | null = null;
  if (p.target !== null) {
    const t = p.target.kind === 'name' ? lookup(p.target.name) : undefined;
    if (t?.kind !== 'target') return { ok: false, message: `\`${exprText(p.target)}\` is not a target`, span: p.target.span };
    target = t.name;
  }
  let set: TensorType['set'] = null;
  if (p.set !== null) {
    const n = intOf(p.set, lookup);
    if (n === null) return { ok: false, message: `the set size \`${exprText(p.set)}\` is not a known positive integer`, span: p.set.span };
    set = { name: p.set.kind === 'name' ? p.set.name : String(n), size: n };
  }
  let side: number | null = null;
  if (p.kind === 'pixels') {
    side = p.side === null ? null : intOf(p.side, lookup);
    if (side === null) return { ok: false, message: `the image side${p.side === null ? '' : ` \`${exprText(p.side)}\``} is not a known positive integer`, span: p.side?.span ?? expr.span };
  }
  const c = intOf(p.channels, lookup);
  if (c === null) return { ok: false, message: `the channel count \`${exprText(p.channels)}\` is not a known positive integer`, span: p.channels.span };
  return { ok: true, type: typeOf(p.kind, target, set, side, c) };
}

/**
 * Matches a declared space type against an actual tensor type, binding free names through `bind`.
 * Returns null on success, else the reason it does not match.
 */
export function unifySpace(expr: Expr, actual: TensorType, lookup: Lookup, bind: (name: string, v: Value) => void): string | null {
  const p = spacePattern(expr);
  if (p === null) return 'the declared type is not a space type';
  const shape = SPACES[p.kind];
  const hasSite = p.kind === 'grads' || p.kind === 'neurons' ? 'neurons' : p.kind === 'weights' || p.kind === 'weight_grads' ? 'params' : p.kind === 'pixels' ? 'fixed' : null;
  if ((actual.set !== null) !== shape.set || (actual.site?.kind ?? null) !== hasSite) return 'it is a different kind of space';
  if (p.kind === 'pixels') {
    const site = actual.site!;
    const side = Math.round(Math.sqrt(site.kind === 'fixed' ? site.size : 0));
    if (site.kind !== 'fixed' || site.label !== 'pixels' || side * side !== site.size) return 'it is not an image on a pixel grid';
    if (p.side === null) return 'the declared `pixels` has no side';
    const why = unifyInt(p.side, side, 'image side', lookup, bind);
    if (why !== null) return why;
  }
  if (p.target !== null && actual.site !== null && actual.site.kind !== 'fixed') {
    if (p.target.kind !== 'name') return 'the declared target is not a name';
    const bound = lookup(p.target.name);
    if (bound === undefined) bind(p.target.name, { kind: 'target', name: actual.site.target });
    else if (bound.kind !== 'target' || bound.name !== actual.site.target) return `it is over target ${actual.site.target}, not ${exprText(p.target)}`;
  }
  if (p.set !== null && actual.set !== null) {
    const why = unifyInt(p.set, actual.set.size, 'set size', lookup, bind);
    if (why !== null) return why;
  }
  return unifyInt(p.channels, actual.channels, 'channel count', lookup, bind);
}

function unifyInt(expr: Expr, actual: number, what: string, lookup: Lookup, bind: (name: string, v: Value) => void): string | null {
  if (expr.kind === 'name' && lookup(expr.name) === undefined) {
    bind(expr.name, { kind: 'number', value: actual, isInteger: true });
    return null;
  }
  const n = intOf(expr, lookup);
  if (n === null) return `its ${what} \`${exprText(expr)}\` cannot be inferred`;
  return n === actual ? null : `it has ${what} ${actual}, not ${n}`;
}

/** A positive integer from a literal, a bound name, or integer arithmetic over them. */
export function intOf(expr: Expr, lookup: Lookup): number | null {
  const v = numberOf(expr, lookup);
  return v !== null && Number.isInteger(v) && v >= 1 ? v : null;
}

function numberOf(expr: Expr, lookup: Lookup): number | null {
  if (expr.kind === 'number') return expr.value;
  if (expr.kind === 'name') {
    const v = lookup(expr.name);
    return v?.kind === 'number' ? v.value : null;
  }
  if (expr.kind === 'binary') {
    const a = numberOf(expr.left, lookup);
    const b = numberOf(expr.right, lookup);
    if (a === null || b === null) return null;
    return expr.op === '+' ? a + b : expr.op === '-' ? a - b : expr.op === '*' ? a * b : a / b;
  }
  return null;
}

/** Short source-like rendering of a type expression, for messages. */
export function exprText(expr: Expr): string {
  switch (expr.kind) {
    case 'number': return String(expr.value);
    case 'string': return JSON.stringify(expr.value);
    case 'bool': return String(expr.value);
    case 'name': return expr.name;
    case 'call': return `${expr.callee.name}(${expr.args.map((a) => (a.name ? `${a.name.name}: ` : '') + exprText(a.value)).join(', ')})`;
    case 'index': return `${exprText(expr.base)}[${exprText(expr.index)}]`;
    case 'list': return `[${expr.items.map(exprText).join(', ')}]`;
    case 'record': return '{...}';
    case 'binary': return `${exprText(expr.left)} ${expr.op} ${exprText(expr.right)}`;
    case 'unary': return `-${exprText(expr.operand)}`;
  }
}
