// pointwise-before-broadcast: a one-operand pointwise op of a repeated value is the repeated
// pointwise op — f(broadcast(x)) = broadcast(f(x)) for unary f and scaling — computed once per
// row of x instead of once per repeat. Autodiff scales broadcast cotangents (the VJP of a mean);
// with the scale inside, sums of such terms see their broadcasts (small-terms-first).
import type { Rule } from '../rewrite.js';

export const pointwiseBeforeBroadcast: Rule = {
  name: 'pointwise-before-broadcast',
  apply(node, ctx) {
    if (node.op.op !== 'unary' && node.op.op !== 'scale') return null;
    const repeated = ctx.node(node.op.x);
    if (repeated.op.op !== 'broadcast') return null;
    const source = ctx.node(repeated.op.x);
    const inner = ctx.emit({ ...node.op, x: source.id }, { ...source.type, channels: node.type.channels }, node);
    return ctx.emit({ op: 'broadcast', x: inner, axes: repeated.op.axes }, node.type, node);
  },
};
