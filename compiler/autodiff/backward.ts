// Reverse-mode autodiff on the IR. The backward graph is the forward graph with the backward pass
// appended (so every forward value it needs is at hand), and is itself an ordinary IR graph: the
// checker, the planner and both executors process it like any other.
//
//   graph (output y)  →  graph + input `cotangent` (type of y) + VJP nodes
//                         outputs: `output` (y), `grad:<param>` per param, `input_grad:<input>`
//
// Cotangents are per batch element like the values they belong to; a parameter's gradient sums
// over the batch (contract / batch_sum), i.e. it is the gradient of Σ_batch <cotangent, y>.
import { GraphBuilder } from '../ir/graph-builder.js';
import type { Graph, ValueId } from '../ir/ops.js';
import { operandsOf } from '../ir/operands.js';
import type { Instantiation } from '../ir/types.js';
import { vjp } from './vjp.js';

export interface BackwardOptions {
  /** Net inputs to differentiate as well (their gradients come out as `input_grad:<name>`). */
  inputs?: string[];
  /** Name of the cotangent input (default `cotangent`). */
  cotangent?: string;
}

export interface Backward {
  graph: Graph;
  /** The gradient value of each parameter (by param name). */
  paramGrads: Map<string, ValueId>;
  inputGrads: Map<string, ValueId>;
  cotangent: ValueId;
}

export function buildBackward(graph: Graph, inst: Instantiation, options: BackwardOptions = {}): Backward {
  const b = new GraphBuilder(`${graph.name}.backward`, inst, graph);
  const batched = new BatchTracker(b);
  const wanted = new Set((options.inputs ?? []).map((name) => {
    const id = graph.inputs.get(name);
    if (id === undefined) throw new Error(`internal: ${graph.name} has no input ${name}`);
    return id;
  }));
  const needs = dependsOnLeaves(graph, wanted);
  const cotangentName = options.cotangent ?? 'cotangent';
  const cotangent = b.input(cotangentName, graph.nodes[graph.output]!.type);

  const cot = new Map<ValueId, ValueId>([[graph.output, cotangent]]);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    const dy = cot.get(node.id);
    if (dy === undefined || !needs.has(node.id)) continue;
    for (const [operand, contribution] of vjp(b, node, dy)) {
      if (!needs.has(operand)) continue;
      const d = unbroadcast(b, batched, contribution, operand);
      const prior = cot.get(operand);
      cot.set(operand, prior === undefined ? d : b.binary('add', prior, d));
    }
  }

  const paramGrads = new Map<string, ValueId>();
  for (const node of graph.nodes) {
    if (node.op.op !== 'param') continue;
    // an unused parameter has a zero gradient (params are finite, so 0·p is exactly 0)
    const g = cot.get(node.id) ?? b.scale(node.id, 0);
    const prior = paramGrads.get(node.op.name);
    paramGrads.set(node.op.name, prior === undefined ? g : b.binary('add', prior, g));
  }
  const inputGrads = new Map<string, ValueId>();
  for (const id of wanted) {
    const op = graph.nodes[id]!.op;
    const name = op.op === 'input' ? op.name : '';
    inputGrads.set(name, cot.get(id) ?? b.scale(id, 0));
  }
  const outputs = new Map<string, ValueId>([['output', graph.output]]);
  for (const [name, id] of paramGrads) outputs.set(`grad:${name}`, id);
  for (const [name, id] of inputGrads) outputs.set(`input_grad:${name}`, id);
  return { graph: b.finish(graph.output, { outputs, declaredBreaks: graph.declaredBreaks }), paramGrads, inputGrads, cotangent };
}

/**
 * Reduces a contribution to its operand's type: sums over the set/site axes, the channels and the
 * batch that the operand was repeated along. (A contribution may lack the batch where its operand
 * has one: it is then the same for every batch element, which every op broadcasts.)
 */
function unbroadcast(b: GraphBuilder, batched: BatchTracker, contribution: ValueId, operand: ValueId): ValueId {
  const from = b.typeOf(contribution);
  const to = b.typeOf(operand);
  let d = contribution;
  const axes: ('set' | 'site')[] = [];
  if (from.set !== null && to.set === null) axes.push('set');
  if (from.site !== null && to.site === null) axes.push('site');
  if (axes.length > 0) d = b.reduce('sum', d, axes);
  if (to.channels === 1 && from.channels > 1) d = b.channelSum(d);
  if (batched.of(d) && !batched.of(operand)) d = b.batchSum(d);
  return d;
}

/** Batchedness of the builder's values, computed as nodes are appended (see compiler/ir/batch.ts). */
class BatchTracker {
  private readonly known = new Map<ValueId, boolean>();
  constructor(private readonly b: GraphBuilder) {}

  of(id: ValueId): boolean {
    // ids are dense and operands precede their users: fill in order up to id
    for (let k = this.known.size; k <= id; k++) {
      const op = this.b.nodes[k]!.op;
      this.known.set(k, op.op === 'input' || (op.op !== 'contract' && op.op !== 'batch_sum' && operandsOf(op).some((o) => this.known.get(o) === true)));
    }
    return this.known.get(id)!;
  }
}

/** Values that depend on a parameter or on one of the wanted inputs: the only ones needing cotangents. */
function dependsOnLeaves(graph: Graph, wanted: Set<ValueId>): Set<ValueId> {
  const needs = new Set<ValueId>();
  for (const node of graph.nodes) {
    if (node.op.op === 'param' || wanted.has(node.id) || operandsOf(node.op).some((o) => needs.has(o))) needs.add(node.id);
  }
  return needs;
}
