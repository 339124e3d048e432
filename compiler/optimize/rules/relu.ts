// relu-grad-of-relu: relu_grad(x) = relu_grad(relu(x)) exactly (x > 0 ⇔ relu(x) > 0). A backward
// pass reads the pre-activation x only for this mask; reading the ReLU's output instead leaves x
// with the single reader that fuses it into the ReLU's kernel, so it is never stored.
import type { Rule } from '../rewrite.js';

export const reluGradOfRelu: Rule = {
  name: 'relu-grad-of-relu',
  apply(node, ctx) {
    if (node.op.op !== 'unary' || node.op.fn !== 'relu_grad') return null;
    const x = ctx.node(node.op.x);
    if (x.op.op === 'unary' && x.op.fn === 'relu') return null;
    const relu = ctx.existing({ op: 'unary', fn: 'relu', x: x.id }, x.type);
    return relu === undefined ? null : ctx.emit({ op: 'unary', fn: 'relu_grad', x: relu }, node.type, node);
  },
};
