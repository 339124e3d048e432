// Channel-linear maps: one weight matrix shared by every position, so they commute with any
// permutation of positions. The weight itself must be position-free.
import type { Op } from '../../ir/ops.js';
import type { Rule } from './rule.js';
import { holds } from './rule.js';

export const matmul: Rule<Extract<Op, { op: 'matmul' }>> = ({ node, type }) => {
  const w = type(node.op.w);
  if (w.set !== null || (w.site !== null && w.site.kind !== 'fixed')) {
    return { rule: 'channel-linear', breaks: [{ symmetry: w.set !== null ? { kind: 'set' } : { kind: 'site', target: (w.site as { target: string }).target }, message: 'matmul with a position-dependent weight mixes positions: breaks the group of its axes' }] };
  }
  return holds('channel-linear (one matrix shared by all positions)');
};
export const contract: Rule = () => holds('contraction over every position (invariant)');
