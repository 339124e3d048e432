import { describe, expect, it } from 'vitest';
import { buildBackward, NotDifferentiable } from '../../compiler/autodiff/index.js';
import { GraphBuilder } from '../../compiler/ir/graph-builder.js';
import type { UnaryFn, ValueId } from '../../compiler/ir/ops.js';
import type { Tensor } from '../../runtime/reference/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { gradCheckError } from './gradcheck.js';
import { gradMetaNetLike, gradsType, inst, layout, neuronsType, randomParams, randomTensor, SET, weightsType } from './fixtures.js';

const BATCH = 2;
const N = layout.neuronCount;
const P = layout.paramCount;
const TOL = 1e-6;

/** Builds a graph with `body`, feeds random inputs (positive ones for `pos`), and grad-checks it. */
function check(seed: number, body: (g: GraphBuilder) => ValueId, positive = false): number {
  const rng = new Rng(seed);
  const g = new GraphBuilder('op', inst);
  const graph = g.finish(body(g));
  const inputs = new Map<string, Tensor>();
  for (const [name, id] of graph.inputs) {
    const t = randomTensor(rng, [BATCH, ...shape(graph.nodes[id]!.type)]);
    if (positive) t.data.forEach((v, i) => { t.data[i] = 0.5 + Math.abs(v); });
    inputs.set(name, t);
  }
  return gradCheckError(graph, inst, inputs, randomParams(graph, rng), rng);
}

function shape(type: { set: { size: number } | null; site: { kind: string; size?: number } | null; channels: number }): number[] {
  const out: number[] = [];
  if (type.set) out.push(type.set.size);
  if (type.site) out.push(type.site.kind === 'neurons' ? N : type.site.kind === 'params' ? P : type.site.size!);
  out.push(type.channels);
  return out;
}

const SMOOTH: UnaryFn[] = ['gelu', 'tanh', 'sigmoid', 'silu', 'sin', 'cos', 'exp', 'neg', 'square', 'tanh_grad', 'sigmoid_grad', 'silu_grad'];

