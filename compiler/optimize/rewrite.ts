// The one rewrite engine of the optimisation stage. A pass is a list of rules; the engine copies the
// graph node by node in definition order and offers every node to the rules before adding it. A
// rule either declines (null) or returns the value that replaces the node, built with `emit`, which
// offers each new node to the rules in turn — so one rewrite can enable the next (a linear map of a
// concatenation splits into linear maps of its parts, and each part's broadcast then moves after its
// map) without a fixpoint loop over the whole graph.
//
// Adding a node is hash-consed: an op identical to one already in the new graph (same operands,
// attributes and type) reuses that value. That is common-subexpression elimination, for free, in
// every pass. Nodes left without readers stay in the result; `eliminateDeadCode` drops them.
//
// Every rule must be exact (the rewritten graph computes the same function, up to floating-point
// reassociation) and must make progress (its replacement is not offered the same node again).
import type { Graph, Node, Op, ValueId } from '../ir/ops.js';
import { mapOperands, operandsOf } from '../ir/operands.js';
import type { Instantiation, TensorType } from '../ir/types.js';

/** A rewritten graph, and where each value of the original went (old id → new id). */
export interface Rewritten {
  graph: Graph;
  moved: Map<ValueId, ValueId>;
}

export interface RewriteContext {
  readonly inst: Instantiation;
  /** A node of the graph being built. */
  node(id: ValueId): Node;
  /**
   * How many readers the value had in the input graph (the graph's outputs count as readers).
   * A value a rule created has the one reader it was made for. Rules use it to avoid duplicating
   * work that another reader still needs.
   */
  readers(id: ValueId): number;
  /** Adds a node (offered to the rules first; hash-consed) and returns its value. */
  emit(op: Op, type: TensorType, like: Node): ValueId;
  /** The value of an identical node already in the new graph, if any. */
  existing(op: Op, type: TensorType): ValueId | undefined;
}

export interface Rule {
  /** Kebab-case name, as docs/runtime.md lists it (a test keeps the two in step). */
  name: string;
  /** The replacement of `node` (whose operands are already values of the new graph), or null. */
  apply(node: Node, ctx: RewriteContext): ValueId | null;
}

export function rewrite(graph: Graph, rules: readonly Rule[], inst: Instantiation): Rewritten {
  const oldReaders = readerCounts(graph);
  const nodes: Node[] = [];
  const readers = new Map<ValueId, number>();
  const table = new Map<string, ValueId>();
  const keyOf = (op: Op, type: TensorType): string => `${JSON.stringify(op)}|${JSON.stringify(type)}`;

  const ctx: RewriteContext = {
    inst,
    node: (id) => nodes[id] ?? internal(`unknown value %${id}`),
    readers: (id) => readers.get(id) ?? 1,
    existing: (op, type) => table.get(keyOf(op, type)),
    emit(op, type, like) {
      const candidate: Node = { id: -1, op, type, span: like.span, label: like.label };
      for (const rule of rules) {
        const replaced = rule.apply(candidate, ctx);
        if (replaced !== null) return replaced;
      }
      const key = keyOf(op, type);
      const earlier = table.get(key);
      if (earlier !== undefined) return earlier;
      const id = nodes.length;
      nodes.push({ ...candidate, id });
      table.set(key, id);
      return id;
    },
  };

  const moved = new Map<ValueId, ValueId>();
  for (const node of graph.nodes) {
    const op = mapOperands(node.op, (id) => moved.get(id) ?? internal(`%${node.id} reads %${id} before its definition`));
    const id = ctx.emit(op, node.type, node);
    moved.set(node.id, id);
    // Old values merged into one new value share their readers.
    readers.set(id, (readers.get(id) ?? 0) + (oldReaders.get(node.id) ?? 0));
  }
  return { graph: renumbered(graph, nodes, moved), moved };
}

/**
 * The nodes the graph's outputs (and `keep`) depend on, renumbered in order; net inputs are always
 * kept, so a plan binds every input even when a pass made one unused.
 */
export function eliminateDeadCode(graph: Graph, keep: readonly ValueId[] = []): Rewritten {
  const live = new Set<ValueId>([graph.output, ...(graph.outputs?.values() ?? []), ...keep]);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (live.has(node.id)) for (const o of operandsOf(node.op)) live.add(o);
  }
  const nodes: Node[] = [];
  const moved = new Map<ValueId, ValueId>();
  for (const node of graph.nodes) {
    if (!live.has(node.id) && node.op.op !== 'input') continue;
    const id = nodes.length;
    nodes.push({ ...node, id, op: mapOperands(node.op, (o) => moved.get(o)!) });
    moved.set(node.id, id);
  }
  return { graph: renumbered(graph, nodes, moved), moved };
}

/** Two passes in sequence, with `moved` composed (values dropped by the second are absent). */
export function andThen(first: Rewritten, second: (graph: Graph) => Rewritten): Rewritten {
  const next = second(first.graph);
  const moved = new Map<ValueId, ValueId>();
  for (const [from, via] of first.moved) {
    const to = next.moved.get(via);
    if (to !== undefined) moved.set(from, to);
  }
  return { graph: next.graph, moved };
}

/** `graph` with its nodes replaced by `nodes`, inputs and outputs followed through `moved`. */
function renumbered(graph: Graph, nodes: Node[], moved: ReadonlyMap<ValueId, ValueId>): Graph {
  const at = (id: ValueId): ValueId => moved.get(id) ?? internal(`output %${id} has no value after rewriting`);
  return {
    ...graph,
    nodes,
    inputs: new Map([...graph.inputs].map(([name, id]) => [name, at(id)])),
    output: at(graph.output),
    ...(graph.outputs === undefined ? {} : { outputs: new Map([...graph.outputs].map(([name, id]) => [name, at(id)])) }),
  };
}

function readerCounts(graph: Graph): Map<ValueId, number> {
  const counts = new Map<ValueId, number>();
  const count = (id: ValueId): void => void counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const node of graph.nodes) for (const o of operandsOf(node.op)) count(o);
  count(graph.output);
  for (const id of graph.outputs?.values() ?? []) count(id);
  return counts;
}

function internal(message: string): never {
  throw new Error(`internal: ${message}`);
}
