// The vector-Jacobian product of every IR op, written as IR ops: given a node and the cotangent dy
// of its result, the contributions to its operands' cotangents. The caller (backward.ts) reduces
// each contribution to its operand's type (sums over the axes, channels and batch it was
// broadcast along) and adds up contributions from several consumers.
import type { GraphBuilder } from '../ir/graph-builder.js';
import type { BinaryFn, Node, SiteTerm, UnaryFn, ValueId } from '../ir/ops.js';
import type { Site } from '../ir/types.js';
import type { TargetLayout } from '../spaces/target.js';
import { termRelation } from '../symmetry/term-relation.js';

/** [operand, contribution to its cotangent] pairs. */
export type Contributions = [ValueId, ValueId][];

export class NotDifferentiable extends Error {}

export function vjp(b: GraphBuilder, node: Node, dy: ValueId): Contributions {
  const op = node.op;
  const y = node.id;
  switch (op.op) {
    case 'input': case 'param': case 'const': return [];
    case 'unary': {
      const d = unaryVjp(b, op.fn, op.x, y, dy);
      return d === null ? [] : [[op.x, d]];
    }
    case 'binary': return binaryVjp(b, op.fn, op.a, op.b, y, dy);
    case 'scale': return [[op.x, b.scale(dy, op.factor)]];
    case 'matmul': return [
      [op.x, b.matmul(dy, op.w, !op.transposeW)],
      [op.w, op.transposeW ? b.contract(dy, op.x) : b.contract(op.x, dy)],
    ];
    // y[i, o] = Σ_r a[r, i] b[r, o]: da[r, i] = Σ_o b[r, o] dy[i, o], db[r, o] = Σ_i a[r, i] dy[i, o]
    case 'contract': return [[op.a, b.matmul(op.b, dy, true)], [op.b, b.matmul(op.a, dy)]];
    case 'bias': return [[op.x, dy], [op.b, dy]];
    case 'reduce': {
      const x = b.typeOf(op.x);
      const spread = b.broadcast(dy, { set: x.set, site: x.site });
      if (op.fn === 'sum') return [[op.x, spread]];
      const count = (op.axes.includes('set') ? x.set?.size ?? 1 : 1) * (op.axes.includes('site') ? siteCount(b, op.x) : 1);
      return [[op.x, b.scale(spread, 1 / count)]];
    }
    case 'broadcast': return [[op.x, dy]];
    case 'concat': {
      let offset = 0;
      return op.xs.map((x) => {
        const c = b.typeOf(x).channels;
        const part: [ValueId, ValueId] = [x, b.slice(dy, offset, c)];
        offset += c;
        return part;
      });
    }
    case 'slice': return [[op.x, b.pad(dy, op.start, b.typeOf(op.x).channels)]];
    case 'pad': return [[op.x, b.slice(dy, op.start, b.typeOf(op.x).channels)]];
    case 'gather': return [[op.x, b.scatter(dy, op.incidence)]];
    case 'scatter': return [[op.x, b.gather(dy, op.incidence)]];
    // the per-segment mean is a symmetric (orthogonal-projection) linear map
    case 'segment_mean': return [[op.x, b.segmentMean(dy)]];
    case 'site_term': return [[op.x, siteTermVjp(b, op.term, op.x, node.type.site, dy)]];
    case 'select': {
      const masked = b.binary('mul', dy, op.mask);
      return [[op.a, masked], [op.b, b.binary('sub', dy, masked)]];
    }
    case 'layernorm': return [[op.x, b.node({ op: 'layernorm_vjp', x: op.x, dy, eps: op.eps }, b.typeOf(op.x), 'layernorm_vjp')]];
    case 'attention': {
      const grad = (wrt: 'q' | 'k' | 'v'): ValueId =>
        b.node({ op: 'attention_vjp', q: op.q, k: op.k, v: op.v, dy, over: op.over, heads: op.heads, wrt }, b.typeOf(op.q), `attention_vjp_${wrt}`);
      return [[op.q, grad('q')], [op.k, grad('k')], [op.v, grad('v')]];
    }
    case 'fold': {
      const x = b.typeOf(op.x);
      return [[op.x, op.axis === 'set' ? b.unfold(dy, { set: x.set! }) : b.unfold(dy, { site: x.site! })]];
    }
    case 'unfold': return [[op.x, b.fold(dy, op.axis)]];
    case 'dense': {
      // dense = matmul of the site-folded x with w, unfolded into the output site
      const x = b.typeOf(op.x);
      const xFlat = x.site === null ? op.x : b.fold(op.x, 'site');
      const dyFlat = node.type.site === null ? dy : b.fold(dy, 'site');
      const dxFlat = b.matmul(dyFlat, op.w, true);
      return [[op.x, x.site === null ? dxFlat : b.unfold(dxFlat, { site: x.site })], [op.w, b.contract(xFlat, dyFlat)]];
    }
    // Coordinates are data (an input or a constant): only θ gets a cotangent.
    case 'render': return [[op.theta, b.renderVjp(op.theta, op.coords, dy)]];
    case 'batch_sum': return [[op.x, dy]];
    case 'channel_sum': {
      const c = b.typeOf(op.x).channels;
      return [[op.x, c === 1 ? dy : b.concat(Array.from({ length: c }, () => dy))]];
    }
    case 'attention_vjp': case 'layernorm_vjp': case 'render_vjp':
      throw new NotDifferentiable(`${op.op} has no VJP (second derivatives of attention, layer norm and rendering are not supported)`);
    // built by the step pass (after autodiff) from site_term and matmul, which have theirs
    case 'site_terms': throw new NotDifferentiable('site_terms has no VJP (the step pass builds it after autodiff)');
  }
}

