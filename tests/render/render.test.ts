// The render op (a target MLP evaluated with Θ-valued weights at given coordinates): its float64
// reference against the closed form, its VJP against central finite differences, its invariance
// under the target's neuron permutations (the checker's rule and the numeric harness), and its WGSL
// kernels (forward and VJP) against the reference on the test adapter.
import { afterAll, describe, expect, it } from 'vitest';
import { buildBackward } from '../../compiler/autodiff/index.js';
import { GraphBuilder } from '../../compiler/ir/graph-builder.js';
import type { Graph } from '../../compiler/ir/ops.js';
import type { Instantiation, TensorType } from '../../compiler/ir/types.js';
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import { ruleFor } from '../../compiler/symmetry/rules/registry.js';
import { RENDER_SHAPE, pointGrid, renderFactorLayout, renderFactorsKernel, renderGradGrid, renderGradKernel, renderKernel, renderSignalsKernel, type RenderShape } from '../../compiler/wgsl/render.js';
import { GpuExecutor, layoutTables } from '../../runtime/gpu/index.js';
import { executeGraph, tensor, type Tensor } from '../../runtime/reference/index.js';
import { initMlpBatch } from '../../runtime/targets/mlp-init.js';
import { Rng } from '../../runtime/util/rng.js';
import { verifyGraph } from '../../runtime/verify/index.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { f32, runKernel } from '../wgsl/run-kernel.js';

const OMEGA = 30;
const siren = (widths: number[]): TargetLayout => mlpLayout('Inr', { kind: 'mlp', widths, activation: { kind: 'sine', omega0: OMEGA }, init: 'siren' });
const instOf = (layout: TargetLayout): Instantiation => ({ targets: new Map([['Inr', layout]]) });
const thetaType: TensorType = { set: null, site: { kind: 'params', target: 'Inr' }, channels: 1 };
const coordsType = (n: number, d0: number): TensorType => ({ set: null, site: { kind: 'fixed', size: n, label: 'points' }, channels: d0 });

/** render(θ, coords), and the graph's inputs: B SIREN-initialised θ and points in [−1, 1]^d0. */
function renderGraph(layout: TargetLayout, n: number, batch: number, rng: Rng): { graph: Graph; inputs: Map<string, Tensor> } {
  const spec = layout.spec.kind === 'mlp' ? layout.spec : null;
  const d0 = spec!.widths[0]!;
  const g = new GraphBuilder('render', instOf(layout));
  const y = g.render(g.input('theta', thetaType), g.input('coords', coordsType(n, d0)));
  const theta = tensor([batch, layout.paramCount, 1], initMlpBatch(layout, batch, rng));
  const coords = tensor([batch, n, d0], Array.from({ length: batch * n * d0 }, () => rng.range(-1, 1)));
  return { graph: g.finish(y), inputs: new Map([['theta', theta], ['coords', coords]]) };
}

