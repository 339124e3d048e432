// Ops that use positions of a permuted axis: they break that axis's group whenever something
// actually permutes it (a set of b ≥ 2, a target with a hidden segment).
import type { Op } from '../../ir/ops.js';
import { formatType, type TensorType } from '../../ir/types.js';
import { firstPermuted, segmentName } from '../group.js';
import type { Breakage, Rule, RuleInput } from './rule.js';

function setBreak(t: TensorType, message: (axis: string) => string): Breakage[] {
  if (t.set === null || t.set.size < 2) return [];
  return [{ symmetry: { kind: 'set' }, message: `${message(`set(${t.set.name}=${t.set.size})`)}: breaks S_${t.set.size}` }];
}

function siteBreak(t: TensorType, inst: RuleInput<Op>['inst'], message: (axis: string, seg: string) => string): Breakage[] {
  const p = firstPermuted(t.site, inst.targets);
  if (p === null) return [];
  const axis = formatType({ set: null, site: t.site, channels: 1 }).replace(/\[1\]$/, '');
  return [{ symmetry: { kind: 'site', target: p.layout.name }, message: `${message(axis, segmentName(p.seg))}: breaks S_${p.seg.size}` }];
}

export const fold: Rule<Extract<Op, { op: 'fold' }>> = ({ node, type, inst }) => {
  const t = type(node.op.x);
  const breaks = node.op.axis === 'set'
    ? setBreak(t, (axis) => `fold moves the axis ${axis} into channels, so the result depends on the order of the set`)
    : siteBreak(t, inst, (axis, seg) => `fold moves the axis ${axis} into channels, so hidden neurons of ${seg} are told apart by position`);
  return { rule: `fold ${node.op.axis} into channels`, breaks };
};

export const unfold: Rule<Extract<Op, { op: 'unfold' }>> = ({ node, inst }) => {
  const t = node.type;
  const breaks = node.op.axis === 'set'
    ? setBreak(t, (axis) => `unfold splits channels into the axis ${axis} by position`)
    : siteBreak(t, inst, (axis, seg) => `unfold splits channels into the axis ${axis}, placing hidden neurons of ${seg} by position`);
  return { rule: `unfold channels into ${node.op.axis}`, breaks };
};

export const dense: Rule<Extract<Op, { op: 'dense' }>> = ({ node, type, inst }) => {
  const from = siteBreak(type(node.op.x), inst, (axis, seg) => `dense layer over axis ${axis} mixes hidden neurons of ${seg} by position`);
  const to = siteBreak(node.type, inst, (axis, seg) => `dense layer into axis ${axis} writes hidden neurons of ${seg} by position`);
  const breaks = from.length > 0 ? from : to;
  return { rule: 'dense (position-specific weights)', breaks: breaks.map((b) => ({ ...b, hint: 'use eqlinear, or declare the net @breaks(neurons) if it is a deliberate baseline' })) };
};
