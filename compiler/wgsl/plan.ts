// The dispatch plan of an IR graph: which kernels run, in which order, on which buffers, with which
// uniforms. It is pure data (no device), so `gmn compile` can write it as JSON and the GPU
// executor can run it. One plan serves one batch size.
//
// Layout of every value: [batch?, set?, site?, channel] row-major, seen by kernels as 4-D dims
// [B or 1, set or 1, site or 1, c]. A value is *batched* when it depends on a net input; params
// and constants are not (they broadcast along the batch with stride 0). A matmul weight may be
// batched (params turned into inputs: each batch element with its own weights).
//
// Buffers: inputs, params and constants each own a buffer; intermediate values and scratch space
// share physical slots by lifetime: a slot returns to a free list after its value's last use and
// is reused by a later value of the same size class. All dispatches run in order in one submit,
// so a slot can be rewritten as soon as its last reader has been recorded.
//
// Before planning, the graph goes through the optimisation stage's step pass
// (compiler/optimize/passes.ts: CSE, DCE and the rewrites autodiff makes worthwhile); the plan
// runs the optimised graph, and maps the caller's value ids to where they ended up.
// Elementwise chains are fused: an elementwise node whose elementwise operand is used only by it
// (and has the same dims, and is not an output) absorbs that operand's expression, and broadcasts
// read only by elementwise ops become stride-0 views inside them.
import { batchedValues } from '../ir/batch.js';
import type { AxisName, Graph, Incidence, Node, Op, ValueId } from '../ir/ops.js';
import { operandsOf } from '../ir/operands.js';
import { optimizeStep } from '../optimize/passes.js';
import { shapeOf, siteSize, type Instantiation, type TensorType } from '../ir/types.js';
import { attentionDKernel, attentionKernel, attentionStatsKernel, attentionVjpKernel, attentionVjpKvKernel } from './attention.js';
import { CONCAT_PARTS, concatKernel } from './concat.js';
import { factors, fillKernel, mapKernel, vec4Friendly, type Expr } from './elementwise.js';
import { gatherKernel, incidenceCsr, incidenceUniforms, scatterKernel } from './incidence.js';
import { termRelation, type TermRelation } from '../symmetry/term-relation.js';
import { linearGrid, type Kernel } from './kernel.js';
import { layernormKernel, layernormVjpKernel } from './layernorm.js';
import { contractColumnKernel, contractGroup, contractKernel, epilogueInputs, fastApplies, fitTile, GENERIC_TILE, LAVAPIPE_TILE, matmulFastKernel, matmulKernel, matvecKernel, splitK, vec4Readable, type MatmulShape, type Tile } from './matmul.js';
import { batchedMatmulGrid, batchedMatmulKernel, batchedMatmulVec4Grid, batchedMatmulVec4Kernel, batchedMatvecKernel, batchedMatvecVec4Kernel } from './matmul-batched.js';
import { batchedSetSumsGrid, batchedSetSumsKernel, setBlocks } from './matmul-set-sums.js';
import { reduceKernel, reduceMiddleKernel } from './reduce.js';
import { siteKeyMeanKernel } from './site-key-mean.js';
import { productMembers, siteKeyContractKernel, siteKeyReadKernel, siteKeySumKernel, siteKeyTables, siteTermsReadKernel, stackedKeyTables, type StackedKeyTables } from './site-term.js';
import { RENDER_SHAPE, pointGrid, renderFactorLayout, renderFactorsKernel, renderGradGrid, renderGradKernel, renderKernel, renderSignalsKernel } from './render.js';
import type { TargetLayout } from '../spaces/target.js';
import { contiguous, dimValues, viewValues, type Dims4, type View } from './view.js';

export type BufferRole = 'input' | 'param' | 'const' | 'table' | 'value' | 'scratch';

export interface PlanBuffer {
  id: number;
  role: BufferRole;
  /** Input/param name, const/table description, or the values that live in this slot. */
  name: string;
  bytes: number;
}

export interface PlanDispatch {
  /** Index into `Plan.kernels`. */
  kernel: number;
  /** The value of the optimised graph (`Plan.optimized`) this dispatch computes (part of). */
  node: ValueId;
  label: string;
  uniforms: Record<string, number>;
  /** Plan buffer ids in the kernel's binding order. */
  buffers: number[];
  workgroups: [number, number, number];
}

/** Host data a table buffer is filled with (incidence indices, segment ranges, constants). */
export type TableData = Int32Array | Uint32Array | Float32Array;

export interface Plan {
  graph: string;
  batch: number;
  kernels: Kernel[];
  buffers: PlanBuffer[];
  dispatches: PlanDispatch[];
  inputs: Map<string, number>;
  params: Map<string, number>;
  /** Table and const buffers with their contents. */
  tables: Map<number, TableData>;
  /** The graph the dispatches compute: the caller's after the optimisation stage. */
  optimized: Graph;
  /** Where each value of the caller's graph went in `optimized` (values optimised away are absent). */
  optimizedIds: Map<ValueId, ValueId>;
  /** Where each value of the caller's graph lives (values fused or optimised away have none). */
  values: Map<ValueId, number>;
  /** The 4-D dims of each value of the caller's graph. */
  dims: Map<ValueId, Dims4>;
  /** The values the caller reads back. */
  outputs: ValueId[];
}

/** Host-side tables the planner needs from a target (see compiler/spaces/tables.ts). */
export interface PlanTables {
  /** For each parameter of the target, its incident neuron by `which` (−1 = none). */
  incidence(target: string, which: Incidence): Int32Array;
  /** A const op's values, row-major in its node's type (no batch axis). */
  constant(node: Node & { op: { op: 'const' } }): Float32Array;
}

export interface PlanOptions {
  batch: number;
  /** Values to read back (default: the graph's output). */
  outputs?: ValueId[];
  tables: PlanTables;
  /** Register tile of the fast matmul (default 8×8 for lavapipe). */
  tile?: Tile;
  /** Fuse elementwise chains (default true). */
  fuse?: boolean;
  /** Fuse elementwise consumers into fast matmuls as epilogues (default true; needs `fuse`). */
  epilogues?: boolean;
  /**
   * Most inputs besides the product an epilogue may read (default 8). Each costs registers next
   * to the matmul's accumulators; on lavapipe the curvature step's epilogues (up to 4 inputs)
   * still saved CPU time (2.2 s vs 2.27 s per step unfused, 2.2 s with at most 2 inputs).
   */
  maxEpilogueInputs?: number;
}

/**
 * Ops printed as expressions of the map kernel. `broadcast` is the identity expression: fused into
 * its consumers it costs nothing (its operand is read through a stride-0 view) instead of
 * materialising a full-size copy.
 */
const ELEMENTWISE = new Set<Op['op']>(['unary', 'binary', 'scale', 'select', 'bias', 'broadcast']);


/** Buffers a fused elementwise kernel may read (lavapipe allows 16 storage buffers per stage; one is the output). */
const MAX_FUSED_READS = 12;

export function planGraph(graph: Graph, inst: Instantiation, options: PlanOptions): Plan {
  return new Planner(graph, inst, options).build();
}

class Planner {
  private readonly kernels: Kernel[] = [];
  private readonly kernelIndex = new Map<string, number>();
  private readonly buffers: PlanBuffer[] = [];
  private readonly dispatches: PlanDispatch[] = [];
  private readonly tables = new Map<number, TableData>();
  private readonly values = new Map<ValueId, number>();
  private readonly dims = new Map<ValueId, Dims4>();
  private readonly inputs = new Map<string, number>();
  private readonly params = new Map<string, number>();
  private readonly free = new Map<number, number[]>();
  private readonly uses = new Map<ValueId, number>();
  private readonly lastUse = new Map<ValueId, number>();
  private readonly fusedInto = new Map<ValueId, ValueId>();
  private readonly inlined = new Set<ValueId>();
  /** Gathers read only by elementwise kernels, which read the gathered rows through the incidence table instead. */
  private readonly inlinedGathers = new Set<ValueId>();
  /**
   * Keyed means (segment_mean, site_term) read only by elementwise kernels: only their per-key means
   * are stored ([B, S, keys, C]), and the readers look each position's key up in the out-key table
   * (keyTables, filled when the means are computed) — no full-size second pass.
   */
  private readonly inlinedKeyed = new Set<ValueId>();
  private readonly keyTables = new Map<ValueId, { keys: number; outKey: number }>();
  /** Fast-path matmuls computed by their single elementwise consumer's kernel (epilogue fusion): matmul → consumer. */
  private readonly epilogueOf = new Map<ValueId, ValueId>();
  /**
   * Epilogues of batched-weight matmuls whose mean (or sum) over the set one `reduce` takes: their
   * kernel also sums the output over blocks of sets (matmul-set-sums.ts) into `partials`, which the
   * reduce finishes; `store`: the output has other readers, so it is written too (else never).
   */
  private readonly setSums = new Map<ValueId, { reduce: ValueId; store: boolean; partials: number }>();
  /** Fold/slice/unfold chains of batched weights that the batched matmuls read in place (findWeightViews). */
  private readonly weightViews = new Map<ValueId, WeightView>();
  private readonly nodes: Map<ValueId, Node>;
  private batched = new Map<ValueId, boolean>();
  private readonly outputs: ValueId[];
  private readonly tableCache = new Map<string, number>();
  /** site_terms' tables by their terms and sites: a stack read twice is built once. */
  private readonly stackedCache = new Map<string, StackedKeyTables>();
  /**
   * Softmax statistics shared by the VJPs of one attention (wrt q, k and v read the same
   * (max, sum, D) rows): max and sum written by the forward attention when it is in the graph
   * (`forward`), D at the first VJP; released after the last VJP.
   */
  private readonly attentionStats = new Map<string, { buffer: number; remaining: number; forward?: ValueId; hasD?: boolean; k?: Node; v?: Node }>();
  /** A render whose render_vjp (same target, θ and points) runs later: the render keeps the factors (buffer set when it runs). */
  private readonly keptFactors = new Map<ValueId, { vjp: ValueId; buffer: number }>();

