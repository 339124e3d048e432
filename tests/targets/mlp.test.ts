import { describe, expect, it } from 'vitest';
import { mlpLayout, type Activation, type MlpSpec } from '../../compiler/spaces/target.js';
import { meanGradient } from '../../runtime/targets/factors.js';
import { mlpForward, mlpGradients, mlpPerExampleGradients, type MlpLoss } from '../../runtime/targets/mlp.js';
import { initMlp, initMlpBatch } from '../../runtime/targets/mlp-init.js';
import { Rng } from '../../runtime/util/rng.js';
import { actOnNeurons, actOnParams, finiteDifferences, logSoftmax, naiveMlp, randomArray, randomGroupElement, relError } from './oracle.js';

const sine = (omega0: number): Activation => ({ kind: 'sine', omega0 });
interface Case { label: string; spec: MlpSpec; loss: 'output' | 'mse' | 'cross_entropy' }
const cases: Case[] = [
  { label: 'relu 3→8→8→4, cross-entropy', spec: { kind: 'mlp', widths: [3, 8, 8, 4], activation: { kind: 'relu' }, init: 'kaiming' }, loss: 'cross_entropy' },
  { label: 'relu 3→8→8→2, mse', spec: { kind: 'mlp', widths: [3, 8, 8, 2], activation: { kind: 'relu' }, init: 'kaiming' }, loss: 'mse' },
  { label: 'gelu 2→6→3, mse', spec: { kind: 'mlp', widths: [2, 6, 3], activation: { kind: 'gelu' }, init: 'kaiming' }, loss: 'mse' },
  { label: 'tanh 2→5→5→3, cross-entropy', spec: { kind: 'mlp', widths: [2, 5, 5, 3], activation: { kind: 'tanh' }, init: 'kaiming' }, loss: 'cross_entropy' },
  { label: 'SIREN 1→32→32→1, output', spec: { kind: 'mlp', widths: [1, 32, 32, 1], activation: sine(30), init: 'siren' }, loss: 'output' },
  { label: 'SIREN 2→32→32→1, output', spec: { kind: 'mlp', widths: [2, 32, 32, 1], activation: sine(30), init: 'siren' }, loss: 'output' },
];

const B = 5;

function setup(c: Case, seed: number) {
  const layout = mlpLayout('M', c.spec);
  const rng = new Rng(seed);
  const theta = initMlp(layout, rng);
  // Non-zero biases everywhere, so the bias factors are exercised.
  for (const blk of layout.params) if (blk.cols === null) for (let p = 0; p < blk.rows; p++) theta[blk.offset + p] += 0.1 * rng.normal();
  const d0 = c.spec.widths[0]!;
  const dL = c.spec.widths.at(-1)!;
  const inputs = Float64Array.from({ length: B * d0 }, () => rng.range(-1, 1));
  const loss: MlpLoss = c.loss === 'output' ? { kind: 'output' }
    : c.loss === 'mse' ? { kind: 'mse', targets: randomArray(B * dL, rng) }
    : { kind: 'cross_entropy', labels: Array.from({ length: B }, () => rng.int(dL)) };
  // ℓ_i(θ) from the naive forward pass: the independent oracle.
  const exampleLoss = (i: number) => (t: Float64Array): number => {
    const f = naiveMlp(c.spec, t, Array.from(inputs.subarray(i * d0, (i + 1) * d0)));
    if (loss.kind === 'output') return f[0]!;
    if (loss.kind === 'mse') return 0.5 * f.reduce((s, v, k) => s + (v - loss.targets[i * dL + k]!) ** 2, 0);
    return -logSoftmax(f)[loss.labels[i]!]!;
  };
  return { layout, theta, inputs, loss, exampleLoss, d0, dL };
}

