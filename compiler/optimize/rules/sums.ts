// small-terms-first: a sum of full-size tensors and smaller ones repeated to their size (an
// equivariant layer: the channel map of x, plus broadcast channel maps of x's pooled terms, plus a
// bias) adds the small terms among themselves first, wherever one's axes contain another's, and
// repeats each of the few resulting sums once:
//   x·W₀ + ⟨mean_site x·W₁⟩ + ⟨mean_{set,site} x·W₃⟩ + β  =  x·W₀ + ⟨mean_site x·W₁ + mean_{set,site} x·W₃ + β⟩
// (⟨·⟩: repeated to the full size). The kernel that computes the sum — a matmul epilogue — then
// reads two small tensors per output instead of four, and the backward pass reduces the full-size
// cotangent once per group instead of once per term.
import type { Node, ValueId } from '../../ir/ops.js';
import type { TensorType } from '../../ir/types.js';
import type { RewriteContext, Rule } from '../rewrite.js';

export const smallTermsFirst: Rule = {
  name: 'small-terms-first',
  apply(node, ctx) {
    if (!isSum(node)) return null;
    const terms = flatten(node, ctx, true);
    const rank = axisCount(node.type);
    const full = terms.filter((t) => axisCount(ctx.node(t).type) === rank);
    const small = terms.filter((t) => axisCount(ctx.node(t).type) < rank);
    const groups = group(small, ctx);
    // Progress: only when some small terms merge (the rewritten sum has one small term per group).
    if (groups.length >= small.length) return null;
    const summed = [...full, ...groups.map((g) => repeated(sumOf(g, node, ctx), node.type, node, ctx))];
    return summed.reduce((acc, t) => ctx.emit({ op: 'binary', fn: 'add', a: acc, b: t }, node.type, node));
  },
};

function isSum(node: Node): boolean {
  return (node.op.op === 'binary' && node.op.fn === 'add') || node.op.op === 'bias';
}

/**
 * The terms of a tree of adds and biases, descending below the root only into sums with a single
 * reader (a shared partial sum stays one term); a broadcast term counts as its source.
 */
function flatten(node: Node, ctx: RewriteContext, root: boolean): ValueId[] {
  if (!root && (!isSum(node) || ctx.readers(node.id) !== 1)) return [node.op.op === 'broadcast' ? node.op.x : node.id];
  if (node.op.op === 'bias') return [...flatten(ctx.node(node.op.x), ctx, false), node.op.b];
  if (node.op.op === 'binary') return [...flatten(ctx.node(node.op.a), ctx, false), ...flatten(ctx.node(node.op.b), ctx, false)];
  return [];
}

/** Small terms grouped under the first (largest) term whose set/site axes contain theirs. */
function group(small: ValueId[], ctx: RewriteContext): ValueId[][] {
  const type = (v: ValueId): TensorType => ctx.node(v).type;
  const contains = (a: TensorType, b: TensorType): boolean => (b.set === null || a.set !== null) && (b.site === null || a.site !== null);
  const groups: ValueId[][] = [];
  for (const term of [...small].sort((x, y) => axisCount(type(y)) - axisCount(type(x)))) {
    const home = groups.find((g) => contains(type(g[0]!), type(term)));
    if (home !== undefined) home.push(term);
    else groups.push([term]);
  }
  return groups;
}

function axisCount(t: TensorType): number {
  return (t.set === null ? 0 : 1) + (t.site === null ? 0 : 1);
}

/** The sum of a group (its first term has every axis any of them has; channels broadcast). */
function sumOf(g: ValueId[], like: Node, ctx: RewriteContext): ValueId {
  return g.reduce((acc, v) => {
    const [a, b] = [ctx.node(acc).type, ctx.node(v).type];
    return ctx.emit({ op: 'binary', fn: 'add', a: acc, b: v }, { set: a.set, site: a.site, channels: Math.max(a.channels, b.channels) }, like);
  });
}

/** `x` repeated along the set/site axes of `to` it lacks (x itself when it lacks none). */
function repeated(x: ValueId, to: TensorType, like: Node, ctx: RewriteContext): ValueId {
  const t = ctx.node(x).type;
  const axes = [...(t.set === null && to.set !== null ? ['set' as const] : []), ...(t.site === null && to.site !== null ? ['site' as const] : [])];
  return axes.length === 0 ? x : ctx.emit({ op: 'broadcast', x, axes }, { set: to.set, site: to.site, channels: t.channels }, like);
}
