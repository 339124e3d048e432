// A rewrite of the forward net before autodiff: a sum or mean over the set moves inside the ops it
// commutes with, when they have no other reader, so they run on one row per set instead of b:
//   Σ_s matmul(x, W)        = matmul(Σ_s x, W)                (channel maps are linear)
//   Σ_s select(m, a, b)     = select(m, Σ_s a, Σ_s b)         (m without a set axis)
//   mean_s bias(a, β)       = bias(mean_s a, β);   Σ_s bias(a, β) = b · bias(mean_s a, β)
// GradMetaNet++'s readout ends in `sum(select(bias_mask, linear(v, out), linear(w, out)), over: set)`:
// its two last channel maps (and their backward) then run on [B, P] rows instead of [B, b, P].
import { operandsOf } from '../ir/operands.js';
import type { Graph, Node, Op, ReduceFn, ValueId } from '../ir/ops.js';
import type { TensorType } from '../ir/types.js';
import { mapOperands, renumbered } from './prune.js';

export function reduceFirst(graph: Graph): Graph {
  const readers = new Map<ValueId, number>();
  for (const node of graph.nodes) for (const o of operandsOf(node.op)) readers.set(o, (readers.get(o) ?? 0) + 1);
  for (const id of [graph.output, ...(graph.outputs?.values() ?? [])]) readers.set(id, (readers.get(id) ?? 0) + 1);
  const old = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes: Node[] = [];
  const moved = new Map<ValueId, ValueId>();
  const add = (like: Node, op: Op, type: TensorType): ValueId => {
    const id = nodes.length;
    nodes.push({ id, op, type, span: like.span, label: like.label });
    return id;
  };
  const noSet = (t: TensorType): TensorType => ({ ...t, set: null });

  /** A new value equal to reduce(fn, set) of the old value `id`, pushed inside where it commutes. */
  const push = (fn: ReduceFn, id: ValueId, like: Node): ValueId => {
    const node = old.get(id)!;
    const op = node.op;
    const size = node.type.set?.size ?? 1;
    const single = readers.get(id) === 1;
    if (single && op.op === 'matmul') return add(node, { ...op, x: push(fn, op.x, like), w: moved.get(op.w)! }, noSet(node.type));
    if (single && op.op === 'select' && old.get(op.mask)!.type.set === null) {
      return add(node, { op: 'select', mask: moved.get(op.mask)!, a: push(fn, op.a, like), b: push(fn, op.b, like) }, noSet(node.type));
    }
    if (single && op.op === 'bias') {
      const mean = add(node, { op: 'bias', x: push('mean', op.x, like), b: moved.get(op.b)! }, noSet(node.type));
      return fn === 'mean' ? mean : add(node, { op: 'scale', x: mean, factor: size }, noSet(node.type));
    }
    return add(like, { op: 'reduce', fn, x: moved.get(id)!, axes: ['set'] }, noSet(node.type));
  };

  for (const node of graph.nodes) {
    const op = node.op;
    if (op.op === 'reduce' && op.axes.length === 1 && op.axes[0] === 'set' && old.get(op.x)!.type.set !== null) {
      moved.set(node.id, push(op.fn, op.x, node));
      continue;
    }
    moved.set(node.id, add(node, mapOperands(op, (id) => moved.get(id)!), node.type));
  }
  return renumbered(graph, nodes, moved);
}
