// The planner's tables for an instantiation, from the shared constant tables of the targets
// (compiler/spaces/tables.ts), so the GPU and reference executors read the very same tables.
import type { Node } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import { constTable, incidence } from '../../compiler/spaces/tables.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { PlanTables } from '../../compiler/wgsl/plan.js';

export function layoutTables(inst: Instantiation): PlanTables {
  const layout = (name: string): TargetLayout => {
    const l = inst.targets.get(name);
    if (l === undefined) throw new Error(`internal: unknown target ${name}`);
    return l;
  };
  return {
    incidence: (target, which) => incidence(layout(target))[which],
    constant: (node: Node & { op: { op: 'const' } }) => Float32Array.from(constTable(node.op.table, layout(node.op.table.target))),
  };
}