  /** The optimised graph (the one planned), its nodes in execution order. */
  private readonly graph: Graph;
  private readonly order: Node[];
  /** The caller's values (ids of the graph passed in) and the requested ones among them. */
  private readonly moved: Map<ValueId, ValueId>;
  private readonly requested: ValueId[];

  constructor(graph: Graph, private readonly inst: Instantiation, private readonly options: PlanOptions) {
    this.requested = options.outputs ?? [graph.output];
    const optimized = optimizeStep(graph, inst, this.requested);
    this.graph = optimized.graph;
    this.moved = optimized.moved;
    this.outputs = this.requested.map((id) => optimized.moved.get(id)!);
    this.order = this.graph.nodes;
    this.nodes = new Map(this.order.map((n) => [n.id, n]));
  }

  build(): Plan {
    const batched = batchedValues(this.graph);
    this.batched = batched;
    for (const node of this.order) {
      this.dims.set(node.id, this.dimsOf(node.type, batched.get(node.id)!));
      for (const o of operandsOf(node.op)) this.uses.set(o, (this.uses.get(o) ?? 0) + 1);
    }
    this.findWeightViews();
    if (this.options.fuse ?? true) {
      this.findFusions();
      if (this.options.epilogues ?? true) {
        this.findEpilogues();
        this.findSetSums();
      }
    }
    const forwards = new Map(this.order.flatMap((n) => (n.op.op === 'attention' ? [[attentionKey(n.op), n.id] as const] : [])));
    for (const node of this.order) {
      if (node.op.op !== 'attention_vjp') continue;
      const key = attentionStatsKey(node.op);
      const forward = forwards.get(attentionKey(node.op));
      const entry = this.attentionStats.get(key) ?? { buffer: -1, remaining: 0, ...(forward === undefined ? {} : { forward }) };
      entry.remaining++;
      if (node.op.wrt !== 'q') entry[node.op.wrt] = node;
      this.attentionStats.set(key, entry);
    }
    this.findKeptFactors();
    this.order.forEach((node, step) => {
      for (const o of this.leafOperands(node)) this.lastUse.set(o, step);
    });
    this.order.forEach((node, step) => {
      if (this.absorbed(node.id)) return;
      this.emit(node);
      for (const o of new Set(this.leafOperands(node))) if (this.lastUse.get(o) === step) this.releaseValue(o);
      if ((this.uses.get(node.id) ?? 0) === 0) this.releaseValue(node.id);
    });
    // The caller's values, by the caller's ids: where the optimised graph keeps each one.
    const values = new Map<ValueId, number>();
    const dims = new Map<ValueId, Dims4>();
    for (const [from, to] of this.moved) {
      if (this.values.has(to)) values.set(from, this.values.get(to)!);
      if (this.dims.has(to)) dims.set(from, this.dims.get(to)!);
    }
    return {
      graph: this.graph.name,
      batch: this.options.batch,
      kernels: this.kernels,
      buffers: this.buffers,
      dispatches: this.dispatches,
      inputs: this.inputs,
      params: this.params,
      tables: this.tables,
      optimized: this.graph,
      optimizedIds: this.moved,
      values,
      dims,
      outputs: this.requested,
    };
  }

  // ---- shapes and views -------------------------------------------------------------------

  private dimsOf(type: TensorType, batched: boolean): Dims4 {
    const site = type.site === null ? 1 : siteSize(type.site, this.inst);
    return [batched ? this.options.batch : 1, type.set?.size ?? 1, site, type.channels];
  }