describe('MLP targets: rank-1 factors', () => {
  for (const c of cases) {
    it(`Σ_i g_i a_iᵀ / b equals finite differences of the batch loss (${c.label})`, () => {
      const { layout, theta, inputs, loss, exampleLoss } = setup(c, 1);
      const grads = mlpGradients(layout, { count: B, inputs, theta }, loss);
      const perExample = mlpPerExampleGradients(layout, grads);
      const batchLoss = (t: Float64Array) => Array.from({ length: B }, (_, i) => exampleLoss(i)(t)).reduce((s, v) => s + v, 0) / B;
      const fd = finiteDifferences(batchLoss, theta, 1e-6);
      expect(relError(meanGradient(perExample, B, layout.paramCount), fd)).toBeLessThan(1e-6);
      grads.losses.forEach((l, i) => expect(l).toBeCloseTo(exampleLoss(i)(theta), 12));
    });

    it(`per-example factors equal single-example runs and each example's own gradient (${c.label})`, () => {
      const { layout, theta, inputs, loss, exampleLoss, d0, dL } = setup(c, 2);
      const N = layout.neuronCount;
      const grads = mlpGradients(layout, { count: B, inputs, theta }, loss);
      const perExample = mlpPerExampleGradients(layout, grads);
      for (let i = 0; i < B; i++) {
        const one: MlpLoss = loss.kind === 'output' ? loss
          : loss.kind === 'mse' ? { kind: 'mse', targets: loss.targets.slice(i * dL, (i + 1) * dL) }
          : { kind: 'cross_entropy', labels: [loss.labels[i]!] };
        const single = mlpGradients(layout, { count: 1, inputs: inputs.slice(i * d0, (i + 1) * d0), theta }, one);
        expect(Array.from(single.factors)).toEqual(Array.from(grads.factors.subarray(i * N * 2, (i + 1) * N * 2)));
        const fd = finiteDifferences(exampleLoss(i), theta, 1e-6);
        expect(relError(perExample.subarray(i * layout.paramCount, (i + 1) * layout.paramCount), fd)).toBeLessThan(1e-6);
      }
    });
  }

  it('follows the boundary convention: input (a⁰, a⁰), hidden (aˡ, gˡ), output (g^L, g^L)', () => {
    const c = cases[1]!;
    const { layout, theta, inputs, loss } = setup(c, 3);
    if (loss.kind !== 'mse') throw new Error('case 1 is an mse case');
    const grads = mlpGradients(layout, { count: B, inputs, theta }, loss);
    const fwd = mlpForward(layout, { count: B, inputs, theta });
    const N = layout.neuronCount;
    const [input, , hidden2, output] = layout.segments;
    for (let i = 0; i < B; i++) {
      const at = (j: number, ch: number) => grads.factors[(i * N + j) * 2 + ch]!;
      for (let j = 0; j < input!.size; j++) {
        expect(at(j, 0)).toBe(inputs[i * 3 + j]);
        expect(at(j, 1)).toBe(inputs[i * 3 + j]);
      }
      for (let k = 0; k < output!.size; k++) {
        const r = grads.outputs[i * 2 + k]! - loss.targets[i * 2 + k]!;
        expect(at(output!.offset + k, 0)).toBeCloseTo(r, 14);
        expect(at(output!.offset + k, 1)).toBeCloseTo(r, 14);
      }
      for (let j = hidden2!.offset; j < hidden2!.offset + hidden2!.size; j++) expect(at(j, 0)).toBe(fwd.act[i * N + j]);
    }
  });

  it('evaluates a batch of models, each example with its own θ (random gaussian SIRENs)', () => {
    const spec: MlpSpec = { kind: 'mlp', widths: [1, 32, 32, 1], activation: sine(30), init: 'gaussian' };
    const layout = mlpLayout('S', spec);
    const rng = new Rng(4);
    const thetas = initMlpBatch(layout, B, rng);
    const inputs = Float64Array.from({ length: B }, () => rng.range(-1, 1));
    const batch = mlpGradients(layout, { count: B, inputs, theta: thetas }, { kind: 'output' });
    const N = layout.neuronCount;
    const P = layout.paramCount;
    for (let i = 0; i < B; i++) {
      const theta = thetas.slice(i * P, (i + 1) * P);
      const single = mlpGradients(layout, { count: 1, inputs: inputs.slice(i, i + 1), theta }, { kind: 'output' });
      expect(Array.from(single.factors)).toEqual(Array.from(batch.factors.subarray(i * N * 2, (i + 1) * N * 2)));
      expect(batch.outputs[i]).toBeCloseTo(naiveMlp(spec, theta, [inputs[i]!])[0]!, 10);
    }
    // The gaussian init draws N(0, 1) entries: a loose check of mean and variance over 5 models.
    const mean = thetas.reduce((s, v) => s + v, 0) / thetas.length;
    const variance = thetas.reduce((s, v) => s + (v - mean) ** 2, 0) / thetas.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('draws SIREN and kaiming inits within their documented ranges and scales', () => {
    const layout = mlpLayout('S', { kind: 'mlp', widths: [2, 64, 64, 1], activation: sine(30), init: 'siren' });
    const theta = initMlp(layout, new Rng(5));
    const [W1, b1, W2] = layout.params;
    const slice = (blk: typeof W1) => Array.from(theta.subarray(blk!.offset, blk!.offset + blk!.rows * (blk!.cols ?? 1)));
    expect(Math.max(...slice(W1).map(Math.abs))).toBeLessThanOrEqual(1 / 2);
    expect(Math.max(...slice(W2).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 64) / 30);
    expect(Math.max(...slice(W2).map(Math.abs))).toBeGreaterThan(0.8 * Math.sqrt(6 / 64) / 30);
    expect(Math.max(...slice(b1).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(2));
    const kaiming = initMlp(layout, new Rng(5), 'kaiming');
    const w2 = Array.from(kaiming.subarray(W2!.offset, W2!.offset + 64 * 64));
    expect(w2.reduce((s, v) => s + v * v, 0) / w2.length).toBeCloseTo(2 / 64, 2);
    expect(Array.from(kaiming.subarray(b1!.offset, b1!.offset + 64)).every((v) => v === 0)).toBe(true);
  });

  for (const c of [cases[0]!, cases[4]!]) {
    it(`permuting hidden neurons leaves f unchanged and permutes Γ_b exactly (${c.label})`, () => {
      const { layout, theta, inputs, loss } = setup(c, 6);
      const rng = new Rng(60);
      for (let trial = 0; trial < 3; trial++) {
        const g = randomGroupElement(layout, rng);
        const moved = actOnParams(layout, g, theta);
        expect(Array.from(moved)).not.toEqual(Array.from(theta));
        const before = mlpGradients(layout, { count: B, inputs, theta }, loss);
        const after = mlpGradients(layout, { count: B, inputs, theta: moved }, loss);
        expect(relError(after.outputs, before.outputs)).toBeLessThan(1e-13);
        expect(relError(after.factors, actOnNeurons(layout, g, before.factors, 2))).toBeLessThan(1e-13);
      }
    });
  }
});