describe('render: float64 reference', () => {
  it('is W2 sin(ω0 (W1 x + b1)) + b2 for a one-hidden-layer SIREN', () => {
    const layout = siren([2, 3, 2]);
    const { graph, inputs } = renderGraph(layout, 5, 2, new Rng(1));
    const y = executeGraph(graph, instOf(layout), inputs, new Map()).output;
    expect(y.shape).toEqual([2, 5, 2]);
    const th = inputs.get('theta')!.data;
    const xs = inputs.get('coords')!.data;
    const P = layout.paramCount; // W1 [3,2], b1 [3], W2 [2,3], b2 [2]
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 5; k++) {
        const t = th.subarray(b * P);
        const x = xs.subarray((b * 5 + k) * 2);
        const h = [0, 1, 2].map((p) => Math.sin(OMEGA * (t[p * 2]! * x[0]! + t[p * 2 + 1]! * x[1]! + t[6 + p]!)));
        for (let o = 0; o < 2; o++) {
          const want = t[9 + o * 3]! * h[0]! + t[10 + o * 3]! * h[1]! + t[11 + o * 3]! * h[2]! + t[15 + o]!;
          expect(y.data[(b * 5 + k) * 2 + o]).toBeCloseTo(want, 12);
        }
      }
    }
  });

  it('its VJP matches central finite differences in θ', () => {
    const layout = siren([2, 4, 3, 2]);
    const rng = new Rng(2);
    const { graph, inputs } = renderGraph(layout, 6, 2, rng);
    const inst = instOf(layout);
    const backward = buildBackward(graph, inst, { inputs: ['theta'] });
    const u = tensor([2, 6, 2], Array.from({ length: 24 }, () => rng.normal()));
    const analytic = executeGraph(backward.graph, inst, new Map([...inputs, ['cotangent', u]]), new Map()).outputs.get('input_grad:theta')!.data;
    const theta = inputs.get('theta')!.data;
    const phi = (): number => executeGraph(graph, inst, inputs, new Map()).output.data.reduce((acc, v, i) => acc + v * u.data[i]!, 0);
    const h = 1e-6;
    let worst = 0;
    let scale = 0;
    for (let j = 0; j < theta.length; j++) {
      const saved = theta[j]!;
      theta[j] = saved + h;
      const plus = phi();
      theta[j] = saved - h;
      const minus = phi();
      theta[j] = saved;
      const numeric = (plus - minus) / (2 * h);
      worst = Math.max(worst, Math.abs(numeric - analytic[j]!));
      scale = Math.max(scale, Math.abs(numeric));
    }
    expect(scale).toBeGreaterThan(1);
    expect(worst / scale).toBeLessThan(1e-6);
  });
});

describe('render: symmetry', () => {
  const layout = siren([2, 5, 4, 1]);
  const { graph } = renderGraph(layout, 7, 1, new Rng(3));

  it('the typing rule certifies invariance under the neuron permutations', () => {
    const node = graph.nodes[graph.output]!;
    const verdict = ruleFor(node.op)({ node, type: (id) => graph.nodes[id]!.type, inst: instOf(layout) });
    expect(verdict.breaks).toEqual([]);
    expect(verdict.rule).toMatch(/render of Inr .*invariant/);
  });

  it('the rendering is unchanged by random group elements and changed by non-group permutations', async () => {
    const report = await verifyGraph(graph, instOf(layout), { trials: 4, seed: 5 });
    expect(report.equivariance).toBeLessThan(1e-12);
    expect(report.sensitivityMargin).toBeGreaterThan(1e-2);
  });
});

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('render: WGSL kernels against the reference', () => {
  it('forward and θ-gradient of a batch of SIRENs 2→8→8→1 at 300 points', async () => {
    const layout = siren([2, 8, 8, 1]);
    const inst = instOf(layout);
    const rng = new Rng(4);
    const B = 3;
    const n = 300;
    const { graph, inputs } = renderGraph(layout, n, B, rng);
    const backward = buildBackward(graph, inst, { inputs: ['theta'] });
    const u = tensor([B, n, 1], Array.from({ length: B * n }, () => rng.normal()));
    const all = new Map([...inputs, ['cotangent', u]]);
    const want = executeGraph(backward.graph, inst, all, new Map());
    const exec = new GpuExecutor(gpu!, backward.graph, inst, { tables: layoutTables(inst) });
    exec.setParams(new Map());
    const ids = [backward.graph.outputs!.get('output')!, backward.inputGrads.get('theta')!];
    const { values } = await exec.run(new Map([...all].map(([k, t]) => [k, t.data])), B, ids);
    expectClose(values.get(ids[0]!)!, want.outputs.get('output')!.data, 1e-4, 1e-4);
    // The gradient sums 300 points of size ~ω0: float32 rounding grows with the sum.
    expectClose(values.get(ids[1]!)!, want.outputs.get('input_grad:theta')!.data, 1e-3, 1e-2);
    exec.release();
  });

  it('θ-gradient of the INR shape 2→32→32→1 at 301 points (off the points per invocation and the workgroups)', async () => {
    const layout = siren([2, 32, 32, 1]);
    const inst = instOf(layout);
    const rng = new Rng(6);
    const B = 2;
    const n = 301;
    const { graph, inputs } = renderGraph(layout, n, B, rng);
    const backward = buildBackward(graph, inst, { inputs: ['theta'] });
    const u = tensor([B, n, 1], Array.from({ length: B * n }, () => rng.normal()));
    const all = new Map([...inputs, ['cotangent', u]]);
    const want = executeGraph(backward.graph, inst, all, new Map()).outputs.get('input_grad:theta')!.data;
    const exec = new GpuExecutor(gpu!, backward.graph, inst, { tables: layoutTables(inst) });
    exec.setParams(new Map());
    const id = backward.inputGrads.get('theta')!;
    const { values } = await exec.run(new Map([...all].map(([k, t]) => [k, t.data])), B, [id]);
    const got = values.get(id)!;
    // Every parameter block, the last point's terms included (a dropped tail would miss them).
    expectClose(got, want, 1e-3, 1e-2);
    exec.release();
  });
});

