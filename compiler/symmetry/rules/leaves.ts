// Values with no operands: inputs transform by their type's action; parameters carry no set or
// site axis (the group does not touch them); constants are invariant tables — except a positional
// encoding that gives permuted neurons distinct identifiers.
import type { Rule } from './rule.js';
import { holds } from './rule.js';
import { permutedGroups, segmentName } from '../group.js';

export const input: Rule = () => holds('net input (transforms by its type)');
export const param: Rule = () => holds('learned parameter (no set or site axis: invariant)');

export const constTable: Rule<{ op: 'const'; table: import('../../ir/ops.js').ConstTable }> = ({ node, inst }) => {
  const t = node.op.table;
  if (t.kind === 'bias_mask') return holds('constant: bias mask (invariant: blocks are fixed by the group)');
  if (t.kind === 'pixel_grid') return holds(`constant: the ${t.side}×${t.side} pixel grid (a fixed axis: nothing acts)`);
  if (t.kind === 'fill') return holds(`constant ${t.value} (no axes: invariant)`);
  const seg = permutedGroups(inst.targets.get(t.target)!)[0];
  if (t.hiddenIds === 'unique' && seg !== undefined) {
    return {
      rule: 'constant: positional encoding',
      breaks: [{
        symmetry: { kind: 'site', target: t.target },
        message: `posenc(${t.target}, ids: unique) gives the hidden neurons of ${segmentName(seg)} distinct identifiers: breaks S_${seg.size}`,
        hint: 'use `ids: layer` (the default): hidden neurons get only their layer identifier',
      }],
    };
  }
  return holds('constant: positional encoding (ids only on fixed neurons; hidden neurons share a layer id)');
};
