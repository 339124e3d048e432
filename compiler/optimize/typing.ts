// Result types of the nodes rules build (the same rules as compiler/ir/graph-builder.ts, on the
// rewrite context instead of a builder), and the helpers several rules share.
import { matrixDims } from '../ir/graph-builder.js';
import type { AxisName, Node, ReduceFn, ValueId } from '../ir/ops.js';
import { siteSize, type TensorType } from '../ir/types.js';
import type { RewriteContext } from './rewrite.js';

export function withoutAxes(t: TensorType, axes: readonly AxisName[]): TensorType {
  return { set: axes.includes('set') ? null : t.set, site: axes.includes('site') ? null : t.site, channels: t.channels };
}

function hasAxis(t: TensorType, axis: AxisName): boolean {
  return axis === 'set' ? t.set !== null : t.site !== null;
}

/** The length of an axis of `t` (which has it). */
function axisLength(t: TensorType, axis: AxisName, ctx: RewriteContext): number {
  if (axis === 'set') return t.set!.size;
  return siteSize(t.site!, ctx.inst);
}

/**
 * reduce(fn, x, axes) for an x that may lack some of `axes` (it is repeated along them where it
 * meets the others): a mean over a missing axis is x itself, a sum is x times the axis length.
 * `full` is the type x is repeated to (where the missing axes' lengths come from).
 */
export function reduceAlong(fn: ReduceFn, x: ValueId, axes: readonly AxisName[], full: TensorType, like: Node, ctx: RewriteContext): ValueId {
  const t = ctx.node(x).type;
  const present = axes.filter((a) => hasAxis(t, a));
  const missing = axes.filter((a) => !hasAxis(t, a));
  let y = present.length === 0 ? x : ctx.emit({ op: 'reduce', fn, x, axes: present }, withoutAxes(t, present), like);
  const factor = fn === 'sum' ? missing.reduce((f, a) => f * axisLength(full, a, ctx), 1) : 1;
  if (factor !== 1) y = ctx.emit({ op: 'scale', x: y, factor }, ctx.node(y).type, like);
  return y;
}

/** Rows [start, start + size) of a matrix value w (typed fixed(rows)[cols]), as fold → slice → unfold. */
export function matrixRows(w: ValueId, start: number, size: number, like: Node, ctx: RewriteContext): ValueId {
  const [rows, cols] = matrixDims(ctx.node(w).type);
  if (start === 0 && size === rows) return w;
  const flat = ctx.emit({ op: 'fold', x: w, axis: 'site' }, { set: null, site: null, channels: rows * cols }, like);
  const part = ctx.emit({ op: 'slice', x: flat, start: start * cols, size: size * cols }, { set: null, site: null, channels: size * cols }, like);
  return ctx.emit({ op: 'unfold', x: part, axis: 'site' }, { set: null, site: { kind: 'fixed', size, label: 'rows' }, channels: cols }, like);
}
