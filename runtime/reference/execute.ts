// The float64 reference executor of the IR: the oracle of every numeric test and the last-resort
// backend. It interprets a graph node by node, in array order (a valid execution order), with the
// semantics documented in compiler/ir/ops.ts. Each op family lives in its own file.
import { batchedValues } from '../../compiler/ir/batch.js';
import { operandsOf } from '../../compiler/ir/operands.js';
import type { Graph, Node, ValueId } from '../../compiler/ir/ops.js';
import { shapeOf, siteSize, type Instantiation, type Site, type TensorType } from '../../compiler/ir/types.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { attention, attentionVjp } from './attention.js';
import { constant, gather, scatter, segmentMean, siteTerm, siteTerms } from './incidence.js';
import { layernorm, layernormVjp } from './layernorm.js';
import { contract, dense, matmul } from './linear.js';
import { bias, binary, scale, select, unary } from './pointwise.js';
import { render, renderVjp } from './render.js';
import { batchSum, broadcast, channelSum, concat, fold, pad, reduce, slice, unfold } from './structure.js';
import { broadcastDims, expand, sizeOf, type Dims4, type Tensor, type Value4 } from './tensor.js';

export interface ExecuteOptions {
  /** Batch size when the graph has no inputs to read it from (default 1). */
  batch?: number;
  /**
   * Which values to keep: `all` (default: tests read intermediate values) or `outputs` (each value
   * is dropped after its last reader, so memory follows the live values, not the graph: an np
   * layer of 1,322 terms over 67,520 parameters keeps every term's [P, c] value otherwise).
   */
  keep?: 'all' | 'outputs';
}

export interface Execution {
  /** The graph's `output`. */
  output: Tensor;
  /** The graph's named `outputs` (empty when it has none). */
  outputs: Map<string, Tensor>;
  /** Every value of the graph, by id (only the outputs with `keep: 'outputs'`). */
  values: Map<ValueId, Tensor>;
}

/**
 * Runs `graph` on `inputs` (by net input name, shape [batch, ...shapeOf(type)]) and `params` (by
 * param name, flat row-major of the param's shape). Batched values come back with the batch axis
 * first; unbatched ones (params, constants, parameter gradients) without it.
 */
export function executeGraph(
  graph: Graph,
  inst: Instantiation,
  inputs: ReadonlyMap<string, Tensor>,
  params: ReadonlyMap<string, Float64Array>,
  options: ExecuteOptions = {},
): Execution {
  const batch = batchSize(graph, inputs, options.batch ?? 1);
  const batched = batchedValues(graph);
  const values = new Map<ValueId, Value4>();
  const get = (id: ValueId): Value4 => {
    const v = values.get(id);
    if (v === undefined) throw new Error(`internal: value %${id} used before its definition`);
    return v;
  };
  const env: Env = { inst, inputs, params, typeOf: (id) => graph.nodes[id]!.type };
  const kept = new Set([graph.output, ...(graph.outputs?.values() ?? [])]);
  const lastReader = options.keep === 'outputs' ? lastReaders(graph) : undefined;
  for (const node of graph.nodes) {
    const dims = dimsOf(node.type, batched.get(node.id)! ? batch : 1, inst);
    const value = evaluate(node, dims, get, env);
    if (sizeOf(value.dims) !== sizeOf(dims) || value.data.length !== sizeOf(dims)) {
      throw new Error(`internal: %${node.id} (${node.op.op}) produced [${value.dims}], its type needs [${dims}]`);
    }
    values.set(node.id, { data: value.data, dims });
    if (lastReader !== undefined) {
      for (const id of operandsOf(node.op)) if (lastReader.get(id) === node.id && !kept.has(id)) values.delete(id);
    }
  }
  const toTensor = (id: ValueId): Tensor => {
    const node = graph.nodes[id]!;
    const shape = shapeOf(node.type, inst);
    return { data: get(id).data, shape: batched.get(id)! ? [batch, ...shape] : shape };
  };
  return {
    output: toTensor(graph.output),
    outputs: new Map([...(graph.outputs ?? new Map<string, ValueId>())].map(([name, id]) => [name, toTensor(id)])),
    values: new Map([...values.keys()].map((id) => [id, toTensor(id)])),
  };
}

/** Each value's last reader (the node after which nothing reads it). */
function lastReaders(graph: Graph): Map<ValueId, ValueId> {
  const last = new Map<ValueId, ValueId>();
  for (const node of graph.nodes) for (const id of operandsOf(node.op)) last.set(id, node.id);
  return last;
}

interface Env {
  inst: Instantiation;
  inputs: ReadonlyMap<string, Tensor>;
  params: ReadonlyMap<string, Float64Array>;
  typeOf: (id: ValueId) => TensorType;
}

