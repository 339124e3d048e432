// Rules that move a sum or mean over positions to where it reads the least data.
//   set-reduction-first      a reduction over the set moves inside the ops it commutes with, when
//                            they have no other reader, so they run on one row per set instead of b:
//                              Σ_s matmul(x, W) = matmul(Σ_s x, W)
//                              Σ_s select(m, a, b) = select(m, Σ_s a, Σ_s b)   (m without a set axis)
//                              mean_s bias(a, β) = bias(mean_s a, β);  Σ_s bias(a, β) = b · bias(mean_s a, β)
//                            (GradMetaNet++'s readout ends in such a sum: its two last channel maps
//                            and their backward then run on [B, P] rows instead of [B, b, P])
//   reduce-of-concat         reduce(concat(x₁…xₙ)) = concat(reduce(x₁)…reduce(xₙ))
//   reduce-of-broadcast      a mean over an axis x was repeated along is x; a sum is x times its
//                            length; the rest of the reduction applies to x, the rest of the
//                            broadcast to the result
//   batch-sum-last           a reduction of a sum over the batch is the batch sum of the
//                            reduction (disjoint axes): the batch sum then reads the small result,
//                            and the reduction is often one the backward pass already has
//   reduction-of-partial     a reduction over set and site is the reduction over one of them of the
//                            reduction over the other (a mean of equal-sized means is the mean, a
//                            sum of sums the sum); the partial one is shared with the other readers
//                            that reduce over it alone, so the full tensor is read once
import type { AxisName, Node, ReduceFn, ValueId } from '../../ir/ops.js';
import type { RewriteContext, Rule } from '../rewrite.js';
import { reduceAlong, withoutAxes } from '../typing.js';

export const setReductionFirst: Rule = {
  name: 'set-reduction-first',
  apply(node, ctx) {
    if (node.op.op !== 'reduce' || node.op.axes.length !== 1 || node.op.axes[0] !== 'set') return null;
    return pushSetReduction(node.op.fn, node.op.x, node, ctx);
  },
};

/** reduce(fn, set) of `id`, inside the op that computes it, or null when it does not commute. */
function pushSetReduction(fn: ReduceFn, id: ValueId, like: Node, ctx: RewriteContext): ValueId | null {
  const inner = ctx.node(id);
  if (ctx.readers(id) !== 1 || inner.type.set === null) return null;
  const op = inner.op;
  const reduced = withoutAxes(inner.type, ['set']);
  const overSet = (x: ValueId, f: ReduceFn = fn): ValueId | null =>
    ctx.node(x).type.set === null ? null : ctx.emit({ op: 'reduce', fn: f, x, axes: ['set'] }, withoutAxes(ctx.node(x).type, ['set']), like);
  if (op.op === 'matmul') {
    const x = overSet(op.x);
    return x === null ? null : ctx.emit({ ...op, x }, reduced, like);
  }
  if (op.op === 'select' && ctx.node(op.mask).type.set === null) {
    const [a, b] = [overSet(op.a), overSet(op.b)];
    return a === null || b === null ? null : ctx.emit({ ...op, a, b }, reduced, like);
  }
  if (op.op === 'bias') {
    const x = overSet(op.x, 'mean');
    if (x === null) return null;
    const mean = ctx.emit({ ...op, x }, reduced, like);
    return fn === 'mean' ? mean : ctx.emit({ op: 'scale', x: mean, factor: inner.type.set.size }, reduced, like);
  }
  return null;
}

export const reduceOfConcat: Rule = {
  name: 'reduce-of-concat',
  apply(node, ctx) {
    if (node.op.op !== 'reduce') return null;
    const joined = ctx.node(node.op.x);
    if (joined.op.op !== 'concat') return null;
    const { fn, axes } = node.op;
    const parts = joined.op.xs.map((x) => reduceAlong(fn, x, axes, joined.type, node, ctx));
    return ctx.emit({ op: 'concat', xs: parts }, node.type, node);
  },
};

export const reduceOfBroadcast: Rule = {
  name: 'reduce-of-broadcast',
  apply(node, ctx) {
    if (node.op.op !== 'reduce') return null;
    const repeated = ctx.node(node.op.x);
    if (repeated.op.op !== 'broadcast') return null;
    const { fn, axes } = node.op;
    // The source lacks the repeated axes: reduceAlong turns those into the identity (mean) or a
    // factor (sum) and reduces the source over the rest; the other repeats are applied after.
    const reduced = reduceAlong(fn, repeated.op.x, axes, repeated.type, node, ctx);
    const kept = repeated.op.axes.filter((a) => !axes.includes(a));
    return kept.length === 0 ? reduced : ctx.emit({ op: 'broadcast', x: reduced, axes: kept }, node.type, node);
  },
};

export const reductionOfPartial: Rule = {
  name: 'reduction-of-partial',
  apply(node, ctx) {
    if (node.op.op !== 'reduce' || !(node.op.axes.includes('set') && node.op.axes.includes('site'))) return null;
    const { fn, x } = node.op;
    const t = ctx.node(x).type;
    if (t.set === null || t.site === null) return null;
    // Through the site partial when one exists; else through the set partial, created here if need
    // be: a later reduction over the set (a backward pass has one per pooled term) then reuses it.
    const overSite = ctx.existing({ op: 'reduce', fn, x, axes: ['site'] }, withoutAxes(t, ['site']));
    const left: AxisName = overSite !== undefined ? 'set' : 'site';
    const partial = overSite ?? ctx.emit({ op: 'reduce', fn, x, axes: ['set'] }, withoutAxes(t, ['set']), node);
    return ctx.emit({ op: 'reduce', fn, x: partial, axes: [left] }, node.type, node);
  },
};

export const batchSumLast: Rule = {
  name: 'batch-sum-last',
  apply(node, ctx) {
    if (node.op.op !== 'reduce') return null;
    const summed = ctx.node(node.op.x);
    if (summed.op.op !== 'batch_sum' || ctx.readers(summed.id) !== 1) return null;
    const source = summed.op.x;
    const reduced = ctx.emit({ ...node.op, x: source }, node.type, node);
    return ctx.emit({ op: 'batch_sum', x: reduced }, node.type, node);
  },
};
