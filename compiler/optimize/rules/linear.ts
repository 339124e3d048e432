// Rules that move a channel-linear map (matmul) to where it does the least work. A channel map
// acts on each position's channel row alone, so it commutes with everything that only copies
// whole rows, and distributes over a concatenation of channels:
//   linear-of-row-copy    matmul(gather(x), W)      = gather(matmul(x, W))
//                         matmul(broadcast(x), W)   = broadcast(matmul(x, W))
//   linear-of-concat      matmul(concat(x₁…xₙ), W)  = Σᵢ matmul(xᵢ, rows of W for xᵢ's channels)
// GradMetaNet's first layer reads concat(grads, posenc): after these rules it multiplies the 2 gradient
// channels per position, and the positional encoding once per neuron, never building the
// concatenation. The pair readout's first layer (`linear(rows(z))`) runs on the neurons instead of
// the parameters (66 vs 1153 sites for a SIREN 1→32→32→1), and its backward follows.
import type { Node, ValueId } from '../../ir/ops.js';
import type { RewriteContext, Rule } from '../rewrite.js';
import { matrixRows } from '../typing.js';

export const linearOfRowCopy: Rule = {
  name: 'linear-of-row-copy',
  apply(node, ctx) {
    if (node.op.op !== 'matmul') return null;
    const copied = ctx.node(node.op.x);
    if (copied.op.op !== 'gather' && copied.op.op !== 'broadcast') return null;
    const source = ctx.node(copied.op.x);
    const linear = ctx.emit({ ...node.op, x: source.id }, { ...source.type, channels: node.type.channels }, node);
    return ctx.emit({ ...copied.op, x: linear }, node.type, node);
  },
};

/**
 * linear-of-site-term: matmul(site_term(x), W) = site_term(matmul(x, W)). A site term averages
 * positions with the same weights on every channel and a channel map acts on each position alone,
 * so the two commute; the site term then runs on the narrower side. UNF's np-group layer (32 terms
 * of 32 channels read into 1) does its terms on 1 channel instead of 32.
 */
export const linearOfSiteTerm: Rule = {
  name: 'linear-of-site-term',
  apply(node, ctx) {
    if (node.op.op !== 'matmul') return null;
    const term = ctx.node(node.op.x);
    if (term.op.op !== 'site_term' || node.type.channels >= term.type.channels || ctx.readers(term.id) !== 1) return null;
    const source = ctx.node(term.op.x);
    const linear = ctx.emit({ ...node.op, x: source.id }, { ...source.type, channels: node.type.channels }, node);
    return ctx.emit({ ...term.op, x: linear }, node.type, node);
  },
};

export const linearOfConcat: Rule = {
  name: 'linear-of-concat',
  apply(node, ctx) {
    if (node.op.op !== 'matmul' || node.op.transposeW) return null;
    const joined = ctx.node(node.op.x);
    if (joined.op.op !== 'concat') return null;
    const w = node.op.w;
    let offset = 0;
    const parts = joined.op.xs.map((x) => {
      const part = ctx.node(x);
      const rows = matrixRows(w, offset, part.type.channels, node, ctx);
      offset += part.type.channels;
      return ctx.emit({ op: 'matmul', x, w: rows, transposeW: false }, { ...part.type, channels: node.type.channels }, node);
    });
    return sum(parts, node, ctx);
  },
};

/** p₁ + p₂ + … + pₙ, each partial sum typed by broadcasting (operands may lack axes). */
function sum(parts: ValueId[], like: Node, ctx: RewriteContext): ValueId {
  return parts.reduce((acc, p) => {
    const [a, b] = [ctx.node(acc).type, ctx.node(p).type];
    const type = { set: a.set ?? b.set, site: a.site ?? b.site, channels: like.type.channels };
    return ctx.emit({ op: 'binary', fn: 'add', a: acc, b: p }, type, like);
  });
}