/**
 * The adjoint of a basis term M (mean-normalised relation R between out and in positions) is a
 * multiple of the swapped term M' (the same relation read from in to out): every related pair has
 * M[o][i] = 1/n (n = |{i' : R(o, i')}|, the same for every o that has relatives) and
 * M'[i][o] = 1/m likewise, so Mᵀ = (m/n)·M'. The factor is read off one related pair.
 */
function siteTermVjp(b: GraphBuilder, term: SiteTerm, x: ValueId, outSite: Site | null, dy: ValueId): ValueId {
  const layout = b.inst.targets.get(term.target)!;
  const inSite = b.typeOf(x).site;
  const outSlots = cellSlots(layout, term.out);
  const swapped: SiteTerm = { target: term.target, out: term.in, in: term.out, labels: [...term.labels.slice(outSlots), ...term.labels.slice(0, outSlots)] };
  const { outKey, outCount, inCount } = termRelation(term, layout, outSite, inSite);
  const k = [...outKey].find((key) => key >= 0 && inCount[key]! > 0);
  const factor = k === undefined ? 0 : outCount[k]! / inCount[k]!;
  const dyType = b.typeOf(dy);
  const adjoint = b.node({ op: 'site_term', x: dy, term: swapped }, { set: dyType.set, site: inSite, channels: dyType.channels }, 'site_term_vjp');
  return b.scale(adjoint, factor);
}

/** Number of slots of a fine-group cell: a neuron segment or bias has one, a weight matrix two. */
function cellSlots(layout: TargetLayout, cell: SiteTerm['out']): number {
  if (cell === null) return 0;
  if (cell.space === 'neurons') return 1;
  return layout.params[cell.index]!.colSegment === null ? 1 : 2;
}

function binaryVjp(b: GraphBuilder, fn: BinaryFn, lhs: ValueId, rhs: ValueId, y: ValueId, dy: ValueId): Contributions {
  switch (fn) {
    case 'add': return [[lhs, dy], [rhs, dy]];
    case 'sub': return [[lhs, dy], [rhs, b.unary('neg', dy)]];
    case 'mul': return [[lhs, b.binary('mul', dy, rhs)], [rhs, b.binary('mul', dy, lhs)]];
    // d(a/b)/db = −a/b² = −y/b
    case 'div': return [[lhs, b.binary('div', dy, rhs)], [rhs, b.unary('neg', b.binary('mul', dy, b.binary('div', y, rhs)))]];
  }
}

/** dx for y = f(x); null when f is piecewise constant (zero derivative almost everywhere). */
function unaryVjp(b: GraphBuilder, fn: UnaryFn, x: ValueId, y: ValueId, dy: ValueId): ValueId | null {
  const times = (d: ValueId): ValueId => b.binary('mul', dy, d);
  switch (fn) {
    case 'relu': return times(b.unary('relu_grad', x));
    case 'gelu': return times(b.unary('gelu_grad', x));
    case 'tanh': return times(b.unary('tanh_grad', x));
    case 'sigmoid': return times(b.unary('sigmoid_grad', x));
    case 'silu': return times(b.unary('silu_grad', x));
    case 'sin': return times(b.unary('cos', x));
    case 'cos': return times(b.unary('neg', b.unary('sin', x)));
    case 'exp': return times(y);
    case 'log': return b.binary('div', dy, x);
    case 'neg': return b.unary('neg', dy);
    case 'square': return times(b.scale(x, 2));
    case 'sqrt': return b.binary('div', b.scale(dy, 0.5), y);
    case 'abs': return times(b.unary('sign', x));
    case 'relu_grad': case 'sign': return null;
    // (1 − tanh²)' = −2·tanh·(1 − tanh²)
    case 'tanh_grad': return times(b.binary('mul', b.scale(b.unary('tanh', x), -2), y));
    // (σ(1 − σ))' = σ(1 − σ)(1 − 2σ), and 1 − 2σ(x) = −tanh(x/2)
    case 'sigmoid_grad': return times(b.binary('mul', y, b.unary('neg', b.unary('tanh', b.scale(x, 0.5)))));
    // (σ + xσ(1 − σ))' = 2σ' + xσ'(1 − 2σ) = 2σ' − x·σ'·tanh(x/2)
    case 'silu_grad': {
      const sg = b.unary('sigmoid_grad', x);
      return times(b.binary('sub', b.scale(sg, 2), b.binary('mul', b.binary('mul', x, sg), b.unary('tanh', b.scale(x, 0.5)))));
    }
    case 'gelu_grad': throw new NotDifferentiable('gelu_grad has no VJP (second derivatives of GELU are not supported)');
  }
}

function siteCount(b: GraphBuilder, x: ValueId): number {
  const site = b.typeOf(x).site;
  if (site === null) return 1;
  if (site.kind === 'fixed') return site.size;
  const layout = b.inst.targets.get(site.target)!;
  return site.kind === 'neurons' ? layout.neuronCount : layout.paramCount;
}
