import { describe, expect, it } from 'vitest';
import { buildBackward } from '../../compiler/autodiff/index.js';
import { GraphBuilder } from '../../compiler/ir/graph-builder.js';
import type { AxisName, Graph, ValueId } from '../../compiler/ir/ops.js';
import { verifyGraph } from '../../runtime/verify/index.js';
import { gradMetaNetLike, gradsType, inst, layout, neuronsType, weightsType } from '../autodiff/fixtures.js';

const EXACT = 1e-10;
const CLEAR = 1e-3;
const N = layout.neuronCount;
const P = layout.paramCount;

function net(body: (g: GraphBuilder) => ValueId, declaredBreaks: AxisName[] = []): Graph {
  const g = new GraphBuilder('op', inst);
  return g.finish(body(g), { declaredBreaks });
}

/** Equivariant, and (when `sensitive`) detectably not equivariant to non-group transformations. */
async function expectEquivariant(graph: Graph, sensitive: boolean): Promise<void> {
  const report = await verifyGraph(graph, inst, { seed: 11 });
  expect(report.equivariance).toBeLessThan(EXACT);
  if (report.invariance !== null) expect(report.invariance).toBeLessThan(EXACT);
  if (sensitive) expect(report.sensitivityMargin).toBeGreaterThan(CLEAR);
  else expect(report.sensitivityMargin).toBeLessThan(EXACT);
}

const x3 = (g: GraphBuilder) => g.input('x', gradsType(3));

describe('equivariance harness, one tiny graph per op', () => {
  it('input, param, unary, binary with broadcasting, scale, bias, matmul (insensitive: no neuron identity)', async () => {
    await expectEquivariant(net((g) => {
      const x = x3(g);
      const h = g.bias(g.matmul(g.unary('gelu', g.scale(x, 0.5)), g.param('w', [3, 4], { kind: 'zeros' })), g.param('b', [4], { kind: 'zeros' }));
      return g.binary('mul', h, g.input('v', neuronsType(1)));
    }), false);
  });
  it('reduce over set / site and broadcast', async () => {
    await expectEquivariant(net((g) => {
      const x = x3(g);
      const s = g.reduce('mean', x, ['set']);
      const t = g.reduce('sum', x, ['site']);
      return g.binary('add', g.broadcast(s, { set: gradsType(1).set, site: null }), g.binary('mul', x, t));
    }), false);
  });
  it('concat with the posenc table (sensitive: fixed neurons have identities), slice, pad', async () => {
    await expectEquivariant(net((g) => {
      const c = g.concat([x3(g), g.const({ kind: 'posenc', target: 'T', dim: 4, hiddenIds: 'segment' })]);
      return g.linear(g.unary('tanh', g.pad(g.slice(c, 2, 4), 1, 6)), 2, 'l');
    }), true);
  });
  // rows follow any relabelling of neurons, even one that decouples W_l's rows from W_{l+1}'s
  // columns; cols read through the coupling, so they are what makes a net sensitive to it
  for (const [which, sensitive] of [['rows', false], ['cols', true]] as const) {
    it(`gather ${which} (${sensitive ? 'sensitive' : 'insensitive'} to decoupling rows from columns)`, async () => {
      await expectEquivariant(net((g) => g.gather(x3(g), which)), sensitive);
    });
    it(`scatter ${which} of a params-site input`, async () => {
      await expectEquivariant(net((g) => g.scatter(g.input('w', { ...weightsType(2), set: gradsType(1).set }), which)), sensitive);
    });
  }
  it('segment_mean on neurons and on params (insensitive)', async () => {
    await expectEquivariant(net((g) => g.segmentMean(g.binary('add', g.segmentMean(g.input('w', weightsType(2))), g.segmentMean(g.input('w2', weightsType(2)))))), false);
    await expectEquivariant(net((g) => g.segmentMean(x3(g))), false);
  });
  it('select with the bias mask (the pair readout shape)', async () => {
    await expectEquivariant(net((g) => {
      const z = g.input('z', neuronsType(2));
      return g.select(g.const({ kind: 'bias_mask', target: 'T' }), g.gather(z, 'rows'), g.binary('mul', g.gather(z, 'rows'), g.gather(z, 'cols')));
    }), true);
  });
  it('layernorm, attention over the set and over the neurons', async () => {
    await expectEquivariant(net((g) => {
      const x = g.layernorm(g.input('x', gradsType(4)));
      return g.attention(x, g.unary('sin', x), g.attention(x, x, x, 'site', 2), 'set', 2);
    }), false);
  });
  it('contract (invariant weight), batch_sum and channel_sum', async () => {
    await expectEquivariant(net((g) => {
      const x = x3(g);
      return g.binary('add', g.matmul(x, g.contract(x, x)), g.binary('mul', g.batchSum(x), g.channelSum(x)));
    }), false);
  });
  it('site_term: identity and mean within a hidden segment, a pinned term on the fixed input segment', async () => {
    await expectEquivariant(net((g) => {
      const x = x3(g);
      const term = (labels: ({ class: number } | { at: number })[], cell: number): ValueId =>
        g.node({ op: 'site_term', x, term: { target: 'T', out: { space: 'neurons', index: cell }, in: { space: 'neurons', index: cell }, labels } }, g.typeOf(x), 'site_term');
      return g.binary('add', g.binary('add', term([{ class: 0 }, { class: 0 }], 1), term([{ class: 0 }, { class: 1 }], 2)), term([{ at: 1 }, { at: 0 }], 0));
    }), true);
  });
  it('backward graphs are equivariant too (attention_vjp, layernorm_vjp and every VJP): the input gradient', async () => {
    const forward = net((g) => {
      const x = g.layernorm(g.input('x', gradsType(4)));
      const a = g.attention(g.linear(x, 4, 'q', false), x, g.unary('relu', x), 'site', 2);
      return g.linear(g.gather(g.reduce('mean', a, ['set']), 'cols'), 1, 'out');
    });
    const back = buildBackward(forward, inst, { inputs: ['x'] });
    await expectEquivariant({ ...back.graph, output: back.inputGrads.get('x')! }, true);
  });
  it('a GradMetaNet-like net: set-invariant, neuron-equivariant, sensitive to both non-group transformations', async () => {
    const report = await verifyGraph(gradMetaNetLike(), inst, { seed: 3, trials: 4 });
    expect(report.equivariance).toBeLessThan(EXACT);
    expect(report.invariance).not.toBeNull();
    expect(report.invariance!).toBeLessThan(EXACT);
    expect(report.sensitivity.map((s) => s.kind)).toEqual(['fixed-neurons', 'decoupled']);
    for (const s of report.sensitivity) expect(s.error).toBeGreaterThan(CLEAR);
  });
});