describe('VJPs against central finite differences (float64)', () => {
  for (const fn of [...SMOOTH, 'relu', 'abs'] as UnaryFn[]) {
    it(`unary ${fn}`, () => {
      expect(check(1, (g) => g.linear(g.unary(fn, g.input('x', gradsType(3))), 3, 'l'))).toBeLessThan(TOL);
    });
  }
  for (const fn of ['log', 'sqrt'] as UnaryFn[]) {
    it(`unary ${fn} (positive inputs)`, () => {
      expect(check(2, (g) => g.unary(fn, g.input('x', gradsType(3))), true)).toBeLessThan(TOL);
    });
  }
  it('piecewise-constant relu_grad and sign have zero gradient (and the chain around them is right)', () => {
    expect(check(3, (g) => {
      const x = g.input('x', gradsType(3));
      return g.binary('mul', g.unary('relu_grad', x), g.binary('add', g.unary('sign', x), x));
    })).toBeLessThan(TOL);
  });
  for (const fn of ['add', 'sub', 'mul', 'div'] as const) {
    it(`binary ${fn} with broadcasting (missing set, 1 channel, a param vector)`, () => {
      expect(check(4, (g) => {
        const x = g.input('x', gradsType(3));
        const y = g.input('y', neuronsType(1));
        const lhs = g.binary(fn, x, fn === 'div' ? g.unary('exp', y) : y);
        return g.binary(fn, lhs, fn === 'div' ? g.unary('exp', g.param('p', [3], { kind: 'zeros' })) : g.param('p', [3], { kind: 'zeros' }));
      })).toBeLessThan(TOL);
    });
  }
  it('scale and bias', () => {
    expect(check(5, (g) => g.bias(g.scale(g.input('x', gradsType(3)), -1.7), g.param('b', [3], { kind: 'zeros' })))).toBeLessThan(TOL);
  });
  it('matmul (plain and transposed) and contract', () => {
    expect(check(6, (g) => {
      const x = g.input('x', gradsType(3));
      const w = g.param('w', [3, 5], { kind: 'zeros' });
      const h = g.matmul(g.unary('tanh', g.matmul(x, w)), w, true);
      // contract as a data-dependent weight: (Σ_rows hᵀx) applied to x
      return g.matmul(x, g.contract(h, x));
    })).toBeLessThan(TOL);
  });
  for (const axes of [['set'], ['site'], ['set', 'site']] as ('set' | 'site')[][]) {
    for (const fn of ['mean', 'sum'] as const) {
      it(`reduce ${fn} over ${axes.join('+')} and broadcast back`, () => {
        expect(check(7, (g) => {
          const x = g.input('x', gradsType(3));
          const r = g.unary('tanh', g.reduce(fn, x, axes));
          return g.binary('mul', g.broadcast(r, { set: SET, site: { kind: 'neurons', target: 'T' } }), x);
        })).toBeLessThan(TOL);
      });
    }
  }
  it('concat (with a broadcast operand), slice and pad', () => {
    expect(check(8, (g) => {
      const x = g.input('x', gradsType(3));
      const c = g.concat([x, g.input('v', neuronsType(2)), g.const({ kind: 'posenc', target: 'T', dim: 3, hiddenIds: 'segment' })]);
      return g.binary('add', g.unary('square', g.slice(c, 1, 5)), g.pad(g.slice(c, 6, 2), 1, 5));
    })).toBeLessThan(TOL);
  });
  for (const which of ['rows', 'cols'] as const) {
    it(`gather and scatter along ${which}`, () => {
      expect(check(9, (g) => {
        const x = g.input('x', gradsType(3));
        const p = g.unary('tanh', g.gather(x, which));
        return g.scatter(g.binary('mul', p, g.input('w', weightsType(3))), which);
      })).toBeLessThan(TOL);
    });
  }
  it('segment_mean on neurons and on params', () => {
    expect(check(10, (g) => {
      const x = g.input('x', gradsType(3));
      const m = g.unary('tanh', g.segmentMean(g.binary('mul', x, x)));
      return g.segmentMean(g.gather(m, 'rows'));
    })).toBeLessThan(TOL);
  });
  it('select with the bias mask', () => {
    expect(check(11, (g) => {
      const x = g.input('x', gradsType(3));
      const mask = g.const({ kind: 'bias_mask', target: 'T' });
      return g.select(mask, g.unary('sin', g.gather(x, 'rows')), g.unary('square', g.gather(x, 'cols')));
    })).toBeLessThan(TOL);
  });
  it('layernorm', () => {
    expect(check(12, (g) => g.binary('mul', g.layernorm(g.input('x', gradsType(5)), 1e-5), g.input('y', gradsType(5))))).toBeLessThan(TOL);
  });
  for (const [over, heads, channels] of [['set', 1, 3], ['set', 3, 6], ['site', 2, 4]] as const) {
    it(`attention over ${over}, ${heads} head(s) of ${channels / heads}`, () => {
      expect(check(13, (g) => {
        const x = g.input('x', gradsType(channels));
        const q = g.linear(x, channels, 'q', false);
        const k = g.linear(x, channels, 'k', false);
        return g.attention(q, k, g.unary('tanh', x), over, heads);
      })).toBeLessThan(TOL);
    });
  }
  it('fold and unfold of the set and the site; dense', () => {
    expect(check(14, (g) => {
      const x = g.input('x', gradsType(2));
      const f = g.unary('tanh', g.fold(x, 'set'));
      const back = g.unfold(g.fold(f, 'site'), { site: { kind: 'neurons', target: 'T' } });
      const w = g.param('dense', [N * 6, P * 1], { kind: 'zeros' });
      return g.dense(back, w, { site: { kind: 'params', target: 'T' }, channels: 1 });
    })).toBeLessThan(TOL);
  });
  it('batch_sum and channel_sum', () => {
    expect(check(15, (g) => {
      const x = g.input('x', gradsType(3));
      return g.binary('mul', g.unary('sin', g.batchSum(x)), g.channelSum(g.unary('square', x)));
    })).toBeLessThan(TOL);
  });
  it('site_term (fine-group eqlinear terms): within a segment, params → neurons, neurons → params', () => {
    expect(check(17, (g) => {
      const x = g.input('x', gradsType(3));
      const w = g.input('w', { ...weightsType(3), set: SET });
      const term = (input: ValueId, out: { space: 'neurons' | 'params'; index: number }, inCell: { space: 'neurons' | 'params'; index: number }, labels: ({ class: number } | { at: number })[]): ValueId =>
        g.node({ op: 'site_term', x: input, term: { target: 'T', out, in: inCell, labels } },
          { ...g.typeOf(input), site: { kind: out.space, target: 'T' } }, 'site_term');
      const mean = term(x, { space: 'neurons', index: 1 }, { space: 'neurons', index: 1 }, [{ class: 0 }, { class: 1 }]);
      const colMean = term(w, { space: 'neurons', index: 1 }, { space: 'params', index: 2 }, [{ class: 0 }, { class: 1 }, { class: 0 }]);
      const pinned = term(x, { space: 'neurons', index: 0 }, { space: 'neurons', index: 0 }, [{ at: 0 }, { at: 1 }]);
      // W2[p, j] = z[j] for the hidden neurons j of layer 1, where the first two terms live
      const spread = term(g.unary('tanh', g.binary('add', mean, colMean)), { space: 'params', index: 2 }, { space: 'neurons', index: 1 }, [{ class: 0 }, { class: 1 }, { class: 1 }]);
      return g.binary('add', g.binary('mul', spread, w), g.gather(g.unary('sin', pinned), 'cols'));
    })).toBeLessThan(TOL);
  });
  it('a GradMetaNet-like net (posenc, set layer, pool, DeepSets, pair readout): every parameter and the input', () => {
    const rng = new Rng(16);
    const graph = gradMetaNetLike();
    const inputs = new Map([['grads', randomTensor(rng, [BATCH, SET.size, N, 2])]]);
    expect(gradCheckError(graph, inst, inputs, randomParams(graph, rng), rng)).toBeLessThan(TOL);
  });
  it('second derivatives that are not supported say so', () => {
    const g = new GraphBuilder('second', inst);
    const x = g.input('x', gradsType(3));
    const graph = g.finish(g.unary('gelu_grad', x));
    expect(() => buildBackward(graph, inst, { inputs: ['x'] })).toThrow(NotDifferentiable);
  });
});
