// `linear(x, out, zero: true)`: a channel map that starts as the zero map. An INR editor that ends
// in one draws θ + Δθ with Δθ = 0 until trained, so its training starts from "no edit" (the
// untrained editor renders exactly the fitted INR), while its gradient is not zero (it can learn).
import { expect, it } from 'vitest';
import { buildBackward } from '../../compiler/autodiff/index.js';
import { checkFiles } from '../../compiler/check.js';
import { lowerNet } from '../../compiler/ir/lower.js';
import { lookup } from '../../compiler/resolve/resolve.js';
import { elaborateTarget } from '../../compiler/spaces/elaborate.js';
import { pixelGrid } from '../../compiler/spaces/tables.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { mlpForward } from '../../runtime/targets/mlp.js';
import { initMlpBatch } from '../../runtime/targets/mlp-init.js';
import { initParams } from '../../runtime/train/init.js';
import { Rng } from '../../runtime/util/rng.js';

const SOURCE = `
target Inr = mlp(widths: [2, 5, 4, 1], activation: sine(omega0: 30.0), init: siren)

net editor(theta: weights(T)[1]) -> pixels(6)[1] {
  let x = relu(linear(concat(theta, blocknorm(theta)), 4))
  return render(theta + linear(x, 1, zero: true) * 0.1, side: 6)
}

net bad(theta: weights(T)[1]) -> pixels(6)[1] {
  return render(theta + linear(theta, 1, zero: 1), side: 6)
}
`;

function setup(net: string) {
  const file = '/virtual/zero.gmn';
  const { program } = checkFiles([file], { readFile: (p) => (p === file ? SOURCE : undefined) });
  const root = program.roots[0]!;
  const sym = lookup(root, 'Inr');
  const layout = elaborateTarget((sym as Extract<typeof sym, { kind: 'target' }>).decl);
  if (!layout.ok) throw new Error('layout');
  return { layout: layout.value, lowered: lowerNet({ program, module: root, net, target: layout.value, setSize: 4 }) };
}

it('an editor ending in linear(…, zero: true) renders the unedited INR until trained, and has a non-zero gradient', () => {
  const { layout, lowered } = setup('editor');
  if (!lowered.ok) throw new Error(lowered.diagnostics.map((d) => d.message).join('; '));
  const { graph, instantiation } = lowered.value;
  const rng = new Rng(7);
  const theta = initMlpBatch(layout, 2, rng);
  const params = initParams(graph, rng);
  const inputs = new Map([['theta', tensor([2, layout.paramCount, 1], theta)]]);
  const out = executeGraph(graph, instantiation, inputs, params).output.data;
  const grid = pixelGrid(6);
  for (let e = 0; e < 2; e++) {
    const plain = mlpForward(layout, { count: 36, inputs: grid, theta: Float64Array.from(theta.subarray(e * layout.paramCount, (e + 1) * layout.paramCount)) }).outputs;
    for (let p = 0; p < 36; p++) expect(out[e * 36 + p]).toBe(plain[p]);
  }
  // The loss gradient reaches the zero layer's weights: training moves Δθ away from 0.
  const backward = buildBackward(graph, instantiation, { inputs: [] });
  const cotangent = tensor([2, 36, 1], Array.from({ length: 72 }, () => rng.normal()));
  const grads = executeGraph(backward.graph, instantiation, new Map([...inputs, ['cotangent', cotangent]]), params).outputs;
  const zeroW = [...grads].find(([name]) => /linear\d*\.w$/.test(name) && params.get(name.replace(/^grad:/, ''))?.every((v) => v === 0));
  expect(zeroW, [...grads.keys()].join(', ')).toBeDefined();
  expect(Math.max(...zeroW![1].data.map(Math.abs))).toBeGreaterThan(1e-6);
});

it('a zero: that is not true or false is a diagnostic at the argument', () => {
  const { lowered } = setup('bad');
  expect(lowered.ok).toBe(false);
  if (lowered.ok) return;
  expect(lowered.diagnostics[0]!.message).toMatch(/`zero` of linear must be true or false/);
  expect(lowered.diagnostics[0]!.span.start.line).toBe(10);
});
