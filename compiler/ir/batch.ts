// Which values carry the implicit batch axis (see ops.ts): a value is batched when it depends on a
// net input, except the results of `contract` and `batch_sum`, which sum the batch away.
import type { Graph, ValueId } from './ops.js';
import { operandsOf } from './operands.js';

export function batchedValues(graph: Graph): Map<ValueId, boolean> {
  const batched = new Map<ValueId, boolean>();
  for (const node of graph.nodes) {
    const op = node.op;
    const value = op.op === 'input'
      || (op.op !== 'contract' && op.op !== 'batch_sum' && operandsOf(op).some((o) => batched.get(o) === true));
    batched.set(node.id, value);
  }
  return batched;
}
