// The WGSL MLP target (float32) against the float64 reference on the test adapter (lavapipe here).
import { afterAll, describe, expect, it } from 'vitest';
import { mlpLayout, type MlpSpec } from '../../compiler/spaces/target.js';
import { DataError } from '../../runtime/targets/errors.js';
import { gpuMlpGradients } from '../../runtime/targets/gpu-mlp.js';
import { mlpGradients, type MlpLoss } from '../../runtime/targets/mlp.js';
import { initMlp, initMlpBatch } from '../../runtime/targets/mlp-init.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

interface Case { label: string; spec: MlpSpec; loss: MlpLoss['kind']; perExample: boolean; rtol: number; atol: number }
const cases: Case[] = [
  { label: 'relu 3→16→16→5, cross-entropy', spec: { kind: 'mlp', widths: [3, 16, 16, 5], activation: { kind: 'relu' }, init: 'kaiming' }, loss: 'cross_entropy', perExample: false, rtol: 1e-4, atol: 1e-5 },
  { label: 'gelu 4→12→3, mse', spec: { kind: 'mlp', widths: [4, 12, 3], activation: { kind: 'gelu' }, init: 'kaiming' }, loss: 'mse', perExample: false, rtol: 1e-4, atol: 1e-5 },
  { label: 'tanh 2→9→9→1, mse', spec: { kind: 'mlp', widths: [2, 9, 9, 1], activation: { kind: 'tanh' }, init: 'kaiming' }, loss: 'mse', perExample: false, rtol: 1e-4, atol: 1e-5 },
  { label: 'SIREN 1→32→32→1 (siren init), output', spec: { kind: 'mlp', widths: [1, 32, 32, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' }, loss: 'output', perExample: false, rtol: 1e-3, atol: 1e-4 },
  { label: 'SIREN 2→32→32→1 (siren init), per-example θ, output', spec: { kind: 'mlp', widths: [2, 32, 32, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' }, loss: 'output', perExample: true, rtol: 1e-3, atol: 1e-4 },
  // N(0, 1) weights with ω0 = 30 put sine arguments in the hundreds of radians: float32 phase
  // errors of ~1e-5 rad per unit of argument are expected, hence the looser tolerance.
  { label: 'SIREN 1→32→32→1 (gaussian init, ω0 = 1), per-example θ, output', spec: { kind: 'mlp', widths: [1, 32, 32, 1], activation: { kind: 'sine', omega0: 1 }, init: 'gaussian' }, loss: 'output', perExample: true, rtol: 1e-3, atol: 1e-4 },
];

describe.skipIf(gpu === null)('MLP targets on the GPU', () => {
  const g = gpu!;
  for (const c of cases) {
    it(`outputs and Γ_b match the float64 reference (${c.label})`, async () => {
      const layout = mlpLayout('M', c.spec);
      const rng = new Rng(31);
      const b = 37;
      const theta = c.perExample ? initMlpBatch(layout, b, rng) : initMlp(layout, rng);
      const d0 = c.spec.widths[0]!;
      const dL = c.spec.widths.at(-1)!;
      const inputs = Float64Array.from({ length: b * d0 }, () => rng.range(-1, 1));
      // Round θ, x and targets to float32 first, so both sides see the same numbers.
      const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
      const batch = { count: b, inputs: f32(inputs), theta: f32(theta) };
      const loss: MlpLoss = c.loss === 'output' ? { kind: 'output' }
        : c.loss === 'mse' ? { kind: 'mse', targets: f32(Float64Array.from({ length: b * dL }, () => rng.normal())) }
        : { kind: 'cross_entropy', labels: Array.from({ length: b }, () => rng.int(dL)) };
      const want = mlpGradients(layout, batch, loss);
      const got = await gpuMlpGradients(g, layout, batch, loss);
      const scale = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose(got.outputs, want.outputs, c.rtol, c.atol * Math.max(1, scale(want.outputs)));
      expectClose(got.factors, want.factors, c.rtol, c.atol * Math.max(1, scale(want.factors)));
    });
  }

  it('rejects bad data before touching the GPU, like the float64 path', async () => {
    const layout = mlpLayout('M', cases[0]!.spec);
    const theta = initMlp(layout, new Rng(1));
    await expect(gpuMlpGradients(g, layout, { count: 2, inputs: new Float64Array(6), theta }, { kind: 'cross_entropy', labels: [0, 9] }))
      .rejects.toThrow(DataError);
  });
});
