// A small typed graph builder: appends nodes in definition order and infers each node's
// TensorType from its operands (the same rules the executors assume). Used by the lowering (which
// states types and spans itself, through `add`), by autodiff (which appends the backward pass to a
// forward graph) and by tests.
import type { Span } from '../syntax/ast.js';
import type {
  AxisName, BinaryFn, ConstTable, Graph, Incidence, Node, Op, ParamInit, ReduceFn, UnaryFn, ValueId,
} from './ops.js';
import { constType } from '../spaces/tables.js';
import { formatType, type Instantiation, type SetAxis, type Site, type TensorType } from './types.js';

const NO_SPAN: Span = { file: '<builder>', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

export class GraphBuilder {
  readonly nodes: Node[];
  readonly inputs: Map<string, ValueId>;
  /** Span given to the nodes appended from now on. */
  span: Span = NO_SPAN;

  constructor(readonly name: string, readonly inst: Instantiation, from?: Graph) {
    this.nodes = from ? [...from.nodes] : [];
    this.inputs = from ? new Map(from.inputs) : new Map();
  }

  typeOf(id: ValueId): TensorType {
    const node = this.nodes[id];
    if (node === undefined || node.id !== id) throw new Error(`internal: unknown value %${id}`);
    return node.type;
  }

  /** Appends a node with the source span it came from (the lowering's entry point). */
  add(op: Op, type: TensorType, span: Span, label: string): ValueId {
    const id = this.nodes.length;
    this.nodes.push({ id, op, type, span, label });
    return id;
  }

  /** Appends a node whose type the caller states. */
  node(op: Op, type: TensorType, label: string = op.op): ValueId {
    const id = this.nodes.length;
    this.nodes.push({ id, op, type, span: this.span, label });
    return id;
  }

  finish(output: ValueId, extra: { outputs?: Map<string, ValueId>; declaredBreaks?: AxisName[] } = {}): Graph {
    const graph: Graph = { name: this.name, nodes: this.nodes, inputs: this.inputs, output, declaredBreaks: extra.declaredBreaks ?? [] };
    if (extra.outputs !== undefined) graph.outputs = extra.outputs;
    return graph;
  }

  // ---- leaves ------------------------------------------------------------------------------

  input(name: string, type: TensorType): ValueId {
    const id = this.node({ op: 'input', name }, type, name);
    this.inputs.set(name, id);
    return id;
  }

  param(name: string, shape: number[], init: ParamInit): ValueId {
    const type: TensorType = shape.length === 2
      ? { set: null, site: { kind: 'fixed', size: shape[0]!, label: 'rows' }, channels: shape[1]! }
      : { set: null, site: null, channels: shape.reduce((a, b) => a * b, 1) };
    return this.node({ op: 'param', name, shape, init }, type, name);
  }

  const(table: ConstTable): ValueId {
    return this.node({ op: 'const', table }, constType(table), table.kind);
  }

  // ---- pointwise ---------------------------------------------------------------------------

  unary(fn: UnaryFn, x: ValueId): ValueId {
    return this.node({ op: 'unary', fn, x }, this.typeOf(x), fn);
  }

  binary(fn: BinaryFn, a: ValueId, b: ValueId): ValueId {
    return this.node({ op: 'binary', fn, a, b }, broadcastTypes([this.typeOf(a), this.typeOf(b)]), fn);
  }

  scale(x: ValueId, factor: number): ValueId {
    return this.node({ op: 'scale', x, factor }, this.typeOf(x));
  }

  select(mask: ValueId, a: ValueId, b: ValueId): ValueId {
    return this.node({ op: 'select', mask, a, b }, broadcastTypes([this.typeOf(mask), this.typeOf(a), this.typeOf(b)]));
  }

  // ---- channel maps ------------------------------------------------------------------------

  /** y = x·w (w typed fixed(cin)[cout]) or x·wᵀ (w typed fixed(cout)[cin]). */
  matmul(x: ValueId, w: ValueId, transposeW = false): ValueId {
    const [rows, cols] = matrixDims(this.typeOf(w));
    const cout = transposeW ? rows : cols;
    return this.node({ op: 'matmul', x, w, transposeW }, { ...this.typeOf(x), channels: cout });
  }

  contract(a: ValueId, b: ValueId): ValueId {
    const type: TensorType = { set: null, site: { kind: 'fixed', size: this.typeOf(a).channels, label: 'rows' }, channels: this.typeOf(b).channels };
    return this.node({ op: 'contract', a, b }, type);
  }

  bias(x: ValueId, b: ValueId): ValueId {
    return this.node({ op: 'bias', x, b }, this.typeOf(x));
  }

  /** A learned channel-linear map with optional bias (params named `<name>.w`, `<name>.b`). */
  linear(x: ValueId, out: number, name: string, withBias = true): ValueId {
    const cin = this.typeOf(x).channels;
    const w = this.param(`${name}.w`, [cin, out], { kind: 'uniform_fan_in', fanIn: cin });
    const y = this.matmul(x, w);
    if (!withBias) return y;
    return this.bias(y, this.param(`${name}.b`, [out], { kind: 'uniform_fan_in', fanIn: cin }));
  }

  dense(x: ValueId, w: ValueId, to: { site: Site | null; channels: number }): ValueId {
    return this.node({ op: 'dense', x, w }, { set: this.typeOf(x).set, site: to.site, channels: to.channels });
  }

  layernorm(x: ValueId, eps = 1e-5): ValueId {
    return this.node({ op: 'layernorm', x, eps }, this.typeOf(x));
  }

  attention(q: ValueId, k: ValueId, v: ValueId, over: AxisName, heads: number): ValueId {
    return this.node({ op: 'attention', q, k, v, over, heads }, this.typeOf(q));
  }

  // ---- structure ---------------------------------------------------------------------------

  reduce(fn: ReduceFn, x: ValueId, axes: AxisName[]): ValueId {
    const t = this.typeOf(x);
    return this.node({ op: 'reduce', fn, x, axes }, {
      set: axes.includes('set') ? null : t.set,
      site: axes.includes('site') ? null : t.site,
      channels: t.channels,
    }, `${fn}`);
  }

  /** Repeats x along the axes of `to` it lacks. */
  broadcast(x: ValueId, to: { set: SetAxis | null; site: Site | null }): ValueId {
    const t = this.typeOf(x);
    const axes: AxisName[] = [];
    if (t.set === null && to.set !== null) axes.push('set');
    if (t.site === null && to.site !== null) axes.push('site');
    return this.node({ op: 'broadcast', x, axes }, { set: t.set ?? to.set, site: t.site ?? to.site, channels: t.channels });
  }

  concat(xs: ValueId[]): ValueId {
    const types = xs.map((x) => this.typeOf(x));
    const shared = broadcastTypes(types.map((t) => ({ ...t, channels: 1 })));
    return this.node({ op: 'concat', xs }, { ...shared, channels: types.reduce((a, t) => a + t.channels, 0) });
  }

  slice(x: ValueId, start: number, size: number): ValueId {
    return this.node({ op: 'slice', x, start, size }, { ...this.typeOf(x), channels: size });
  }

  pad(x: ValueId, start: number, size: number): ValueId {
    return this.node({ op: 'pad', x, start, size }, { ...this.typeOf(x), channels: size });
  }

  gather(x: ValueId, incidence: Incidence): ValueId {
    const target = siteTarget(this.typeOf(x), 'neurons');
    return this.node({ op: 'gather', x, incidence, target }, { ...this.typeOf(x), site: { kind: 'params', target } }, incidence);
  }

  scatter(x: ValueId, incidence: Incidence): ValueId {
    const target = siteTarget(this.typeOf(x), 'params');
    return this.node({ op: 'scatter', x, incidence, target }, { ...this.typeOf(x), site: { kind: 'neurons', target } }, `${incidence}_sum`);
  }

  segmentMean(x: ValueId): ValueId {
    const site = this.typeOf(x).site;
    if (site === null || site.kind === 'fixed') throw new Error('internal: segment_mean needs a neurons or params site');
    return this.node({ op: 'segment_mean', x, target: site.target }, this.typeOf(x));
  }

  fold(x: ValueId, axis: AxisName): ValueId {
    const t = this.typeOf(x);
    const n = axis === 'set' ? t.set?.size : t.site === null ? undefined : siteLength(t.site, this.inst);
    if (n === undefined) throw new Error(`internal: fold over a missing ${axis} axis`);
    return this.node({ op: 'fold', x, axis }, { set: axis === 'set' ? null : t.set, site: axis === 'site' ? null : t.site, channels: t.channels * n });
  }

  /** Splits channels into a new set axis or site. */
  unfold(x: ValueId, axis: { set: SetAxis } | { site: Site }): ValueId {
    const t = this.typeOf(x);
    if ('set' in axis) {
      return this.node({ op: 'unfold', x, axis: 'set' }, { set: axis.set, site: t.site, channels: t.channels / axis.set.size });
    }
    return this.node({ op: 'unfold', x, axis: 'site' }, { set: t.set, site: axis.site, channels: t.channels / siteLength(axis.site, this.inst) });
  }

  /** f_θ(coords) for θ ∈ weights(T)[1] (T an MLP) and coords ∈ fixed(n)[d_0]: fixed(n)[d_L] (see ops.ts). */
  render(theta: ValueId, coords: ValueId): ValueId {
    const { target, widths, points } = renderShape(this.typeOf(theta), this.typeOf(coords), this.inst);
    return this.node({ op: 'render', theta, coords, target }, { set: null, site: points, channels: widths.at(-1)! });
  }

  /** The VJP of render in θ, typed like θ. */
  renderVjp(theta: ValueId, coords: ValueId, dy: ValueId): ValueId {
    const { target } = renderShape(this.typeOf(theta), this.typeOf(coords), this.inst);
    return this.node({ op: 'render_vjp', theta, coords, dy, target }, this.typeOf(theta));
  }

  batchSum(x: ValueId): ValueId {
    return this.node({ op: 'batch_sum', x }, this.typeOf(x));
  }

  channelSum(x: ValueId): ValueId {
    return this.node({ op: 'channel_sum', x }, { ...this.typeOf(x), channels: 1 });
  }
}

/** The result type of broadcasting operands (binary, select, concat): union of axes, max channels. */
export function broadcastTypes(types: TensorType[]): TensorType {
  const set = types.find((t) => t.set !== null)?.set ?? null;
  const site = types.find((t) => t.site !== null)?.site ?? null;
  const channels = Math.max(...types.map((t) => t.channels));
  return { set, site, channels };
}

/** [rows, cols] of a matrix-typed value (fixed(rows)[cols]). */
export function matrixDims(type: TensorType): [number, number] {
  if (type.site === null || type.site.kind !== 'fixed' || type.set !== null) {
    throw new Error('internal: a matrix operand must be typed fixed(rows)[cols]');
  }
  return [type.site.size, type.channels];
}

function siteTarget(type: TensorType, kind: 'neurons' | 'params'): string {
  if (type.site === null || type.site.kind !== kind) throw new Error(`internal: expected a ${kind} site`);
  return type.site.target;
}

function siteLength(site: Site, inst: Instantiation): number {
  if (site.kind === 'fixed') return site.size;
  const layout = inst.targets.get(site.target);
  if (layout === undefined) throw new Error(`internal: unknown target ${site.target}`);
  return site.kind === 'neurons' ? layout.neuronCount : layout.paramCount;
}

/** Checks render's operand types: θ on params(T) of an MLP with one channel, coords fixed(n)[d_0]. */
export function renderShape(theta: TensorType, coords: TensorType, inst: Instantiation): { target: string; widths: number[]; points: Site } {
  if (theta.site === null || theta.site.kind !== 'params' || theta.set !== null || theta.channels !== 1) {
    throw new Error(`internal: render needs θ typed weights(T)[1], got ${formatType(theta)}`);
  }
  const layout = inst.targets.get(theta.site.target);
  if (layout === undefined || layout.spec.kind !== 'mlp') throw new Error(`internal: render needs an mlp target, got ${theta.site.target}`);
  const widths = layout.spec.widths;
  if (coords.site === null || coords.site.kind !== 'fixed' || coords.set !== null || coords.channels !== widths[0]) {
    throw new Error(`internal: render needs coordinates typed fixed(n)[${widths[0]}], got ${formatType(coords)}`);
  }
  return { target: layout.name, widths, points: coords.site };
}
