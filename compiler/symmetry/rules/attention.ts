// Self-attention along one axis: softmax over all positions of the axis with shared Q/K/V maps is
// permutation-equivariant along it, and acts independently at every position of the other axes.
import type { Op } from '../../ir/ops.js';
import type { Rule } from './rule.js';
import { holds } from './rule.js';

export const attention: Rule<Extract<Op, { op: 'attention' }>> = ({ node }) =>
  holds(`attention along ${node.op.over === 'set' ? 'the set' : 'the sites'} (permutation-equivariant, no positional weights)`);
export const attention_vjp: Rule = () => holds('attention VJP (equivariant like attention)');
