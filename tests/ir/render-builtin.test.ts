// The language's `render(θ, side: n)`, `pixels(n)[c]` and `blocknorm(x)`: an editor that draws
// θ + Δθ lowers to the IR's render op on the constant pixel grid, its rendering is certified
// invariant and its Δθ equivariant (and `gmn explain` says so), both hold numerically, blocknorm
// is the per-block standardisation, and misuse is a diagnostic at the user's text.
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { lowerNet } from '../../compiler/ir/lower.js';
import { formatType } from '../../compiler/ir/types.js';
import { lookup } from '../../compiler/resolve/resolve.js';
import { elaborateTarget } from '../../compiler/spaces/elaborate.js';
import { pixelGrid } from '../../compiler/spaces/tables.js';
import { certifyProgram } from '../../compiler/symmetry/program.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { mlpForward } from '../../runtime/targets/mlp.js';
import { initMlpBatch } from '../../runtime/targets/mlp-init.js';
import { initParams } from '../../runtime/train/init.js';
import { Rng } from '../../runtime/util/rng.js';
import { referenceBackend } from '../../runtime/verify/backend.js';
import { verifyProgram } from '../../runtime/verify/program.js';

const SOURCE = `
target Inr = mlp(widths: [2, 5, 4, 1], activation: sine(omega0: 30.0), init: siren)

net editor(theta: weights(T)[1], width: int = 4) -> pixels(6)[1] {
  let x = relu(linear(concat(theta, blocknorm(theta)), width))
  let x = relu(linear(rows(row_sum(x)), width) + linear(x, width))
  return render(theta + linear(x, 1) * 0.1, side: 6)
}

net normed(theta: weights(T)[1]) -> weights(T)[1] {
  return blocknorm(theta)
}
`;

function check(source: string) {
  const file = '/virtual/editor.gmn';
  return checkFiles([file], { readFile: (p) => (p === file ? source : undefined) });
}

function lowered(net: string) {
  const { program } = check(SOURCE);
  const root = program.roots[0]!;
  const sym = lookup(root, 'Inr');
  const layout = elaborateTarget((sym as Extract<typeof sym, { kind: 'target' }>).decl);
  if (!layout.ok) throw new Error('layout');
  const r = lowerNet({ program, module: root, net, target: layout.value, setSize: 4 });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return { ...r.value, layout: layout.value };
}

describe('render, pixels and blocknorm in the language', () => {
  it('lowers render to the IR op on the side×side pixel grid, typed pixels(side)[d_L]', () => {
    const { graph, instantiation, layout } = lowered('editor');
    const out = graph.nodes[graph.output]!;
    expect(out.op.op).toBe('render');
    expect(formatType(out.type)).toBe('pixels(6)[1]');
    // The net's output is f_{θ+Δθ} at the grid: with its learned params, compare against the MLP's forward pass.
    const rng = new Rng(3);
    const theta = initMlpBatch(layout, 2, rng);
    const params = initParams(graph, rng);
    const run = executeGraph(graph, instantiation, new Map([['theta', tensor([2, layout.paramCount, 1], theta)]]), params);
    if (out.op.op !== 'render') throw new Error('not render');
    const edited = run.values.get(out.op.theta)!.data;
    const grid = pixelGrid(6);
    for (let e = 0; e < 2; e++) {
      const want = mlpForward(layout, { count: 36, inputs: grid, theta: Float64Array.from(edited.subarray(e * layout.paramCount, (e + 1) * layout.paramCount)) }).outputs;
      for (let p = 0; p < 36; p++) expect(run.output.data[e * 36 + p]).toBeCloseTo(want[p]!, 10);
    }
    // Δθ is not zero: the edit changes the rendering.
    const plain = mlpForward(layout, { count: 36, inputs: grid, theta: Float64Array.from(theta.subarray(0, layout.paramCount)) }).outputs;
    expect(Math.max(...plain.map((v, p) => Math.abs(v - run.output.data[p]!)))).toBeGreaterThan(1e-3);
  });

  it('certifies the rendering invariant and the drawn weights equivariant', () => {
    const { diagnostics, program } = check(SOURCE);
    expect(diagnostics).toEqual([]);
    const report = certifyProgram(program).find((r) => r.net === 'editor')!;
    expect(report.certificate!.statement).toBe('S_5×S_4-invariant: weights(Inr)[1] → pixels(6)[1]');
    expect(report.certificate!.renders).toHaveLength(1);
    expect(report.certificate!.renders[0]).toMatch(/draws %\d+ add: weights\(Inr\)\[1\], S_5×S_4-equivariant; the rendering pixels\(6\)\[1\] is invariant/);
    expect(report.certificate!.ops.find((o) => o.op === 'render')!.rule).toMatch(/invariant/);
  });

  it('holds numerically: the editor is invariant (and sensitive to non-group maps), blocknorm equivariant', async () => {
    const { program } = check(SOURCE);
    const results = await verifyProgram(program, 1, program.roots[0]!.file, referenceBackend);
    expect(results.map((r) => r.net).sort()).toEqual(['editor', 'normed']);
    for (const r of results) {
      expect(r.verified, r.net).toBe(true);
      expect(r.report!.equivariance).toBeLessThan(1e-8);
    }
    // blocknorm commutes with every permutation inside a block, group or not; the editor does not.
    expect(results.find((r) => r.net === 'editor')!.report!.sensitivityMargin).toBeGreaterThan(1e-3);
  });

  it('blocknorm standardises every parameter block of every example', () => {
    const { graph, instantiation, layout } = lowered('normed');
    const theta = initMlpBatch(layout, 2, new Rng(5));
    const y = executeGraph(graph, instantiation, new Map([['theta', tensor([2, layout.paramCount, 1], theta)]]), new Map()).output.data;
    for (let e = 0; e < 2; e++) {
      for (const block of layout.params) {
        const size = block.rows * (block.cols ?? 1);
        const xs = Array.from({ length: size }, (_, i) => theta[e * layout.paramCount + block.offset + i]!);
        const m = xs.reduce((a, b) => a + b, 0) / size;
        const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / size;
        for (let i = 0; i < size; i++) expect(y[e * layout.paramCount + block.offset + i]).toBeCloseTo((xs[i]! - m) / Math.sqrt(v + 1e-5), 10);
      }
    }
  });

  it('rejects render of features that are not weights(T)[1], and a return type of the wrong side', () => {
    const bad = check(`
target Inr = mlp(widths: [2, 5, 4, 1], activation: sine(omega0: 30.0))
net two(theta: weights(T)[1]) -> pixels(6)[1] {
  return render(concat(theta, theta), side: 6)
}
net side(theta: weights(T)[1]) -> pixels(5)[1] {
  return render(theta, side: 6)
}
`);
    const messages = bad.diagnostics.map((d) => `${d.span.start.line}: ${d.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^4: render draws a target from its weights, weights\(T\)\[1\], but `theta` is weights\(Inr\)\[2\]/));
    expect(messages).toContainEqual(expect.stringMatching(/^7: net side returns pixels\(6\)\[1\], but declares `pixels\(5\)\[1\]`: it has image side 36?|^7: net side returns pixels\(6\)\[1\], but declares `pixels\(5\)\[1\]`/));
  });
});