  private node(id: ValueId): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`internal: unknown value %${id}`);
    return n;
  }

  /** The view of operand `id` broadcast to `to` (stride 0 along every axis it lacks). */
  private broadcastView(id: ValueId, to: Dims4, stored: Dims4 = this.dims.get(id)!): View {
    const d = stored;
    const s = contiguous(d).strides;
    const strides = s.map((stride, axis) => {
      if (d[axis] === to[axis]) return stride;
      if (d[axis] === 1) return 0;
      throw new Error(`internal: cannot broadcast %${id} [${d}] to [${to}]`);
    }) as Dims4;
    return { offset: 0, strides };
  }

  // ---- fusion ------------------------------------------------------------------------------

  private findFusions(): void {
    const consumers = new Map<ValueId, Node[]>();
    for (const node of this.order) for (const o of operandsOf(node.op)) consumers.set(o, [...(consumers.get(o) ?? []), node]);
    // The buffers each fused elementwise kernel reads (a gather's source and its two tables count 3):
    // a long chain (the sum of an eqlinear's basis terms) is cut where it would exceed the binding limit.
    const reads = new Map<ValueId, Map<ValueId, number>>();
    for (const node of this.order) {
      if ((node.op.op !== 'segment_mean' && node.op.op !== 'site_term') || this.isOutput(node.id)) continue;
      const readers = consumers.get(node.id) ?? [];
      if (readers.length > 0 && readers.every((c) => ELEMENTWISE.has(c.op.op) && broadcastsTo(this.dims.get(node.id)!, this.dims.get(c.id)!))) this.inlinedKeyed.add(node.id);
    }
    // (a keyed read's means and out-key table count 2)
    const leaf = (o: ValueId): Map<ValueId, number> => new Map([[o, this.node(o).op.op === 'gather' ? 3 : this.inlinedKeyed.has(o) ? 2 : 1]]);
    const weight = (m: Map<ValueId, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    for (const node of this.order) {
      if (!ELEMENTWISE.has(node.op.op)) continue;
      const mine = new Map<ValueId, number>();
      reads.set(node.id, mine);
      const operands = operandsOf(node.op);
      for (const [k, o] of operands.entries()) {
        const producer = this.node(o);
        const fusible = ELEMENTWISE.has(producer.op.op) && !this.isOutput(o);
        // (the operands after this one are read too, each at least one buffer)
        const later = operands.length - k - 1;
        const theirs = fusible ? reads.get(o)! : leaf(o);
        if (fusible && this.uses.get(o) === 1 && sameDims(this.dims.get(o)!, this.dims.get(node.id)!) && weight(new Map([...mine, ...theirs])) + later <= MAX_FUSED_READS) {
          this.fusedInto.set(o, node.id);
          for (const [id, w] of theirs) mine.set(id, w);
          continue;
        }
        for (const [id, w] of leaf(o)) mine.set(id, w);
        if (!fusible) continue;
        // A broadcast read by elementwise ops only is inlined into each of them (recomputing it is
        // free), also where they are batched and it is not (its source is then read with stride 0
        // along the batch too).
        if (producer.op.op === 'broadcast' && consumers.get(o)!.every((c) => ELEMENTWISE.has(c.op.op) && broadcastsTo(this.dims.get(o)!, this.dims.get(c.id)!))) this.inlined.add(o);
      }
    }
    // A gather read by elementwise ops only is never materialised either: they read its source
    // through the incidence table (the pair readouts' [B, b, P, c] rows come from [B, b, N, c] ones).
    for (const node of this.order) {
      if (node.op.op !== 'gather' || this.isOutput(node.id)) continue;
      const readers = consumers.get(node.id) ?? [];
      if (readers.length > 0 && readers.every((c) => ELEMENTWISE.has(c.op.op) && broadcastsTo(this.dims.get(node.id)!, this.dims.get(c.id)!))) this.inlinedGathers.add(node.id);
    }
  }

  private isOutput(id: ValueId): boolean {
    return this.outputs.includes(id);
  }

  /** Whether producer `o` is printed inside consumer `node`'s expression. */
  private fusedIn(o: ValueId, node: Node): boolean {
    return this.fusedInto.get(o) === node.id || this.inlined.has(o);
  }

  /** Whether a node is computed inside its consumers' kernels rather than by its own. */
  private absorbed(id: ValueId): boolean {
    return this.fusedInto.has(id) || this.inlined.has(id) || this.inlinedGathers.has(id) || this.epilogueOf.has(id) || this.weightViews.has(id);
  }

  /**
   * The values a node actually reads once fused producers are inlined (and, for an attention VJP,
   * the forward output its D comes from).
   */
  private leafOperands(node: Node): ValueId[] {
    if (node.op.op === 'attention_vjp') {
      const forward = this.attentionStats.get(attentionStatsKey(node.op))?.forward;
      return forward === undefined ? operandsOf(node.op) : [...operandsOf(node.op), forward];
    }
    if (!ELEMENTWISE.has(node.op.op)) return operandsOf(node.op).map((o) => this.weightViews.get(o)?.root ?? o);
    return operandsOf(node.op).flatMap((o) => {
      if (this.fusedIn(o, node)) return this.leafOperands(this.node(o));
      if (this.epilogueOf.has(o)) return this.leafOperands(this.node(o));
      if (this.inlinedGathers.has(o)) return operandsOf(this.node(o).op);
      return [o];
    });
  }

  /**
   * A block of rows of a batched weight — what linear-of-concat gives each part of a concatenation:
   * unfold(slice(fold(w))) — is a run of each element's weight at an offset, so the batched vec4
   * matmul reads it in place (b_off, sb) instead of three copies materialising it. A fold or unfold
   * over an axis of length 1 keeps the layout, and a slice of a [B, 1, 1, C] value offsets it. A
   * chain is viewed when every reader is a viewed chain node or such a matmul's weight, at vec4
   * alignment.
   */
  private findWeightViews(): void {
    const candidates = new Map<ValueId, WeightView>();
    for (const node of this.order) {
      const op = node.op;
      if ((op.op !== 'fold' && op.op !== 'unfold' && op.op !== 'slice') || !this.weightBatched(node.id) || this.isOutput(node.id)) continue;
      const xd = this.dims.get(op.x)!;
      const from = candidates.get(op.x) ?? { root: op.x, offset: 0, stride: xd[1] * xd[2] * xd[3] };
      const d = this.dims.get(node.id)!;
      const other = (dims: Dims4, axis: AxisName): number => (axis === 'set' ? dims[2] : dims[1]);
      if (op.op === 'fold' && other(xd, op.axis) === 1) candidates.set(node.id, from);
      if (op.op === 'unfold' && other(d, op.axis) === 1) candidates.set(node.id, from);
      if (op.op === 'slice' && xd[1] === 1 && xd[2] === 1) candidates.set(node.id, { ...from, offset: from.offset + op.start });
    }
    const readers = new Map<ValueId, Node[]>();
    for (const node of this.order) for (const o of operandsOf(node.op)) readers.set(o, [...(readers.get(o) ?? []), node]);
    for (const node of [...this.order].reverse()) {
      const view = candidates.get(node.id);
      if (view === undefined || view.offset % 4 !== 0 || view.stride % 4 !== 0) continue;
      const inPlace = (r: Node): boolean => this.weightViews.has(r.id)
        || (r.op.op === 'matmul' && r.op.w === node.id && r.op.x !== node.id && batchedVec4(r.op.transposeW, this.dims.get(r.id)![3]));
      if ((readers.get(node.id) ?? []).every(inPlace)) this.weightViews.set(node.id, view);
    }
  }

  /**
   * A fast-path matmul read only by one elementwise kernel (after fusion) whose expression works on
   * vec4 runs is computed by that kernel's matmul: the product never goes to memory.
   */
  private findEpilogues(): void {
    const tile = this.options.tile ?? LAVAPIPE_TILE;
    for (const node of this.order) {
      if (!ELEMENTWISE.has(node.op.op) || this.absorbed(node.id)) continue;
      const leaves: ValueId[] = [];
      const expr = this.expr(node, leaves);
      if (!vec4Friendly(expr) || leaves.length > (this.options.maxEpilogueInputs ?? 8) + 1 || leaves.some((l) => this.inlinedGathers.has(l) || this.inlinedKeyed.has(l))) continue;
      const d = this.dims.get(node.id)!;
      const candidate = leaves.find((l) => {
        const producer = this.node(l);
        if (producer.op.op !== 'matmul' || this.uses.get(l) !== 1 || this.isOutput(l) || !sameDims(this.dims.get(l)!, d)) return false;
        if (this.weightBatched(producer.op.w)) return batchedVec4(producer.op.transposeW, d[3]);
        const m = this.matmulShape(producer as Node & { op: { op: 'matmul' } });
        return m.fastShape !== null && fastApplies(m.fastShape, tile) !== null;
      });
      if (candidate !== undefined) this.epilogueOf.set(candidate, node.id);
    }
  }

  /**
   * A mean or sum over the set alone of a batched-weight matmul's epilogue output is summed in that
   * kernel too, per block of sets (GradMetaNet's set layers on PES particles: a [B, b, N, 32]
   * output, then its mean over the b sets for the next layer or the pool): the reduce reads b/8
   * partial rows instead of the whole output, and an output nothing else reads is never stored.
   */
  private findSetSums(): void {
    const batchedEpilogues = new Set([...this.epilogueOf].flatMap(([matmul, out]) => {
      const op = this.node(matmul).op;
      return op.op === 'matmul' && this.weightBatched(op.w) ? [out] : [];
    }));
    for (const node of this.order) {
      const op = node.op;
      if (op.op !== 'reduce' || op.axes.length !== 1 || op.axes[0] !== 'set') continue;
      if (!batchedEpilogues.has(op.x) || this.setSums.has(op.x) || this.dims.get(op.x)![1] < 2) continue;
      this.setSums.set(op.x, { reduce: node.id, store: this.isOutput(op.x) || this.uses.get(op.x) !== 1, partials: -1 });
    }
  }

  /** The expression tree of an elementwise node over its leaves (numbered in `leaves` order). */
  private expr(node: Node, leaves: ValueId[]): Expr {
    const leaf = (o: ValueId): Expr => {
      if (this.fusedIn(o, node)) return this.expr(this.node(o), leaves);
      let index = leaves.indexOf(o);
      if (index < 0) index = leaves.push(o) - 1;
      return { kind: 'input', index };
    };
    const op = node.op;
    switch (op.op) {
      case 'unary': return { kind: 'unary', fn: op.fn, x: leaf(op.x) };
      case 'binary': return { kind: 'binary', fn: op.fn, a: leaf(op.a), b: leaf(op.b) };
      case 'scale': return { kind: 'scale', x: leaf(op.x), factor: op.factor };
      case 'select': return { kind: 'select', mask: leaf(op.mask), a: leaf(op.a), b: leaf(op.b) };
      case 'bias': return { kind: 'binary', fn: 'add', a: leaf(op.x), b: leaf(op.b) };
      case 'broadcast': return leaf(op.x);
      default: throw new Error(`internal: ${op.op} is not elementwise`);
    }
  }

  // ---- buffers -----------------------------------------------------------------------------

  private newBuffer(role: BufferRole, name: string, bytes: number): number {
    const id = this.buffers.length;
    this.buffers.push({ id, role, name, bytes: Math.max(4, bytes) });
    return id;
  }

  /**
   * Pairs each render with the one render_vjp of the same target, θ and points that runs after it
   * on the same batch: the render then writes the factors (layer inputs, σ'(u)) and the VJP runs
   * only the backward pass, instead of the forward a second time (render.ts).
   */
  private findKeptFactors(): void {
    const key = (op: { target: string; theta: ValueId; coords: ValueId }): string => `${op.target}|${op.theta}|${op.coords}`;
    const renders = new Map<string, Node[]>();
    const vjps = new Map<string, Node[]>();
    for (const node of this.order) {
      if (node.op.op === 'render') renders.set(key(node.op), [...(renders.get(key(node.op)) ?? []), node]);
      if (node.op.op === 'render_vjp') vjps.set(key(node.op), [...(vjps.get(key(node.op)) ?? []), node]);
    }
    for (const [k, [render, ...more]] of renders) {
      const vjp = vjps.get(k);
      if (render === undefined || more.length > 0 || vjp?.length !== 1 || this.absorbed(render.id)) continue;
      const [v] = vjp;
      if (this.order.indexOf(v!) < this.order.indexOf(render) || this.dims.get(render.id)![0] !== this.dims.get(v!.id)![0]) continue;
      this.keptFactors.set(render.id, { vjp: v!.id, buffer: -1 });
    }
  }

  /** A slot for an intermediate of `floats` floats: reused from the free list when one fits. */
  private slot(name: string, floats: number, role: 'value' | 'scratch' = 'value'): number {
    const bytes = sizeClassOf(floats * 4);
    const list = this.free.get(bytes);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.buffers[reused]!.name += `, ${name}`;
      return reused;
    }
    return this.newBuffer(role, name, bytes);
  }

  private release(buffer: number): void {
    const b = this.buffers[buffer]!;
    if (b.role !== 'value' && b.role !== 'scratch') return;
    const list = this.free.get(b.bytes);
    if (list === undefined) this.free.set(b.bytes, [buffer]);
    else list.push(buffer);
  }

  private releaseValue(id: ValueId): void {
    if (this.outputs.includes(id)) return;
    const buffer = this.values.get(id);
    if (buffer !== undefined) this.release(buffer);
  }

  private table(key: string, data: TableData): number {
    const cached = this.tableCache.get(key);
    if (cached !== undefined) return cached;
    const id = this.newBuffer('table', key, data.byteLength);
    this.tables.set(id, data);
    this.tableCache.set(key, id);
    return id;
  }

  private stackedTables(name: string, terms: number, relation: (k: number) => TermRelation): StackedKeyTables {
    const cached = this.stackedCache.get(name) ?? stackedKeyTables(terms, relation);
    this.stackedCache.set(name, cached);
    return cached;
  }

  private output(node: Node): number {
    const d = this.dims.get(node.id)!;
    const id = this.slot(`%${node.id} ${node.label}`, d[0] * d[1] * d[2] * d[3]);
    this.values.set(node.id, id);
    return id;
  }

  private buf(id: ValueId): number {
    const b = this.values.get(id);
    if (b === undefined) throw new Error(`internal: value %${id} has no buffer`);
    return b;
  }

  private dispatch(kernel: Kernel, node: Node, uniforms: Record<string, number>, buffers: number[], workgroups: [number, number, number]): void {
    let index = this.kernelIndex.get(kernel.source);
    if (index === undefined) {
      index = this.kernels.push(kernel) - 1;
      this.kernelIndex.set(kernel.source, index);
    }
    this.dispatches.push({ kernel: index, node: node.id, label: `%${node.id} ${node.label}`, uniforms, buffers, workgroups });
  }

  // ---- ops ---------------------------------------------------------------------------------

  private emit(node: Node): void {
    const op = node.op;
    const d = this.dims.get(node.id)!;
    const count = d[0] * d[1] * d[2] * d[3];
    switch (op.op) {
      case 'input': {
        const id = this.newBuffer('input', op.name, count * 4);
        this.inputs.set(op.name, id);
        this.values.set(node.id, id);
        return;
      }
      case 'param': {
        const id = this.newBuffer('param', op.name, count * 4);
        this.params.set(op.name, id);
        this.values.set(node.id, id);
        return;
      }
      case 'const': {
        const data = this.options.tables.constant(node as Node & { op: { op: 'const' } });
        if (data.length !== count) throw new Error(`internal: const %${node.id} has ${data.length} values, expected ${count}`);
        this.values.set(node.id, this.table(`const ${JSON.stringify(op.table)}`, data));
        return;
      }
      case 'unary': case 'binary': case 'scale': case 'select': case 'bias': case 'broadcast': {
        const leaves: ValueId[] = [];
        const expr = this.expr(node, leaves);
        const producer = leaves.find((l) => this.epilogueOf.get(l) === node.id);
        if (producer !== undefined) return this.emitEpilogue(node, this.node(producer) as Node & { op: { op: 'matmul' } }, expr, leaves);
        // An inlined gather is read from its source, over the source's own sites, through its table;
        // an inlined keyed mean from its per-key means, through its out-key table.
        const gathers = leaves.map((l) => this.indexedRead(l));
        const sources = leaves.map((l, k) => gathers[k]?.source ?? l);
        const views = sources.map((source, k) => {
          const g = gathers[k];
          return g === null ? this.broadcastView(source, d) : this.broadcastView(source, [d[0], d[1], g.stored[2], d[3]], g.stored);
        });
        const plain = contiguous(d);
        const contiguity = { out: true, inputs: views.map((v) => v.offset === 0 && v.strides.every((x, i) => x === plain.strides[i])) };
        // Four (or two) channels per invocation when rows split evenly: a quarter (a half) of the
        // index arithmetic; two made DWS+Concat's width-30 step ~15% faster.
        const lanes = d[3] % 4 === 0 ? 4 : d[3] % 2 === 0 ? 2 : 1;
        // And as vec4 values when the expression allows (vector loads where the views are aligned).
        // A view that is not the output's own needs the index split into coordinates (integer
        // division, lane by lane on lavapipe): then up to 4 vec4 runs of one row per invocation
        // share one split (GradMetaNet's set-layer gradient in the INR editor, 1.1M floats: 6.2 →
        // 3.1 ms of CPU, load ~25: indicative).
        const split = !contiguity.inputs.every(Boolean);
        const runs = !split ? 1 : d[3] % 16 === 0 ? 4 : d[3] % 8 === 0 ? 2 : 1;
        const vec4 = lanes === 4 && vec4Friendly(expr) ? { inputs: views.map(vec4Readable), runs } : undefined;
        const gathered = gathers.map((g) => g !== null);
        const name = op.op === 'broadcast' ? 'copy' : leaves.length === operandsOf(op).length && !this.hasFused(node) && !gathered.some(Boolean) ? op.op : 'fused';
        const kernel = mapKernel(expr, name, { contiguity, lanes, gathered, ...(vec4 === undefined ? {} : { vec4 }) });
        const perInvocation = vec4 === undefined ? lanes : 4 * runs;
        const uniforms: Record<string, number> = { ...dimValues(d), ...viewValues('o', plain) };
        views.forEach((view, k) => Object.assign(uniforms, viewValues(`x${k}`, view)));
        factors(expr).forEach((f, j) => { uniforms[`f${j}`] = f; });
        const inputs = sources.map((source) => this.buf(source));
        const tables = gathers.flatMap((g) => (g === null ? [] : [g.table]));
        this.dispatch(kernel, node, uniforms, [...inputs, ...tables, this.output(node)], linearGrid(count / perInvocation));
        return;
      }
      case 'concat': {
        let offset = 0;
        const parts = op.xs.map((x) => {
          const xd = this.dims.get(x)!;
          const partDims: Dims4 = [d[0], d[1], d[2], xd[3]];
          const part = { from: x, view: this.broadcastView(x, partDims), dims: partDims, out: { offset, strides: contiguous(d).strides } };
          offset += xd[3];
          return part;
        });
        return this.concat(node, parts);
      }
      case 'slice': {
        const xd = this.dims.get(op.x)!;
        return this.copy(node, [{ from: op.x, view: { offset: op.start, strides: contiguous(xd).strides }, dims: d, out: contiguous(d) }]);
      }
      case 'fold': {
        // [n, s, t, c] → channels gain the folded axis as their major part: (axis index)·C + c.
        const xd = this.dims.get(op.x)!;
        const os = contiguous(d).strides;
        const C = xd[3];
        const out: View = op.axis === 'set'
          ? { offset: 0, strides: [os[0], C, os[2], 1] }
          : { offset: 0, strides: [os[0], os[1], C, 1] };
        return this.copy(node, [{ from: op.x, view: contiguous(xd), dims: xd, out }]);
      }
      case 'unfold': {
        const xd = this.dims.get(op.x)!;
        const xs = contiguous(xd).strides;
        const C = d[3];
        const view: View = op.axis === 'set'
          ? { offset: 0, strides: [xs[0], C, xs[2], 1] }
          : { offset: 0, strides: [xs[0], xs[1], C, 1] };
        return this.copy(node, [{ from: op.x, view, dims: d, out: contiguous(d) }]);
      }
      case 'reduce': {
        const xd = this.dims.get(op.x)!;
        const sums = this.setSums.get(op.x);
        if (sums !== undefined && sums.reduce === node.id) {
          // The producer's kernel summed blocks of sets ([B, blocks, T, C]): the blocks are left.
          this.reduceMiddle(node, sums.partials, this.output(node), setBlocks(xd[1]), xd[2] * xd[3], op.fn === 'mean' ? 1 / xd[1] : 1, count);
          this.release(sums.partials);
          return;
        }
        const r1 = op.axes.includes('set') ? xd[1] : 1;
        const r2 = op.axes.includes('site') ? xd[2] : 1;
        const scale = op.fn === 'mean' ? 1 / (r1 * r2) : 1;
        // Set and site are adjacent in the layout: the reduced axes are the middle of [outer, mid, inner].
        // Over the set alone inner is site·channels, so 14 channels on 106 neurons (GradMetaNet's
        // gradient sets) are vec4 runs too.
        const inner = (r2 === 1 ? xd[2] : 1) * xd[3];
        if (inner % 4 === 0) return this.reduceMiddle(node, this.buf(op.x), this.output(node), r1 * r2, inner, scale, count);
        const uniforms = { ...dimValues(d), ...viewValues('x', contiguous(xd)), r1, r2, scale };
        this.dispatch(reduceKernel(), node, uniforms, [this.buf(op.x), this.output(node)], linearGrid(count));
        return;
      }
      case 'batch_sum': {
        // [B, S, T, C] summed over B: the reduction's first loop runs along the batch stride.
        const [B, S, T, C] = this.dims.get(op.x)!;
        if (C % 4 === 0) return this.reduceMiddle(node, this.buf(op.x), this.output(node), B, S * T * C, 1, count);
        const uniforms = { ...dimValues([1, 1, S * T, C]), ...viewValues('x', { offset: 0, strides: [0, S * T * C, C, 1] }), r1: B, r2: 1, scale: 1 };
        this.dispatch(reduceKernel(), node, uniforms, [this.buf(op.x), this.output(node)], linearGrid(count));
        return;
      }
      case 'channel_sum': {
        // [B, S, T, C] → [B, S, T, 1]: rows (B·S, T) with the second loop running along channels.
        const [B, S, T, C] = this.dims.get(op.x)!;
        const uniforms = { ...dimValues([B * S, T, 1, 1]), ...viewValues('x', { offset: 0, strides: [T * C, C, 1, 0] }), r1: 1, r2: C, scale: 1 };
        this.dispatch(reduceKernel(), node, uniforms, [this.buf(op.x), this.output(node)], linearGrid(count));
        return;
      }
      case 'pad': {
        const out = this.output(node);
        this.dispatch(fillKernel(), node, { count, value: 0 }, [out], linearGrid(count));
        const xd = this.dims.get(op.x)!;
        const uniforms = { ...dimValues(xd), ...viewValues('o', { offset: op.start, strides: contiguous(d).strides }), ...viewValues('x0', contiguous(xd)) };
        this.dispatch(mapKernel({ kind: 'input', index: 0 }, 'copy'), node, uniforms, [this.buf(op.x), out], linearGrid(xd[0] * xd[1] * xd[2] * xd[3]));
        return;
      }
      case 'matmul': {
        if (this.weightBatched(op.w)) return this.batchedWeightMatmul(node, op.x, op.w, op.transposeW);
        const { shape, fastShape } = this.matmulShape(node as Node & { op: { op: 'matmul' } });
        if (fastShape === null) return this.matmul(node, shape, this.buf(op.x), this.buf(op.w));
        const w = this.weightOperand(node, op.w, op.transposeW, shape);
        this.matmul(node, fastShape, this.buf(op.x), w);
        if (op.transposeW) this.release(w);
        return;
      }
      case 'dense': {
        const xd = this.dims.get(op.x)!;
        const K = xd[2] * xd[3];
        const N = d[2] * d[3];
        const shape: MatmulShape = { M: xd[0] * xd[1], N, K, a: { offset: 0, sm: K, sk: 1 }, b: { offset: 0, sk: N, sn: 1 } };
        return this.matmul(node, shape, this.buf(op.x), this.buf(op.w));
      }
      case 'contract': {
        const ad = this.dims.get(op.a)!;
        const bd = this.dims.get(op.b)!;
        const rows = ad[0] * ad[1] * ad[2];
        if (rows !== bd[0] * bd[1] * bd[2]) throw new Error(`internal: contract of [${ad}] and [${bd}] needs the same rows`);
        const I = ad[3];
        const O = bd[3];
        if (O % 4 === 0) return this.contract(node, I, O, rows, this.buf(op.a), this.buf(op.b));
        if (O === 1 && I % 4 === 0) return this.contractColumn(node, I, rows, this.buf(op.a), this.buf(op.b));
        const shape: MatmulShape = { M: I, N: O, K: rows, a: { offset: 0, sm: 1, sk: I }, b: { offset: 0, sk: O, sn: 1 } };
        return this.matmul(node, shape, this.buf(op.a), this.buf(op.b));
      }
      case 'gather': {
        const xd = this.dims.get(op.x)!;
        const idx = this.options.tables.incidence(op.target, op.incidence);
        const table = this.table(`incidence ${op.target}.${op.incidence}`, idx);
        const vec4 = d[3] % 4 === 0;
        const u = incidenceUniforms(d, xd[2], vec4);
        this.dispatch(gatherKernel(vec4), node, u, [this.buf(op.x), table, this.output(node)], linearGrid(u.count));
        return;
      }
      case 'scatter': {
        const xd = this.dims.get(op.x)!;
        const idx = this.options.tables.incidence(op.target, op.incidence);
        const csr = incidenceCsr(idx, d[2]);
        const start = this.table(`incidence ${op.target}.${op.incidence} csr start`, csr.start);
        const members = this.table(`incidence ${op.target}.${op.incidence} csr members`, csr.members);
        const vec4 = d[3] % 4 === 0;
        const u = incidenceUniforms(d, xd[2], vec4);
        this.dispatch(scatterKernel(vec4), node, u, [this.buf(op.x), start, members, this.output(node)], linearGrid(u.count));
        return;
      }
      case 'segment_mean': {
        // A segment mean is the keyed mean with one key per segment (linear size; a loop over the
        // segment per output was quadratic: 2048² reads per channel on a 64-wide first layer).
        const seg = this.segments(op.target, node.type);
        const positions = seg.length / 2;
        const key = new Int32Array(positions);
        const starts = [...new Set(Array.from({ length: positions }, (_, j) => seg[2 * j]!))].sort((a, b) => a - b);
        const index = new Map(starts.map((start, k) => [start, k]));
        for (let j = 0; j < positions; j++) key[j] = index.get(seg[2 * j]!)!;
        const counts = Int32Array.from(starts, (start) => seg[2 * start + 1]!);
        return this.keyedMean(node, op.x, { outKey: key, inKey: key, outCount: counts, inCount: counts }, `segments ${op.target} ${node.type.site?.kind}`);
      }
      case 'site_term': {
        const xNode = this.node(op.x);
        const layout = this.inst.targets.get(op.term.target);
        if (layout === undefined) throw new Error(`internal: site_term of unknown target ${op.term.target}`);
        const relation = termRelation(op.term, layout, node.type.site, xNode.type.site);
        return this.keyedMean(node, op.x, relation, `site_term ${JSON.stringify(op.term)} ${JSON.stringify(node.type.site)} ${JSON.stringify(xNode.type.site)}`);
      }
      case 'site_terms': {
        const layout = this.layoutOf(op.terms[0]!.target);
        const inSite = this.node(op.x).type.site;
        const name = `site_terms ${JSON.stringify(op.terms)} ${JSON.stringify(node.type.site)} ${JSON.stringify(inSite)}`;
        return this.stackedKeyedMeans(node, op.x, op.w, op.terms.length, (k) => termRelation(op.terms[k]!, layout, node.type.site, inSite), name);
      }
      case 'render': {
        const layout = this.layoutOf(op.target);
        const u = { points: d[2], ...this.renderStrides(op.theta, op.coords, layout) };
        const kept = this.keptFactors.get(node.id);
        if (kept === undefined) {
          this.dispatch(renderKernel(layout), node, u, [this.buf(op.theta), this.buf(op.coords), this.output(node)], pointGrid(d[0], d[2]));
          return;
        }
        kept.buffer = this.slot(`render factors of %${node.id}`, d[0] * d[2] * renderFactorLayout(layout).width, 'scratch');
        this.dispatch(renderKernel(layout, RENDER_SHAPE, true), node, u, [this.buf(op.theta), this.buf(op.coords), this.output(node), kept.buffer], pointGrid(d[0], d[2]));
        return;
      }
      case 'render_vjp': {
        // Two passes: every point's layer inputs and back-propagated signals (only the signals
        // when the render before it kept the factors), then one invocation per (element, block of a
        // parameter matrix) sums its outer products over the points (render.ts).
        const layout = this.layoutOf(op.target);
        const points = this.dims.get(op.coords)![2];
        if (this.dims.get(op.dy)![0] !== d[0]) throw new Error(`internal: render_vjp %${node.id} needs dy batched like its result`);
        const u = { points, ...this.renderStrides(op.theta, op.coords, layout) };
        const kept = [...this.keptFactors.values()].find((k) => k.vjp === node.id);
        const factors = kept?.buffer ?? this.slot(`render_vjp factors of %${node.id}`, d[0] * points * renderFactorLayout(layout).width, 'scratch');
        if (kept !== undefined) this.dispatch(renderSignalsKernel(layout), node, u, [this.buf(op.theta), this.buf(op.dy), factors], pointGrid(d[0], points));
        else this.dispatch(renderFactorsKernel(layout), node, u, [this.buf(op.theta), this.buf(op.coords), this.buf(op.dy), factors], pointGrid(d[0], points));
        this.dispatch(renderGradKernel(layout), node, { points, zero: 0 }, [factors, this.output(node)], renderGradGrid(layout, d[0]));
        this.release(factors);
        return;
      }
      case 'layernorm': {
        const rows = d[0] * d[1] * d[2];
        this.dispatch(layernormKernel(), node, { rows, C: d[3], eps: op.eps }, [this.buf(op.x), this.output(node)], linearGrid(rows));
        return;
      }
      case 'layernorm_vjp': {
        const rows = d[0] * d[1] * d[2];
        this.dispatch(layernormVjpKernel(), node, { rows, C: d[3], eps: op.eps }, [this.buf(op.x), this.buf(op.dy), this.output(node)], linearGrid(rows));
        return;
      }
      case 'attention': {
        const u = attentionUniforms(d, op.over, op.heads);
        const qkv = [this.buf(op.q), this.buf(op.k), this.buf(op.v)];
        const differentiated = [...this.attentionStats.values()].find((e) => e.forward === node.id);
        if (differentiated === undefined) {
          this.dispatch(attentionKernel(u.dh), node, u, [...qkv, this.output(node)], linearGrid(u.count));
          return;
        }
        differentiated.buffer = this.slot(`attention stats of %${node.id}`, 3 * u.count, 'scratch');
        this.dispatch(attentionKernel(u.dh, true), node, u, [...qkv, differentiated.buffer, this.output(node)], linearGrid(u.count));
        return;
      }
      case 'attention_vjp': {
        const u = attentionUniforms(d, op.over, op.heads);
        const qkv = [this.buf(op.q), this.buf(op.k), this.buf(op.v), this.buf(op.dy)];
        const shared = this.attentionStats.get(attentionStatsKey(op))!;
        if (shared.buffer < 0) {
          shared.buffer = this.slot(`attention stats of %${node.id}`, 3 * u.count, 'scratch');
          this.dispatch(attentionStatsKernel(u.dh), node, u, [...qkv, shared.buffer], linearGrid(u.count));
        } else if (shared.hasD !== true) {
          this.dispatch(attentionDKernel(u.dh), node, u, [this.buf(op.dy), this.buf(shared.forward!), shared.buffer], linearGrid(u.count));
        }
        shared.hasD = true;
        if (op.wrt !== 'q' && shared.k !== undefined && shared.v !== undefined) {
          // dk and dv in one kernel, at whichever of the two comes first; the other is then done.
          if (!this.values.has(node.id)) {
            this.dispatch(attentionVjpKvKernel(u.dh), node, u, [...qkv, shared.buffer, this.output(shared.k), this.output(shared.v)], linearGrid(u.count));
          }
        } else {
          this.dispatch(attentionVjpKernel(op.wrt, u.dh), node, u, [...qkv, shared.buffer, this.output(node)], linearGrid(u.count));
        }
        if (--shared.remaining === 0) this.release(shared.buffer);
        return;
      }
    }
  }

  /**
   * y[o] = mean of x over the in positions sharing o's key, in linear size (site-term.ts): per-key
   * sums, then every output reads its key's mean. `name` keys the tables (shared between nodes).
   */
  private keyedMean(node: Node, x: ValueId, relation: TermRelation, name: string): void {
    const d = this.dims.get(node.id)!;
    const keyed = siteKeyTables(relation);
    const keys = keyed.scale.length;
    if (this.inlinedKeyed.has(node.id)) {
      const meanDims: Dims4 = [d[0], d[1], keys, d[3]];
      const means = this.slot(`key means of %${node.id} ${node.label}`, d[0] * d[1] * keys * d[3]);
      this.values.set(node.id, means);
      const tables = [this.table(`${name} key start`, keyed.start), this.table(`${name} key members`, keyed.members), this.table(`${name} key scale`, keyed.scale)];
      this.dispatch(siteKeyMeanKernel(), node, { ...dimValues(meanDims), site_in: this.dims.get(x)![2] }, [this.buf(x), ...tables, means], linearGrid(d[0] * d[1] * keys * d[3]));
      this.keyTables.set(node.id, { keys, outKey: this.table(`${name} out key`, keyed.outKey) });
      return;
    }
    const sumDims: Dims4 = [d[0], d[1], keys, d[3]];
    const sumCount = d[0] * d[1] * keys * d[3];
    const sums = this.slot(`key sums of %${node.id}`, sumCount, 'scratch');
    const start = this.table(`${name} key start`, keyed.start);
    const members = this.table(`${name} key members`, keyed.members);
    this.dispatch(siteKeySumKernel(), node, { ...dimValues(sumDims), site_in: this.dims.get(x)![2] }, [this.buf(x), start, members, sums], linearGrid(sumCount));
    const tables = [this.table(`${name} out key`, keyed.outKey), this.table(`${name} key scale`, keyed.scale)];
    this.dispatch(siteKeyReadKernel(), node, { ...dimValues(d), keys }, [sums, ...tables, this.output(node)], linearGrid(d[0] * d[1] * d[2] * d[3]));
    this.release(sums);
  }

  /**
   * Σ_k of the keyed means of matmul(x, W_k) (`site_terms`, site-term.ts): the key sums of x in one
   * pass (once per distinct in-keying), their contraction with the terms' weights, then every output
   * adds its keys' means; with w null, the key sums of the product's channel blocks, then the reads.
   */
  private stackedKeyedMeans(node: Node, x: ValueId, w: ValueId | null, terms: number, relation: (k: number) => TermRelation, name: string): void {
    const d = this.dims.get(node.id)!;
    const xd = this.dims.get(x)!;
    const keyed = this.stackedTables(name, terms, relation);
    const keys = keyed.scale.length;
    const sumDims: Dims4 = [d[0], d[1], keys, d[3]];
    const sumCount = d[0] * d[1] * keys * d[3];
    const sums = this.slot(`key sums of %${node.id}`, sumCount, 'scratch');
    if (w === null) {
      // x is the product [.., site_in, T·c]: T·site_in positions of c channels, position i of block k at i·T + k.
      const members = [this.table(`${name} key start`, keyed.start), this.table(`${name} product members`, productMembers(keyed, terms))];
      this.dispatch(siteKeySumKernel(), node, { ...dimValues(sumDims), site_in: xd[2] * terms }, [this.buf(x), ...members, sums], linearGrid(sumCount));
    } else {
      const cin = xd[3];
      const wcols = terms * d[3];
      // cin in runs of 4 where it divides (UNF-local's key sums on a transformer are its bulk)
      const v = cin % 4 === 0 ? 4 : 1;
      const sources = keyed.sourceStart.length - 1;
      const xsumDims: Dims4 = [xd[0], xd[1], sources, cin / v];
      const xsumCount = xsumDims[0] * xsumDims[1] * sources * cin;
      const xsums = this.slot(`key sums of x of %${node.id}`, xsumCount, 'scratch');
      const sourceTables = [this.table(`${name} source start`, keyed.sourceStart), this.table(`${name} source members`, keyed.sourceMembers)];
      this.dispatch(siteKeySumKernel(v === 4), node, { ...dimValues(xsumDims), site_in: xd[2] }, [this.buf(x), ...sourceTables, xsums], linearGrid(xsumCount / v));
      const contract = { ...dimValues(sumDims), cin, wcols, w_n: this.weightBatched(w) ? cin * wcols : 0, x_n: xd[0] === 1 ? 0 : 1, sources };
      const keyTables = [this.table(`${name} key term`, keyed.keyTerm), this.table(`${name} key source`, keyed.keySource)];
      this.dispatch(siteKeyContractKernel(), node, contract, [xsums, this.buf(w), ...keyTables, sums], linearGrid(sumCount));
      this.release(xsums);
    }
    const tables = [this.table(`${name} out start`, keyed.outStart), this.table(`${name} out keys`, keyed.outKeys), this.table(`${name} key scale`, keyed.scale)];
    this.dispatch(siteTermsReadKernel(), node, { ...dimValues(d), keys }, [sums, ...tables, this.output(node)], linearGrid(d[0] * d[1] * d[2] * d[3]));
    this.release(sums);
  }

  /**
   * Where an elementwise kernel reads leaf l through a table instead of from l's own buffer: an
   * inlined gather (its source, by incidence) or an inlined keyed mean (its per-key means, by key);
   * `stored`: the dims of what the table indexes.
   */
  private indexedRead(l: ValueId): { source: ValueId; stored: Dims4; table: number } | null {
    const g = this.node(l);
    if (this.inlinedGathers.has(l) && g.op.op === 'gather') {
      const { x, target, incidence } = g.op;
      return { source: x, stored: this.dims.get(x)!, table: this.table(`incidence ${target}.${incidence}`, this.options.tables.incidence(target, incidence)) };
    }
    const keyed = this.keyTables.get(l);
    if (keyed === undefined) return null;
    const d = this.dims.get(l)!;
    return { source: l, stored: [d[0], d[1], keyed.keys, d[3]], table: keyed.outKey };
  }

  private hasFused(node: Node): boolean {
    return operandsOf(node.op).some((o) => this.fusedIn(o, node));
  }

  /**
   * The matmul's operand shape, and the contiguous shape the fast kernel can use (a transposed
   * weight is first copied transposed: it is small), or null when no fast kernel fits.
   */
  private matmulShape(node: Node & { op: { op: 'matmul' } }): { shape: MatmulShape; fastShape: MatmulShape | null } {
    const op = node.op;
    const xd = this.dims.get(op.x)!;
    const wd = this.dims.get(op.w)!;
    const rows = xd[0] * xd[1] * xd[2];
    const [w0, w1] = op.transposeW ? [wd[3], wd[2] * wd[1] * wd[0]] : [wd[2] * wd[1] * wd[0], wd[3]];
    const shape = this.weightShape(node, op.w, rows, xd[3], this.dims.get(node.id)![3], op.transposeW, w0, w1);
    const candidate: MatmulShape = op.transposeW ? { ...shape, b: { offset: 0, sk: shape.N, sn: 1 } } : shape;
    return { shape, fastShape: fastApplies(candidate, this.options.tile ?? LAVAPIPE_TILE) === null ? null : candidate };
  }

  /** The buffer the fast kernel reads the weight from: the weight, or a transposed copy in scratch. */
  private weightOperand(node: Node, w: ValueId, transposeW: boolean, shape: MatmulShape): number {
    if (!transposeW) return this.buf(w);
    const [K, N] = [shape.K, shape.N];
    const wt = this.slot(`transpose of %${w}`, K * N, 'scratch');
    // w is stored [N, K] (w[n·K + k]); wᵀ[k·N + n] is the contiguous [K, N] operand.
    const copy = { ...dimValues([1, 1, K, N]), ...viewValues('o', contiguous([1, 1, K, N])), ...viewValues('x0', { offset: 0, strides: [0, 0, 1, K] }) };
    this.dispatch(mapKernel({ kind: 'input', index: 0 }, 'copy'), node, copy, [this.buf(w), wt], linearGrid(K * N));
    return wt;
  }

  /**
   * Whether a matmul weight has the batch axis (a graph with its params as inputs:
   * compiler/ir/params-as-inputs.ts) — by the graph, not the batch size, so that one element alone
   * runs the same kernels, and gives the same bits, as in a batch.
   */
  private weightBatched(w: ValueId): boolean {
    return this.batched.get(w) === true;
  }

  /**
   * A channel matmul whose weight differs per batch element: one product per element (matmul-batched.ts).
   * `consumer`: the elementwise node whose kernel this is, its expression applied before the store.
   */
  private batchedWeightMatmul(node: Node, x: ValueId, w: ValueId, transposeW: boolean, consumer?: { node: Node; expr: Expr; leaves: ValueId[] }): void {
    const [xb, S, T, K] = this.dims.get(x)!;
    const d = this.dims.get(node.id)!;
    const N = d[3];
    const M = S * T;
    const uniforms = { M, N, K, sa: xb === 1 ? 0 : M * K, sb: K * N, sbk: transposeW ? 1 : N, sbn: transposeW ? K : 1 };
    if (N === 1 && K % 4 === 0 && !transposeW) {
      const count = d[0] * Math.ceil(M / 4);
      this.dispatch(batchedMatvecVec4Kernel(), node, { count, M, K, sa: uniforms.sa, sb: K }, [this.buf(x), this.buf(w), this.output(node)], linearGrid(count));
      return;
    }
    if (N < 4) {
      this.dispatch(batchedMatvecKernel(), node, { ...uniforms, count: d[0] * M }, [this.buf(x), this.buf(w), this.output(node)], linearGrid(d[0] * M));
      return;
    }
    if (batchedVec4(transposeW, N)) {
      const view = this.weightViews.get(w) ?? { root: w, offset: 0, stride: K * N };
      const shape = { M, N, K, sa: uniforms.sa, b_off: view.offset / 4, sb: view.stride / 4 };
      const operands = [this.buf(x), this.buf(view.root)];
      if (consumer === undefined) {
        this.dispatch(batchedMatmulVec4Kernel(), node, shape, [...operands, this.output(node)], batchedMatmulVec4Grid(M, N, d[0]));
        return;
      }
      const { node: out, expr, leaves } = consumer;
      const acc = leaves.indexOf(node.id);
      const others = epilogueInputs({ expr, acc });
      const views = new Map(others.map((k) => [k, this.broadcastView(leaves[k]!, d)]));
      const epilogue = { expr, acc, vec4Inputs: new Set(others.filter((k) => vec4Readable(views.get(k)!))) };
      const u: Record<string, number> = { ...shape, d1: S, d2: T };
      for (const k of others) Object.assign(u, viewValues(`x${k}`, views.get(k)!));
      factors(expr).forEach((f, j) => { u[`f${j}`] = f; });
      const inputs = [...operands, ...others.map((k) => this.buf(leaves[k]!))];
      const sums = this.setSums.get(out.id);
      if (sums !== undefined) {
        sums.partials = this.slot(`set sums of %${out.id} ${out.label}`, d[0] * setBlocks(S) * T * N, 'scratch');
        const outputs = sums.store ? [this.output(out), sums.partials] : [sums.partials];
        this.dispatch(batchedSetSumsKernel(epilogue, sums.store), out, u, [...inputs, ...outputs], batchedSetSumsGrid(S, T, N, d[0]));
        return;
      }
      this.dispatch(batchedMatmulVec4Kernel(epilogue), out, u, [...inputs, this.output(out)], batchedMatmulVec4Grid(M, N, d[0]));
      return;
    }
    this.dispatch(batchedMatmulKernel(), node, uniforms, [this.buf(x), this.buf(w), this.output(node)], batchedMatmulGrid(M, N, d[0]));
  }

  /** Buffer x, contiguous, seen as [outer, mid, inner], summed over mid (inner % 4 == 0) into `count` values of `out`. */
  private reduceMiddle(node: Node, x: number, out: number, mid: number, inner: number, scale: number, count: number): void {
    const uniforms = { count: count / 4, mid, inner: inner / 4, scale };
    this.dispatch(reduceMiddleKernel(), node, uniforms, [x, out], linearGrid(count / 4));
  }

  /** An elementwise node whose kernel is its producer matmul's epilogue. */
  private emitEpilogue(node: Node, matmul: Node & { op: { op: 'matmul' } }, expr: Expr, leaves: ValueId[]): void {
    if (this.weightBatched(matmul.op.w)) return this.batchedWeightMatmul(matmul, matmul.op.x, matmul.op.w, matmul.op.transposeW, { node, expr, leaves });
    const tile = this.options.tile ?? LAVAPIPE_TILE;
    const { fastShape } = this.matmulShape(matmul);
    const shape = fastShape!;
    const d = this.dims.get(node.id)!;
    const w = this.weightOperand(node, matmul.op.w, matmul.op.transposeW, shape);
    const acc = leaves.indexOf(matmul.id);
    const others = epilogueInputs({ expr, acc });
    const views = new Map(others.map((k) => [k, this.broadcastView(leaves[k]!, d)]));
    const epilogue = { expr, acc, vec4Inputs: new Set(others.filter((k) => vec4Readable(views.get(k)!))) };
    const fitted = fitTile(tile, shape.N);
    const kernel = matmulFastKernel(fitted, fastApplies(shape, tile) === 'vec4', epilogue);
    const uniforms: Record<string, number> = { M: shape.M, N: shape.N, K: shape.K, d1: d[1], d2: d[2] };
    for (const k of others) Object.assign(uniforms, viewValues(`x${k}`, views.get(k)!));
    factors(expr).forEach((f, j) => { uniforms[`f${j}`] = f; });
    const groups: [number, number, number] = [Math.ceil(shape.N / fitted.tn / fitted.wx), Math.ceil(shape.M / fitted.tm / fitted.wy), 1];
    this.dispatch(kernel, node, uniforms, [this.buf(matmul.op.x), w, ...others.map((k) => this.buf(leaves[k]!)), this.output(node)], groups);
    if (matmul.op.transposeW) this.release(w);
  }

  /** Strides of the weight operand of a channel matmul (w is [cin, cout], or its transpose). */
  private weightShape(node: Node, w: ValueId, rows: number, cin: number, cout: number, transposeW: boolean, w0: number, w1: number): MatmulShape {
    if (w0 !== cin || w1 !== cout) throw new Error(`internal: matmul %${node.id}: x has ${cin} channels, w is ${transposeW ? 'transposed ' : ''}[${w0}, ${w1}] (%${w}), y has ${cout}`);
    const b = transposeW ? { offset: 0, sk: 1, sn: cin } : { offset: 0, sk: cout, sn: 1 };
    return { M: rows, N: cout, K: cin, a: { offset: 0, sm: cin, sk: 1 }, b };
  }

  private matmul(node: Node, shape: MatmulShape, a: number, b: number): void {
    const tile = this.options.tile ?? LAVAPIPE_TILE;
    const out = this.output(node);
    const fast = fastApplies(shape, tile);
    if (fast !== null) {
      const fitted = fitTile(tile, shape.N);
      const groups: [number, number, number] = [Math.ceil(shape.N / fitted.tn / fitted.wx), Math.ceil(shape.M / fitted.tm / fitted.wy), 1];
      this.dispatch(matmulFastKernel(fitted, fast === 'vec4'), node, { M: shape.M, N: shape.N, K: shape.K }, [a, b, out], groups);
      return;
    }
    const contiguousRows = shape.a.offset === 0 && shape.a.sm === shape.K && shape.a.sk === 1 && shape.b.offset === 0 && shape.b.sk === 1;
    if (shape.N === 1 && shape.K % 4 === 0 && contiguousRows) {
      this.dispatch(matvecKernel(), node, { M: shape.M, K: shape.K }, [a, b, out], linearGrid(Math.ceil(shape.M / 4)));
      return;
    }
    const splits = splitK(shape);
    const kchunk = Math.ceil(shape.K / splits);
    const uniforms = { M: shape.M, N: shape.N, K: shape.K, kchunk, a_off: shape.a.offset, sam: shape.a.sm, sak: shape.a.sk, b_off: shape.b.offset, sbk: shape.b.sk, sbn: shape.b.sn };
    const groups: [number, number, number] = [Math.ceil(shape.N / GENERIC_TILE.tn / GENERIC_TILE.wx), Math.ceil(shape.M / GENERIC_TILE.tm / GENERIC_TILE.wy), splits];
    if (splits === 1) {
      this.dispatch(matmulKernel(GENERIC_TILE), node, uniforms, [a, b, out], groups);
      return;
    }
    const mn = shape.M * shape.N;
    const partial = this.slot(`split-K partials of %${node.id}`, splits * mn, 'scratch');
    this.dispatch(matmulKernel(GENERIC_TILE), node, uniforms, [a, b, partial], groups);
    const sum = { ...dimValues([1, 1, 1, mn]), ...viewValues('x', { offset: 0, strides: [0, mn, 0, 1] }), r1: splits, r2: 1, scale: 1 };
    this.dispatch(reduceKernel(), node, sum, [partial, out], linearGrid(mn));
    this.release(partial);
  }

  /** The weight gradient aᵀb with the vec4 outer-product kernel, split over rows, then summed. */
  private contract(node: Node, I: number, O: number, rows: number, a: number, b: number): void {
    // The largest row block that divides I (vec4 loads of a when it is 8 or 4).
    const ti = [8, 6, 4, 3, 2, 1].find((t) => I % t === 0)!;
    const to = O % 8 === 0 ? 8 : 4;
    const [wx, wy, wz] = contractGroup(I, O, ti, to);
    const groups = Math.ceil(O / to / wx) * Math.ceil(I / ti / wy);
    // Row chunks: wz per workgroup, and workgroups along z while chunks stay ≥ 512 rows (up to ~64 workgroups).
    const zGroups = Math.max(1, Math.min(Math.ceil(64 / groups), Math.floor(rows / (512 * wz))));
    const splits = zGroups * wz;
    const chunk = Math.ceil(rows / splits);
    const out = this.output(node);
    // One workgroup along z adds its chunks up itself: no partials, no reduction dispatch.
    const sumInGroup = zGroups === 1 && wz > 1;
    const target = splits === 1 || sumInGroup ? out : this.slot(`contract partials of %${node.id}`, splits * I * O, 'scratch');
    this.dispatch(contractKernel(ti, to, wx, wy, wz, sumInGroup), node, { I, O, R: rows, chunk }, [a, b, target], [Math.ceil(O / to / wx), Math.ceil(I / ti / wy), zGroups]);
    if (splits === 1 || sumInGroup) return;
    this.reduceMiddle(node, target, out, splits, I * O, 1, I * O);
    this.release(target);
  }

  /** The weight gradient of a one-column readout (O = 1, I % 4 == 0), split over rows, then summed. */
  private contractColumn(node: Node, I: number, rows: number, a: number, b: number): void {
    const splits = Math.max(1, Math.min(64, Math.floor(rows / 512)));
    const chunk = Math.ceil(rows / splits);
    const out = this.output(node);
    const target = splits === 1 ? out : this.slot(`contract partials of %${node.id}`, splits * I, 'scratch');
    this.dispatch(contractColumnKernel(), node, { I, R: rows, chunk }, [a, b, target], [Math.ceil(I / 4 / 64), splits, 1]);
    if (splits === 1) return;
    this.reduceMiddle(node, target, out, splits, I, 1, I);
    this.release(target);
  }

  /** A concatenation's parts into the node's output, CONCAT_PARTS per dispatch (concat.ts). */
  private concat(node: Node, parts: { from: ValueId; view: View; dims: Dims4; out: View }[]): void {
    const out = this.output(node);
    for (let first = 0; first < parts.length; first += CONCAT_PARTS) {
      const chunk = parts.slice(first, first + CONCAT_PARTS);
      const [n, s, t] = chunk[0]!.dims;
      let end = 0;
      const uniforms: Record<string, number> = viewValues('o', chunk[0]!.out);
      chunk.forEach((p, k) => Object.assign(uniforms, viewValues(`x${k}`, p.view), { [`e${k}`]: (end += p.dims[3]) }));
      Object.assign(uniforms, dimValues([n, s, t, end]));
      this.dispatch(concatKernel(chunk.length), node, uniforms, [...chunk.map((p) => this.buf(p.from)), out], linearGrid(n * s * t * end));
    }
  }

  /** Copies each part's view into the node's output (broadcast, slice, fold, unfold). */
  private copy(node: Node, parts: { from: ValueId; view: View; dims: Dims4; out: View }[]): void {
    const out = this.output(node);
    const kernel = mapKernel({ kind: 'input', index: 0 }, 'copy');
    for (const p of parts) {
      const uniforms = { ...dimValues(p.dims), ...viewValues('o', p.out), ...viewValues('x0', p.view) };
      this.dispatch(kernel, node, uniforms, [this.buf(p.from), out], linearGrid(p.dims[0] * p.dims[1] * p.dims[2] * p.dims[3]));
    }
  }

  private layoutOf(target: string): TargetLayout {
    const layout = this.inst.targets.get(target);
    if (layout === undefined) throw new Error(`internal: unknown target ${target}`);
    return layout;
  }

  /** Batch strides of render's θ and coordinates (0 where one is shared by the batch), ω0, and the loop-bound `zero`. */
  private renderStrides(theta: ValueId, coords: ValueId, layout: TargetLayout): { thetaStride: number; coordsStride: number; omega0: number; zero: number } {
    const td = this.dims.get(theta)!;
    const cd = this.dims.get(coords)!;
    const act = layout.spec.kind === 'mlp' ? layout.spec.activation : null;
    return { thetaStride: td[0] === 1 ? 0 : td[2], coordsStride: cd[0] === 1 ? 0 : cd[2] * cd[3], omega0: act?.kind === 'sine' ? act.omega0 : 1, zero: 0 };
  }

  /** [start, size] of the segment of every site position (neuron segments, or parameter blocks). */
  private segments(target: string, type: TensorType): Uint32Array {
    const layout = this.inst.targets.get(target);
    if (layout === undefined || type.site === null) throw new Error(`internal: segment_mean needs a site of target ${target}`);
    const ranges = type.site.kind === 'params'
      ? layout.params.map((p) => [p.offset, p.rows * (p.cols ?? 1)] as const)
      : layout.segments.map((s) => [s.offset, s.size] as const);
    const seg = new Uint32Array(2 * shapeOf(type, this.inst).at(-2)!);
    for (const [start, size] of ranges) for (let j = start; j < start + size; j++) seg.set([start, size], 2 * j);
    return seg;
  }
}

