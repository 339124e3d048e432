// stacked-site-terms: a sum of site terms of one input's channel maps is one channel map to the
// stacked weights, then one op for all the terms:
//   Σ_k site_term_k(matmul(x, W_k))  =  site_terms(matmul(x, concat(W_1 … W_T)), term_1 … term_T)
// (concat along the weights' output channels, so term k reads channel block k). An eqlinear under the
// fine or np group lowers to one (matmul, site term) pair per basis term, and linear-of-site-term puts
// the matmul first where it narrows; on the device each pair was three dispatches (matmul, key sums,
// key reads): 96 of the 117 of UNF's update net, for its 32 terms. Stacked, the terms are the weight
// concatenation, one matmul and two kernels (compiler/wgsl/site-term.ts), whatever their number. The
// weights may be params or batched inputs (params-as-inputs.ts): a concatenation is either.
//
// The engine offers every add of a left-deep sum in turn, so the terms merge one at a time: each add
// extends the stack its left operand already is.
import type { Node, SiteTerm, ValueId } from '../../ir/ops.js';
import type { TensorType } from '../../ir/types.js';
import type { RewriteContext, Rule } from '../rewrite.js';

/** Site terms of matmul(x, W) for one x, as a stack: the weights to concatenate and their terms in order. */
interface Stack {
  x: ValueId;
  /** The matmul whose channels the terms read (the first piece's, for its type), and the terms' sum's type. */
  product: Node;
  type: TensorType;
  weights: ValueId[];
  terms: SiteTerm[];
}

export const stackedSiteTerms: Rule = {
  name: 'stacked-site-terms',
  apply(node, ctx) {
    if (node.op.op !== 'binary' || node.op.fn !== 'add') return null;
    const summands = flatten(node, ctx, true);
    // Stacks by input and result type (the sum of two eqlinears of one input joins one stack).
    const stacks = new Map<string, Stack>();
    const order: (ValueId | string)[] = [];
    let merged = false;
    for (const v of summands) {
      const piece = stackOf(ctx.node(v), ctx);
      if (piece === null) {
        order.push(v);
        continue;
      }
      const key = `${piece.x} ${JSON.stringify(ctx.node(v).type)}`;
      const stack = stacks.get(key);
      if (stack === undefined) {
        stacks.set(key, piece);
        order.push(key);
      } else {
        stack.weights.push(...piece.weights);
        stack.terms.push(...piece.terms);
        merged = true;
      }
    }
    if (!merged) return null;
    const parts = order.map((p) => (typeof p === 'number' ? p : stacked(stacks.get(p)!, node, ctx)));
    return sum(parts, node, ctx);
  },
};

/** The summands of a tree of adds, descending below the root only into adds with a single reader. */
function flatten(node: Node, ctx: RewriteContext, root: boolean): ValueId[] {
  const isAdd = node.op.op === 'binary' && node.op.fn === 'add';
  if (!root && (!isAdd || ctx.readers(node.id) !== 1)) return [node.id];
  if (node.op.op !== 'binary') return [node.id];
  return [...flatten(ctx.node(node.op.a), ctx, false), ...flatten(ctx.node(node.op.b), ctx, false)];
}

/** A summand that is site_term(matmul(x, W)) or an earlier stack, each read only by the sum; else null. */
function stackOf(term: Node, ctx: RewriteContext): Stack | null {
  if ((term.op.op !== 'site_term' && term.op.op !== 'site_terms') || ctx.readers(term.id) !== 1) return null;
  const product = ctx.node(term.op.x);
  if (product.op.op !== 'matmul' || product.op.transposeW || ctx.readers(product.id) !== 1) return null;
  if (term.op.op === 'site_term') return { x: product.op.x, product, type: term.type, weights: [product.op.w], terms: [term.op.term] };
  const w = ctx.node(product.op.w);
  const weights = w.op.op === 'concat' && ctx.readers(w.id) === 1 ? [...w.op.xs] : [w.id];
  return { x: product.op.x, product, type: term.type, weights, terms: [...term.op.terms] };
}

function stacked(stack: Stack, like: Node, ctx: RewriteContext): ValueId {
  const first = ctx.node(stack.weights[0]!).type;
  const channels = stack.weights.reduce((n, w) => n + ctx.node(w).type.channels, 0);
  const w = ctx.emit({ op: 'concat', xs: stack.weights }, { ...first, channels }, like);
  const product = ctx.emit({ op: 'matmul', x: stack.x, w, transposeW: false }, { ...stack.product.type, channels }, like);
  return ctx.emit({ op: 'site_terms', x: product, terms: stack.terms }, stack.type, like);
}

/** p₁ + p₂ + … + pₙ, each partial sum typed by broadcasting (operands may lack axes). */
function sum(parts: ValueId[], like: Node, ctx: RewriteContext): ValueId {
  return parts.reduce((acc, p) => {
    const [a, b] = [ctx.node(acc).type, ctx.node(p).type];
    const type = { set: a.set ?? b.set, site: a.site ?? b.site, channels: like.type.channels };
    return ctx.emit({ op: 'binary', fn: 'add', a: acc, b: p }, type, like);
  });
}