describe.skipIf(gpu === null)('render: every kernel shape against the reference', () => {
  // Widths off the vec4 blocks (padding in every layer), a point count off the points per
  // invocation and the workgroups, weights staged in workgroup memory or read from θ, row groups
  // that split a layer, gradient blocks past the matrices' edges.
  const shapes: [string, RenderShape][] = [
    ['the default', RENDER_SHAPE],
    ['1 point per invocation, weights from θ, 1×1 blocks', { pointWorkgroup: 64, pointsPerInvocation: 1, rowGroup: 4, stageBytes: 0, gradWorkgroup: 64, gradBlock: [1, 1] }],
    ['3 points per invocation, split row groups, 2×1 blocks', { pointWorkgroup: 16, pointsPerInvocation: 3, rowGroup: 4, stageBytes: 16384, gradWorkgroup: 8, gradBlock: [2, 1] }],
  ];
  const layout = siren([3, 9, 7, 2]);
  const inst = instOf(layout);
  const rng = new Rng(8);
  const B = 2;
  const n = 37;
  const { graph, inputs } = renderGraph(layout, n, B, rng);
  const backward = buildBackward(graph, inst, { inputs: ['theta'] });
  const u = tensor([B, n, 2], Array.from({ length: B * n * 2 }, () => rng.normal()));
  const want = executeGraph(backward.graph, inst, new Map([...inputs, ['cotangent', u]]), new Map());
  const P = layout.paramCount;
  const uniforms = { points: n, thetaStride: P, coordsStride: n * 3, zero: 0, omega0: OMEGA };
  const theta = f32(inputs.get('theta')!.data);
  const coords = f32(inputs.get('coords')!.data);

  it.each(shapes)('%s', async (_name, shape) => {
    const [y] = await runKernel(gpu!, renderKernel(layout, shape), uniforms, [theta, coords, new Float32Array(B * n * 2)], pointGrid(B, n, shape));
    expectClose(y!, want.outputs.get('output')!.data, 1e-4, 1e-4);
    const width = renderFactorLayout(layout).width;
    const [factors] = await runKernel(gpu!, renderFactorsKernel(layout, shape), uniforms, [theta, coords, f32(u.data), new Float32Array(B * n * width)], pointGrid(B, n, shape));
    // NaN where the gradient kernel fails to write: every entry must be written.
    const [grad] = await runKernel(gpu!, renderGradKernel(layout, shape), { points: n, zero: 0 }, [factors!, new Float32Array(B * P).fill(Number.NaN)], renderGradGrid(layout, B, shape));
    expectClose(grad!, want.outputs.get('input_grad:theta')!.data, 1e-3, 1e-3);
    // The same through a render that keeps the factors and a backward-only first pass.
    const [kept, keptFactors] = await runKernel(gpu!, renderKernel(layout, shape, true), uniforms, [theta, coords, new Float32Array(B * n * 2), new Float32Array(B * n * width)], pointGrid(B, n, shape));
    expectClose(kept!, want.outputs.get('output')!.data, 1e-4, 1e-4);
    const [signals] = await runKernel(gpu!, renderSignalsKernel(layout, shape), uniforms, [theta, f32(u.data), keptFactors!], pointGrid(B, n, shape));
    const [keptGrad] = await runKernel(gpu!, renderGradKernel(layout, shape), { points: n, zero: 0 }, [signals!, new Float32Array(B * P).fill(Number.NaN)], renderGradGrid(layout, B, shape));
    expectClose(keptGrad!, want.outputs.get('input_grad:theta')!.data, 1e-3, 1e-3);
  });
});
