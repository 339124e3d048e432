// Pooling, broadcasting and the target's incidence structure: each is defined from the group's
// orbits, so it commutes with the group by construction.
import type { Op, SlotLabel } from '../../ir/ops.js';
import { fineCells } from '../site-model.js';
import type { Rule } from './rule.js';
import { holds } from './rule.js';

export const reduce: Rule<Extract<Op, { op: 'reduce' }>> = ({ node }) =>
  holds(`${node.op.fn} over ${node.op.axes.join(' and ')} (invariant in ${node.op.axes.length > 1 ? 'them' : 'it'})`);
export const broadcast: Rule = () => holds('broadcast (constant along the new axes: equivariant)');
export const gather: Rule<Extract<Op, { op: 'gather' }>> = ({ node }) =>
  holds(`incidence ${node.op.incidence} of ${node.op.target} (each parameter reads its ${node.op.incidence === 'rows' ? 'output' : 'input'} neuron: commutes with neuron permutations)`);
export const scatter: Rule<Extract<Op, { op: 'scatter' }>> = ({ node }) =>
  holds(`sum along incidence ${node.op.incidence} of ${node.op.target} (adjoint of an equivariant gather)`);
export const segment_mean: Rule = () => holds('per-segment mean (each segment is one orbit)');
export const batch_sum: Rule = () => holds('sum over the mini-batch (not a symmetry axis)');

/** A site term is equivariant iff pins sit only on fixed slots and classes join only slots of one group. */
export const site_term: Rule<Extract<Op, { op: 'site_term' }>> = ({ node, inst }) => {
  const { term } = node.op;
  const layout = inst.targets.get(term.target)!;
  const slots = [term.out, term.in].flatMap((c) => (c === null ? [] : fineCells(layout, c.space)[c.index]!.slots));
  const classGroup = new Map<number, string | null>();
  const bad = term.labels.some((l: SlotLabel, k) => {
    const g = slots[k]?.group ?? null;
    if ('at' in l) return g !== null;
    if (!classGroup.has(l.class)) classGroup.set(l.class, g);
    return g === null || classGroup.get(l.class) !== g;
  });
  if (bad || slots.length !== term.labels.length) {
    return { rule: 'eqlinear basis term', breaks: [{ symmetry: { kind: 'site', target: term.target }, message: `site term ${node.label} ties positions the group moves independently: breaks the group of ${term.target}` }] };
  }
  return holds('eqlinear basis term (an orbit of the group on index pairs)');
};
