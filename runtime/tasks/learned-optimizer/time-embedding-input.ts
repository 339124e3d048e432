// F_ϕ's device graph reads its 19 features as two inputs: the 8 normalised channels per parameter
// and the 11-channel time embedding once per run, broadcast over the parameters. The embedding is
// the same at every parameter of a run (features.ts), so written per parameter it only made F_ϕ's
// first layer multiply the same 11 numbers 2,410 times: with the broadcast in the graph the
// optimiser's rules (linear-of-concat, then matmul(broadcast(x), W) = broadcast(matmul(x, W)))
// map it once per run and add it in the first matmul's epilogue. The float64 graph, the oracle,
// keeps the single [P, 19] input; the two graphs compute the same function.
import type { Graph, Node, ValueId } from '../../../compiler/ir/ops.js';
import { mapOperands } from '../../../compiler/ir/operands.js';
import { NORMALISED_CHANNELS, TIME_SCALES } from './features.js';

/** The device graph's input of the normalised features, [runs, P, 8]. */
export const NORMALISED_FEATURES_INPUT = 'features:normalised';
/** The device graph's input of each run's time embedding, [runs, 1, 1, 11]. */
export const TIME_EMBEDDING_INPUT = 'features:time';

/** `graph` with its feature input `name` replaced by concat(normalised, broadcast(time)). */
export function splitTimeEmbedding(graph: Graph, name: string): Graph {
  const featureId = graph.inputs.get(name);
  if (featureId === undefined) throw new Error(`internal: ${graph.name} has no input ${name}`);
  for (const taken of [NORMALISED_FEATURES_INPUT, TIME_EMBEDDING_INPUT]) {
    if (graph.inputs.has(taken)) throw new Error(`internal: ${graph.name} already has an input ${taken}`);
  }
  const nodes: Node[] = [];
  const moved = new Map<ValueId, ValueId>();
  const emit = (node: Omit<Node, 'id'>): ValueId => nodes.push({ ...node, id: nodes.length }) - 1;
  const inputs = new Map<string, ValueId>();
  for (const node of graph.nodes) {
    if (node.id !== featureId) {
      moved.set(node.id, emit({ ...node, op: mapOperands(node.op, (o) => moved.get(o)!) }));
      continue;
    }
    const { span, label, type } = node;
    const normalised = emit({ op: { op: 'input', name: NORMALISED_FEATURES_INPUT }, type: { ...type, channels: NORMALISED_CHANNELS }, span, label });
    const time = emit({ op: { op: 'input', name: TIME_EMBEDDING_INPUT }, type: { set: type.set, site: null, channels: TIME_SCALES.length }, span, label });
    const spread = emit({ op: { op: 'broadcast', x: time, axes: ['site'] }, type: { ...type, channels: TIME_SCALES.length }, span, label });
    moved.set(node.id, emit({ op: { op: 'concat', xs: [normalised, spread] }, type, span, label }));
    inputs.set(NORMALISED_FEATURES_INPUT, normalised);
    inputs.set(TIME_EMBEDDING_INPUT, time);
  }
  for (const [input, id] of graph.inputs) if (input !== name) inputs.set(input, moved.get(id)!);
  const outputs = graph.outputs === undefined ? undefined : new Map([...graph.outputs].map(([k, id]) => [k, moved.get(id)!]));
  return { ...graph, nodes, inputs, output: moved.get(graph.output)!, ...(outputs === undefined ? {} : { outputs }) };
}
