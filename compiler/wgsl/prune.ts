// The planner's pre-pass over a graph: common-subexpression elimination (an op identical to an
// earlier one, on the same operands, reuses its value) and dead-code elimination (only values the
// requested outputs depend on are computed). A backward graph needs both: autodiff emits the same
// reduction once per consumer of a cotangent, and gradients of inputs nobody asked for.
//
// One algebraic rewrite runs first: relu_grad(x) = relu_grad(relu(x)) exactly (x > 0 ⇔ relu(x) > 0).
// Reading the ReLU's output instead of its input leaves the pre-activation with a single reader,
// so it fuses into the ReLU's kernel and is never stored. And a reduction over both set and site
// of a value already reduced over one of them reduces that smaller result instead (a mean of
// means over equal-sized groups is the mean; a sum of sums is the sum): one pass over a small
// tensor instead of one over the full one.
import type { Graph, Node, Op, ValueId } from '../ir/ops.js';
import { operandsOf } from '../ir/operands.js';

/** Operand fields of ops (every other field is an attribute). */
const OPERAND_FIELDS = new Set(['x', 'a', 'b', 'w', 'mask', 'q', 'k', 'v', 'dy']);

export function mapOperands(op: Op, f: (id: ValueId) => ValueId): Op {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(op)) {
    if (key === 'xs' && Array.isArray(value)) out[key] = value.map((id: ValueId) => f(id));
    else if (OPERAND_FIELDS.has(key) && typeof value === 'number') out[key] = f(value);
    else out[key] = value;
  }
  return out as unknown as Op;
}

/**
 * The nodes that compute `outputs`, in graph order, with duplicates merged; `alias` maps every
 * merged value to the one that replaces it (outputs keep their own ids unless merged).
 */
export function prune(graph: Graph, outputs: readonly ValueId[]): { nodes: Node[]; alias: Map<ValueId, ValueId> } {
  const alias = new Map<ValueId, ValueId>();
  const resolve = (id: ValueId): ValueId => alias.get(id) ?? id;
  const seen = new Map<string, ValueId>();
  const merged: Node[] = [];
  const reluOf = new Map<ValueId, ValueId>();
  /** Single-axis reductions seen so far: `fn|operand|axis` → value. */
  const partial = new Map<string, ValueId>();
  for (const node of graph.nodes) {
    let op = mapOperands(node.op, resolve);
    if (op.op === 'unary' && op.fn === 'relu' && !reluOf.has(op.x)) reluOf.set(op.x, node.id);
    if (op.op === 'unary' && op.fn === 'relu_grad' && reluOf.has(op.x)) op = { ...op, x: reluOf.get(op.x)! };
    if (op.op === 'reduce' && op.axes.length === 1) partial.set(`${op.fn}|${op.x}|${op.axes[0]}`, node.id);
    if (op.op === 'reduce' && op.axes.includes('set') && op.axes.includes('site')) {
      const overSet = partial.get(`${op.fn}|${op.x}|set`);
      const overSite = partial.get(`${op.fn}|${op.x}|site`);
      // resolve(): the partial reduction may itself have been merged into an earlier copy.
      if (overSet !== undefined) op = { ...op, x: resolve(overSet), axes: ['site'] };
      else if (overSite !== undefined) op = { ...op, x: resolve(overSite), axes: ['set'] };
    }
    // Inputs and params are identified by name; two with the same name are the same value.
    const key = `${JSON.stringify(op)}|${JSON.stringify(node.type)}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      alias.set(node.id, earlier);
      continue;
    }
    seen.set(key, node.id);
    merged.push({ ...node, op });
  }
  const live = new Set(outputs.map(resolve));
  for (let i = merged.length - 1; i >= 0; i--) {
    const node = merged[i]!;
    if (live.has(node.id)) for (const o of operandsOf(node.op)) live.add(o);
  }
  return { nodes: merged.filter((n) => live.has(n.id) || n.op.op === 'input'), alias };
}

/** `graph` with its nodes replaced by `nodes`, inputs and outputs followed through `moved` (old id → new id). */
export function renumbered(graph: Graph, nodes: Node[], moved: ReadonlyMap<ValueId, ValueId>): Graph {
  const at = (id: ValueId): ValueId => moved.get(id)!;
  return {
    ...graph,
    nodes,
    inputs: new Map([...graph.inputs].map(([name, id]) => [name, at(id)])),
    output: at(graph.output),
    ...(graph.outputs === undefined ? {} : { outputs: new Map([...graph.outputs].map(([name, id]) => [name, at(id)])) }),
  };
}