describe('the harness catches symmetry breaking', () => {
  it('posenc with unique hidden ids is not equivariant', async () => {
    const report = await verifyGraph(net((g) => g.concat([x3(g), g.const({ kind: 'posenc', target: 'T', dim: 4, hiddenIds: 'unique' })])), inst);
    expect(report.equivariance).toBeGreaterThan(CLEAR);
  });
  it('fold over the set breaks set symmetry only; declared with @breaks(set), the rest still verifies', async () => {
    const graph = net((g) => g.linear(g.fold(x3(g), 'set'), 2, 'l'), ['set']);
    const report = await verifyGraph(graph, inst);
    expect(report.equivariance).toBeLessThan(EXACT);
    expect(report.breaks).toEqual([{ axis: 'set', error: expect.any(Number) }]);
    expect(report.breaks[0]!.error).toBeGreaterThan(CLEAR);
    expect((await verifyGraph({ ...graph, declaredBreaks: [] }, inst)).equivariance).toBeGreaterThan(CLEAR);
  });
  it('unfold into a neurons site and dense across the site break the neuron symmetry', async () => {
    const unfolded = net((g) => g.unfold(g.input('v', { set: null, site: null, channels: 2 * N }), { site: { kind: 'neurons', target: 'T' } }), ['site']);
    // the input has no site, so the output must be invariant — it is not: its value sits at fixed positions
    expect((await verifyGraph({ ...unfolded, declaredBreaks: [] }, inst)).equivariance).toBeGreaterThan(CLEAR);
    const dense = net((g) => g.dense(x3(g), g.param('w', [N * 3, P], { kind: 'zeros' }), { site: { kind: 'params', target: 'T' }, channels: 1 }), ['site']);
    const report = await verifyGraph(dense, inst);
    expect(report.equivariance).toBeLessThan(EXACT);
    expect(report.breaks[0]!.error).toBeGreaterThan(CLEAR);
  });
});