/** VJPs of the same attention (same operands, axis and heads) share their softmax statistics. */
function attentionStatsKey(op: Op & { op: 'attention_vjp' }): string {
  return `${attentionKey(op)} ${op.dy}`;
}

/** An attention and the VJPs of it: same q, k, v, axis and heads. */
function attentionKey(op: Op & { op: 'attention' | 'attention_vjp' }): string {
  return `${op.q} ${op.k} ${op.v} ${op.over} ${op.heads}`;
}

function attentionUniforms(d: Dims4, over: 'set' | 'site', heads: number): Record<string, number> & { count: number } {
  const [B, S, T, C] = d;
  const L = over === 'set' ? S : T;
  const seqs = over === 'set' ? B * T : B * S;
  const layout = over === 'set' ? { seq: T * C, inner: T, s_outer: S * T * C, s_inner: C } : { seq: C, inner: 1, s_outer: T * C, s_inner: 0 };
  const dh = C / heads;
  return { ...layout, count: seqs * L * heads, L, H: heads, dh, scale: 1 / Math.sqrt(dh) };
}

/** A batched weight's place in its root value: element z's weight starts at root float offset + z·stride. */
interface WeightView {
  root: ValueId;
  offset: number;
  stride: number;
}

/** Whether a batched-weight matmul of N output channels runs the vec4 kernel (the one that takes epilogues and weight views). */
function batchedVec4(transposeW: boolean, N: number): boolean {
  return N % 4 === 0 && !transposeW;
}

function sameDims(a: Dims4, b: Dims4): boolean {
  return a.every((v, i) => v === b[i]);
}

/** Whether a value of dims `a` is repeated to dims `b` by stride-0 axes (each axis equal or 1). */
function broadcastsTo(a: Dims4, b: Dims4): boolean {
  return a.every((v, i) => v === b[i] || v === 1);
}

function sizeClassOf(bytes: number): number {
  let size = 256;
  while (size < bytes) size *= 2;
  return size;
}
