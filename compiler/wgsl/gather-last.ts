// A rewrite of the forward net before autodiff: a channel map of a gathered value is the gather of
// the channel map, matmul(gather(x), W) = gather(matmul(x, W)) — exactly, since a gather copies
// whole channel rows (and a missing incidence reads a row of zeros on both sides). The pair
// readout's first layer (`linear(rows(x))`, `linear(cols(x))`) then runs on the neurons instead of
// the parameters (66 vs 1153 sites for a SIREN 1→32→32→1), and so do its backward matmuls: the
// gradient is scattered to the neurons first. The gathered inputs, left without readers, are
// dropped by the planner's dead-code elimination.
import type { Graph, Node, ValueId } from '../ir/ops.js';
import { mapOperands, renumbered } from './prune.js';

export function gatherAfterLinear(graph: Graph): Graph {
  const nodes: Node[] = [];
  const moved = new Map<ValueId, ValueId>();
  const add = (node: Omit<Node, 'id'>): ValueId => {
    const id = nodes.length;
    nodes.push({ ...node, id });
    return id;
  };
  for (const node of graph.nodes) {
    const op = mapOperands(node.op, (id) => moved.get(id)!);
    const gathered = op.op === 'matmul' ? nodes[op.x]! : null;
    if (op.op === 'matmul' && gathered !== null && gathered.op.op === 'gather') {
      const source = nodes[gathered.op.x]!;
      const linear = add({ op: { ...op, x: source.id }, type: { ...source.type, channels: node.type.channels }, span: node.span, label: node.label });
      moved.set(node.id, add({ ...node, op: { op: 'gather', x: linear, incidence: gathered.op.incidence, target: gathered.op.target } }));
      continue;
    }
    moved.set(node.id, add({ ...node, op }));
  }
  return renumbered(graph, nodes, moved);
}
