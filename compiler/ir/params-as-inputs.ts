// Per-element weights: the same graph with every `param` op turned into a net input named
// `param:<name>`, so that each batch element reads its own copy of the weights. PES runs all
// particles of a learned optimizer's update net F_ϕ in one dispatch series, every particle under
// its own ϕ (runtime/tasks/learned-optimizer/device-update-net.ts).
//
// Why a binding change and not a new op family: the IR's batch semantics already say that every op
// acts on each batch element independently, and an input is batched, so a graph whose weights are
// inputs *means* "each element with its own weights" without a new op, a new typing rule or a new
// proof (the types, and so the certificate of the net, are unchanged). What executors must accept is
// a batched weight operand: `matmul`'s w (plan.ts: matmul-batched.ts; the reference's linear.ts)
// and `bias`'s b (elementwise broadcasting already reads it per element). It is not a rewrite rule
// of compiler/optimize: it computes nothing differently, it only changes what is bound at run time.
import type { Graph, Node, ValueId } from './ops.js';
import { mapOperands } from './operands.js';

export const PARAM_INPUT_PREFIX = 'param:';

/** The input name a param becomes. */
export function paramInputName(param: string): string {
  return `${PARAM_INPUT_PREFIX}${param}`;
}

/** `graph` with its params as inputs (`param:<name>`, typed as the param); repeated params are read once. */
export function paramsAsInputs(graph: Graph): Graph {
  const nodes: Node[] = [];
  const moved = new Map<ValueId, ValueId>();
  const inputs = new Map(graph.inputs);
  const byName = new Map<string, ValueId>();
  for (const node of graph.nodes) {
    const op = node.op;
    if (op.op === 'param') {
      const earlier = byName.get(op.name);
      if (earlier !== undefined) {
        moved.set(node.id, earlier);
        continue;
      }
      const name = paramInputName(op.name);
      if (graph.inputs.has(name)) throw new Error(`internal: ${graph.name} already has an input ${name}`);
      const id = nodes.push({ ...node, id: nodes.length, op: { op: 'input', name } }) - 1;
      byName.set(op.name, id);
      inputs.set(name, id);
      moved.set(node.id, id);
      continue;
    }
    const id = nodes.push({ ...node, id: nodes.length, op: mapOperands(op, (o) => moved.get(o)!) }) - 1;
    moved.set(node.id, id);
  }
  for (const [name, id] of graph.inputs) inputs.set(name, moved.get(id)!);
  const outputs = graph.outputs === undefined ? undefined : new Map([...graph.outputs].map(([k, id]) => [k, moved.get(id)!]));
  return { ...graph, nodes, inputs, output: moved.get(graph.output)!, ...(outputs === undefined ? {} : { outputs }) };
}
