// stacked-site-terms: a sum of site terms of one input's channel maps is one op for all the terms:
//   Σ_k site_term_k(matmul(x, W_k))  =  site_terms(x, concat(W_1 … W_T), term_1 … term_T)
// (concat along the weights' output channels, so term k reads channel block k). An eqlinear under the
// fine or np group lowers to one (matmul, site term) pair per basis term, and linear-of-site-term puts
// the matmul first where it narrows; on the device each pair was three dispatches (matmul, key sums,
// key reads): 96 of the 117 of UNF's update net, for its 32 terms. Stacked, the terms are three
// kernels (compiler/wgsl/site-term.ts) whatever their number, and W_k is applied to each key's sum of
// x, not to x: a term reads only its in-cell, so a transformer's 1,322 terms over 67,520 parameters
// cost Σ_k |in_k|·cin adds, where the matmul to the stacked weights was 67,520·cin·1,322 multiply-adds
// and a [site, T·c] product (357 MB per batch element). The weights may be params or batched inputs
// (params-as-inputs.ts): a concatenation is either.
//
// Where the product is small the old form stays: site_terms(matmul(x, concat(W)), w null). Its
// matmul is a tiled kernel, while the key sums of cin channels are a scalar loop over each key's
// members: on UNF's np layer on the F-MNIST MLP (2,410 parameters, 32 terms, Σ_k |in_k| = 21,916
// against 77,120 product positions, cin 32) the contracted form's key sums took 43 ms of a 16-run
// step where the matmul and 1-channel key sums took 12, and UNF's inner step fell from 157–180 to
// 121–130 it/s (same load, alternating). So a stack whose product fits PRODUCT_FLOATS per batch
// element keeps the matmul; a larger one is contracted (UNF-local on `Lm1b`: 1,324,032 member reads
// against 89 M product positions). The bound is the old per-stack memory cap, not a measured
// crossover: between these two layers no stack has been timed both ways.
//
// The engine offers every add of a left-deep sum in turn, so the terms merge one at a time: each add
// extends the stack its left operand already is.
import type { Node, SiteTerm, ValueId } from '../../ir/ops.js';
import { siteSize, type TensorType } from '../../ir/types.js';
import type { RewriteContext, Rule } from '../rewrite.js';

/** Site terms of matmul(x, W) for one x, as a stack: the weights to concatenate and their terms in order. */
interface Stack {
  x: ValueId;
  /** The terms' sum's type. */
  type: TensorType;
  weights: ValueId[];
  terms: SiteTerm[];
  /** The summand it was read from, which stands for it until another piece joins it. */
  source: ValueId;
  extended: boolean;
}

/** Product floats per batch element up to which a stack keeps its matmul: 2 MB. */
export const PRODUCT_FLOATS = 1 << 19;

export const stackedSiteTerms = stackingSiteTerms(PRODUCT_FLOATS);

/** The rule keeping the matmul up to `floats` product floats per batch element. */
export function stackingSiteTerms(floats: number): Rule {
  return { name: 'stacked-site-terms', apply: (node, ctx) => stackTerms(node, ctx, floats) };
}

function stackTerms(node: Node, ctx: RewriteContext, floats: number): ValueId | null {
  if (node.op.op !== 'binary' || node.op.fn !== 'add') return null;
  const summands = flatten(node, ctx, true);
  // The open stack of each input and result type (the sum of two eqlinears of one input joins one).
  const open = new Map<string, Stack>();
  const order: (ValueId | Stack)[] = [];
  let merged = false;
  for (const v of summands) {
    const piece = stackOf(ctx.node(v), ctx);
    if (piece === null) {
      order.push(v);
      continue;
    }
    const key = `${piece.x} ${JSON.stringify(piece.type)}`;
    const stack = open.get(key);
    if (stack !== undefined) {
      stack.weights.push(...piece.weights);
      stack.terms.push(...piece.terms);
      stack.extended = merged = true;
    } else {
      open.set(key, piece);
      order.push(piece);
    }
  }
  if (!merged) return null;
  const parts = order.map((p) => (typeof p === 'number' ? p : p.extended ? stacked(p, node, ctx, floats) : p.source));
  return sum(parts, node, ctx);
}

/** The summands of a tree of adds, descending below the root only into adds with a single reader. */
function flatten(node: Node, ctx: RewriteContext, root: boolean): ValueId[] {
  const isAdd = node.op.op === 'binary' && node.op.fn === 'add';
  if (!root && (!isAdd || ctx.readers(node.id) !== 1)) return [node.id];
  if (node.op.op !== 'binary') return [node.id];
  return [...flatten(ctx.node(node.op.a), ctx, false), ...flatten(ctx.node(node.op.b), ctx, false)];
}

/** A summand that is site_term(matmul(x, W)) (the matmul read only by it) or an earlier stack, read only by the sum; else null. */
function stackOf(term: Node, ctx: RewriteContext): Stack | null {
  if (ctx.readers(term.id) !== 1) return null;
  const read = { type: term.type, source: term.id, extended: false };
  const weightsOf = (id: ValueId): ValueId[] => {
    const w = ctx.node(id);
    return w.op.op === 'concat' && ctx.readers(w.id) === 1 ? [...w.op.xs] : [w.id];
  };
  if (term.op.op === 'site_terms' && term.op.w !== null) return { ...read, x: term.op.x, weights: weightsOf(term.op.w), terms: [...term.op.terms] };
  if (term.op.op !== 'site_term' && term.op.op !== 'site_terms') return null;
  const product = ctx.node(term.op.x);
  if (product.op.op !== 'matmul' || product.op.transposeW || ctx.readers(product.id) !== 1) return null;
  const terms = term.op.op === 'site_term' ? [term.op.term] : [...term.op.terms];
  return { ...read, x: product.op.x, weights: term.op.op === 'site_term' ? [product.op.w] : weightsOf(product.op.w), terms };
}

function stacked(stack: Stack, like: Node, ctx: RewriteContext, floats: number): ValueId {
  const first = ctx.node(stack.weights[0]!).type;
  const channels = stack.weights.reduce((n, w) => n + ctx.node(w).type.channels, 0);
  const w = ctx.emit({ op: 'concat', xs: stack.weights }, { ...first, channels }, like);
  const t = ctx.node(stack.x).type;
  const positions = (t.set?.size ?? 1) * (t.site === null ? 1 : siteSize(t.site, ctx.inst));
  if (positions * channels > floats) return ctx.emit({ op: 'site_terms', x: stack.x, w, terms: stack.terms }, stack.type, like);
  const product = ctx.emit({ op: 'matmul', x: stack.x, w, transposeW: false }, { ...t, channels }, like);
  return ctx.emit({ op: 'site_terms', x: product, w: null, terms: stack.terms }, stack.type, like);
}

/**
 * p₁ + p₂ + … + pₙ, each partial sum typed by broadcasting (operands may lack axes). A partial sum
 * already in the graph is reused without offering it to the rules again: an add of a long sum
 * rebuilds the unchanged partial sums before it, which would otherwise each be flattened anew.
 */
function sum(parts: ValueId[], like: Node, ctx: RewriteContext): ValueId {
  return parts.reduce((acc, p) => {
    const [a, b] = [ctx.node(acc).type, ctx.node(p).type];
    const type = { set: a.set ?? b.set, site: a.site ?? b.site, channels: like.type.channels };
    const op = { op: 'binary', fn: 'add', a: acc, b: p } as const;
    return ctx.existing(op, type) ?? ctx.emit(op, type, like);
  });
}
