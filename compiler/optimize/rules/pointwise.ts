// Pointwise ops moved before the op that repeats their operand's rows, so they run once per source
// row instead of once per copy:
//   pointwise-before-broadcast  f(broadcast(x)) = broadcast(f(x)) for unary f and scaling.
//                               Autodiff scales broadcast cotangents (the VJP of a mean); with the
//                               scale inside, sums of such terms see their broadcasts (small-terms-first).
//   pointwise-before-gather     f(gather(x)) = gather(f(x)) and bias(gather(x), b) = gather(bias(x, b)):
//                               a neuron's features copied to each of its parameters. GradMetaNet's
//                               pair readout reads relu(linear(rows(z))) only at the biases; with it,
//                               that branch runs on the neurons (106 vs 2,410 sites on the learned
//                               optimizer's MLP) and linear-of-row-copy moves its last layer there too.
//                               `cols` writes 0 at a bias, so there only f with f(0) = 0 moves, and no bias.
import type { UnaryFn } from '../../ir/ops.js';
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

/** Unary functions with f(0) = 0: they commute with a gather that fills 0. */
const ZERO_AT_ZERO: ReadonlySet<UnaryFn> = new Set(['relu', 'gelu', 'tanh', 'silu', 'sin', 'neg', 'square', 'sqrt', 'abs']);

export const pointwiseBeforeGather: Rule = {
  name: 'pointwise-before-gather',
  apply(node, ctx) {
    if (node.op.op !== 'unary' && node.op.op !== 'scale' && node.op.op !== 'bias') return null;
    const copied = ctx.node(node.op.x);
    if (copied.op.op !== 'gather') return null;
    const fillsZero = copied.op.incidence === 'cols';
    if (fillsZero && (node.op.op === 'bias' || (node.op.op === 'unary' && !ZERO_AT_ZERO.has(node.op.fn)))) return null;
    const source = ctx.node(copied.op.x);
    const inner = ctx.emit({ ...node.op, x: source.id }, { ...source.type, channels: node.type.channels }, node);
    return ctx.emit({ ...copied.op, x: inner }, node.type, node);
  },
};