function evaluate(node: Node, dims: Dims4, get: (id: ValueId) => Value4, env: Env): Value4 {
  const op = node.op;
  switch (op.op) {
    case 'input': {
      const t = env.inputs.get(op.name);
      if (t === undefined) throw new Error(`missing input \`${op.name}\``);
      if (t.data.length !== sizeOf(dims)) throw new Error(`input \`${op.name}\` has shape [${t.shape}], expected [${dims[0]}, ${shapeOf(node.type, env.inst)}]`);
      return { data: t.data, dims };
    }
    case 'param': {
      const p = env.params.get(op.name);
      if (p === undefined) throw new Error(`missing parameter \`${op.name}\``);
      if (p.length !== sizeOf(op.shape)) throw new Error(`parameter \`${op.name}\` has ${p.length} values, expected [${op.shape}]`);
      return { data: p, dims };
    }
    case 'const': return constant(op.table, layoutOf(env.inst, op.table.target), dims);
    case 'unary': return unary(op.fn, get(op.x));
    case 'binary': return binary(op.fn, get(op.a), get(op.b));
    case 'scale': return scale(get(op.x), op.factor);
    case 'select': return select(get(op.mask), get(op.a), get(op.b));
    case 'bias': return bias(get(op.x), get(op.b));
    case 'matmul': return matmul(get(op.x), get(op.w), dims[3], op.transposeW);
    case 'contract': return contract(get(op.a), get(op.b));
    case 'dense': return dense(get(op.x), get(op.w), dims);
    case 'reduce': return reduce(op.fn, get(op.x), op.axes);
    case 'broadcast': return broadcast(get(op.x), dims);
    case 'concat': return concat(op.xs.map(get), dims);
    case 'slice': return slice(get(op.x), op.start, op.size);
    case 'pad': return pad(get(op.x), op.start, op.size);
    case 'fold': return fold(get(op.x), op.axis);
    case 'unfold': return unfold(get(op.x), op.axis, dims);
    case 'batch_sum': return batchSum(get(op.x));
    case 'channel_sum': return channelSum(get(op.x));
    case 'gather': return gather(get(op.x), op.incidence, layoutOf(env.inst, op.target));
    case 'scatter': return scatter(get(op.x), op.incidence, layoutOf(env.inst, op.target));
    case 'segment_mean': return segmentMean(get(op.x), siteOf(node.type), layoutOf(env.inst, op.target));
    case 'site_term': return siteTerm(get(op.x), op.term, layoutOf(env.inst, op.term.target), node.type.site, env.typeOf(op.x).site);
    case 'site_terms': return siteTerms(get(op.x), op.w === null ? null : get(op.w), op.terms, layoutOf(env.inst, op.terms[0]!.target), node.type.site, env.typeOf(op.x).site);
    case 'layernorm': return layernorm(get(op.x), op.eps);
    case 'layernorm_vjp': return layernormVjp(get(op.x), sameDims(get(op.dy), get(op.x).dims), op.eps);
    case 'render': return render(get(op.theta), get(op.coords), layoutOf(env.inst, op.target));
    case 'render_vjp': return renderVjp(get(op.theta), get(op.coords), get(op.dy), layoutOf(env.inst, op.target));
    case 'attention': {
      const [q, k, v] = common([get(op.q), get(op.k), get(op.v)]);
      return attention(q!, k!, v!, op.over, op.heads);
    }
    case 'attention_vjp': {
      const [q, k, v, dy] = common([get(op.q), get(op.k), get(op.v), get(op.dy)]);
      return attentionVjp(q!, k!, v!, dy!, op.over, op.heads, op.wrt);
    }
  }
}

/** Operands broadcast to their common dims (only the batch can differ in well-typed graphs). */
function common(xs: Value4[]): Value4[] {
  const dims = broadcastDims(...xs.map((x) => x.dims));
  return xs.map((x) => ({ data: expand(x, dims), dims }));
}

function sameDims(x: Value4, dims: Dims4): Value4 {
  const to = broadcastDims(x.dims, dims);
  return { data: expand(x, to), dims: to };
}

function siteOf(type: TensorType): Site {
  if (type.site === null) throw new Error('internal: op needs a site axis');
  return type.site;
}

function layoutOf(inst: Instantiation, target: string): TargetLayout {
  const layout = inst.targets.get(target);
  if (layout === undefined) throw new Error(`internal: unknown target ${target}`);
  return layout;
}

function dimsOf(type: TensorType, batch: number, inst: Instantiation): Dims4 {
  return [batch, type.set?.size ?? 1, type.site === null ? 1 : siteSize(type.site, inst), type.channels];
}

function batchSize(graph: Graph, inputs: ReadonlyMap<string, Tensor>, fallback: number): number {
  let batch: number | null = null;
  for (const name of graph.inputs.keys()) {
    const t = inputs.get(name);
    if (t === undefined) throw new Error(`missing input \`${name}\``);
    const b = t.shape[0] ?? 1;
    if (batch !== null && b !== batch) throw new Error(`inputs disagree on the batch size (${batch} vs ${b})`);
    batch = b;
  }
  return batch ?? fallback;
}
