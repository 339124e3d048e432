// Pooling, broadcasting and the target's incidence structure: each is defined from the group's
// orbits, so it commutes with the group by construction.
import type { Op, SlotLabel } from '../../ir/ops.js';
import { firstPermuted } from '../group.js';
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

/**
 * A site term commutes with the group iff pins sit only on fixed slots and a class joins only slots
 * of one permuted group, or only fixed slots (nothing acts on them: the np group's terms).
 */
export const site_term: Rule<Extract<Op, { op: 'site_term' }>> = ({ node, inst }) => {
  const { term } = node.op;
  const layout = inst.targets.get(term.target)!;
  const slots = [term.out, term.in].flatMap((c) => (c === null ? [] : fineCells(layout, c.space)[c.index]!.slots));
  const classGroup = new Map<number, string | null>();
  const bad = term.labels.some((l: SlotLabel, k) => {
    const g = slots[k]?.group ?? null;
    if ('at' in l) return g !== null;
    if (!classGroup.has(l.class)) classGroup.set(l.class, g);
    return classGroup.get(l.class) !== g;
  });
  if (bad || slots.length !== term.labels.length) {
    return { rule: 'eqlinear basis term', breaks: [{ symmetry: { kind: 'site', target: term.target }, message: `site term ${node.label} ties positions the group moves independently: breaks the group of ${term.target}` }] };
  }
  return holds('eqlinear basis term (an orbit of the group on index pairs)');
};

/** A sum of site terms (each on its own channel block) commutes with the group when every term does. */
export const site_terms: Rule<Extract<Op, { op: 'site_terms' }>> = (input) => {
  const { node } = input;
  const breaks = node.op.terms.flatMap((term) => site_term({ ...input, node: { ...node, op: { op: 'site_term', x: node.op.x, term } } }).breaks);
  return breaks.length > 0 ? { rule: 'eqlinear basis terms', breaks } : holds(`sum of ${node.op.terms.length} eqlinear basis terms (each an orbit of the group on index pairs)`);
};

/**
 * Rendering evaluates f_θ, which is the same function for θ and g·θ when g permutes T's hidden
 * neurons (the MLP's activations are pointwise): the result is invariant. Coordinates must not sit
 * on a permuted axis (they are read by position).
 */
export const render: Rule<Extract<Op, { op: 'render' }>> = ({ node, type, inst }) => {
  const coords = type(node.op.coords);
  const moved = firstPermuted(coords.site, inst.targets);
  if (moved !== null) {
    return { rule: 'render', breaks: [{ symmetry: { kind: 'site', target: moved.layout.name }, message: `render reads its coordinates by position, and they lie on hidden neurons of ${moved.layout.name}: breaks S_${moved.seg.size}` }] };
  }
  return holds(`render of ${node.op.target} (f_θ is unchanged when the neurons of θ are permuted: invariant)`);
};
export const render_vjp: Rule<Extract<Op, { op: 'render_vjp' }>> = ({ node }) =>
  holds(`render VJP of ${node.op.target} (∂f_θ/∂θ permutes with θ: equivariant)`);
