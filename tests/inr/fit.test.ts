// INR fitting, many per dispatch: batched fitting gives each INR what fitting it alone gives, the
// device loop follows the float64 reference, and fitting raises the PSNR. Also the image sources
// and the gradient inputs Γ_64[2] against their float64 reference.
import { afterAll, describe, expect, it } from 'vitest';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { fitInrs, inrProblem, pixelGrid, psnrOf } from '../../runtime/inr/fit.js';
import { gradientInputs, gradientInputsReference, probePixels } from '../../runtime/inr/grad-inputs.js';
import { IMAGE_PIXELS, loadImages } from '../../runtime/inr/images.js';
import { fitParamSets, fitParamSetsReference, type FitOptions } from '../../runtime/param-sets/fit.js';
import { DataError } from '../../runtime/targets/errors.js';
import { initMlpBatch } from '../../runtime/targets/mlp-init.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';

const small = mlpLayout('Inr', { kind: 'mlp', widths: [2, 8, 8, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
const OPT: FitOptions['optimizer'] = { kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** 8×8 images: every third pixel of the first MNIST digits, in each direction. */
function smallImages(count: number): Float32Array {
  const { pixels } = loadImages('mnist', count);
  const out = new Float32Array(count * 64);
  for (let i = 0; i < count; i++) for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) out[i * 64 + r * 8 + c] = pixels[i * IMAGE_PIXELS + (3 * r + 3) * 28 + 3 * c + 3]!;
  return out;
}

describe('image sources', () => {
  it('MNIST digits come class by class, scaled to [−1, 1]', () => {
    const set = loadImages('mnist', 20);
    expect([...set.labels]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.min(...set.pixels)).toBe(-1);
    expect(Math.max(...set.pixels)).toBe(1);
  });
  it('Fashion-MNIST items come from the Debian package, scaled to [−1, 1]', () => {
    const set = loadImages('fashion-mnist', 3);
    expect(set.pixels.length).toBe(3 * IMAGE_PIXELS);
    expect([...set.labels]).toEqual([9, 0, 0]);
    expect(Math.min(...set.pixels)).toBe(-1);
    expect(Math.max(...set.pixels)).toBeLessThanOrEqual(1);
  });
  it('a missing Fashion-MNIST names the Debian package', () => {
    expect(() => loadImages('fashion-mnist', 10, '/nonexistent')).toThrow(DataError);
    expect(() => loadImages('fashion-mnist', 10, '/nonexistent')).toThrow(/Fashion-MNIST is not installed/);
    try { loadImages('fashion-mnist', 10, '/nonexistent'); } catch (e) { expect((e as DataError).hint).toMatch(/apt-get install dataset-fashion-mnist/); }
  });
});

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('fitting many INRs at once', () => {
  const grid = pixelGrid(8);
  const images = smallImages(3);
  const theta0 = Float32Array.from(initMlpBatch(small, 3, new Rng(7)));
  const P = small.paramCount;

  it('batched fitting equals fitting each INR alone', async () => {
    const options = { steps: 20, optimizer: OPT };
    const together = await fitParamSets(gpu!, inrProblem(small, images, 3, grid), theta0, options);
    for (let i = 0; i < 3; i++) {
      const alone = await fitParamSets(gpu!, inrProblem(small, images.subarray(i * 64, (i + 1) * 64), 1, grid), theta0.subarray(i * P, (i + 1) * P), options);
      expectClose(together.theta.subarray(i * P, (i + 1) * P), alone.theta, 1e-5, 1e-6);
      expectClose([together.losses[i]!], alone.losses, 1e-5, 1e-7);
    }
  });

  it('steps per submit change neither the fit nor the reported losses', async () => {
    const run = async (stepsPerSubmit: number): Promise<{ theta: Float32Array; reports: [number, number][] }> => {
      const reports: [number, number][] = [];
      const fit = await fitParamSets(gpu!, inrProblem(small, images, 3, grid), theta0, { steps: 11, optimizer: OPT, stepsPerSubmit, progress: { every: 4, report: (step, loss) => reports.push([step, loss]) } });
      return { theta: fit.theta, reports };
    };
    const one = await run(1);
    expect(one.reports.map(([step]) => step)).toEqual([4, 8]);
    for (const perSubmit of [3, 16]) {
      const many = await run(perSubmit);
      expect(many.theta).toEqual(one.theta);
      expect(many.reports).toEqual(one.reports);
    }
  });

  it('follows the float64 reference fit and lowers the loss', async () => {
    const options = { steps: 5, optimizer: OPT };
    const problem = inrProblem(small, images, 3, grid);
    const got = await fitParamSets(gpu!, problem, theta0, options);
    const want = fitParamSetsReference(problem, theta0, options);
    expectClose(got.theta, want.theta, 1e-4, 1e-5);
    expectClose(got.losses, want.losses, 1e-3, 1e-6);
    const start = fitParamSetsReference(problem, theta0, { ...options, steps: 0 }).losses;
    for (let i = 0; i < 3; i++) expect(want.losses[i]!).toBeLessThan(start[i]!);
  });

  it('fitInrs reports PSNR from the final MSE, batch by batch', async () => {
    const fit = await fitInrs(gpu!, small, images, 3, grid, new Rng(7), { batch: 2, steps: 30, optimizer: { ...OPT, lr: 1e-2 } });
    const whole = await fitParamSets(gpu!, inrProblem(small, images, 3, grid), theta0, { steps: 30, optimizer: { ...OPT, lr: 1e-2 } });
    expectClose(fit.theta, whole.theta, 1e-4, 1e-5);
    for (let i = 0; i < 3; i++) expect(fit.psnr[i]).toBeCloseTo(psnrOf(whole.losses[i]!), 3);
    expect(Math.min(...fit.psnr)).toBeGreaterThan(psnrOf(fitParamSetsReference(inrProblem(small, images, 3, grid), theta0, { steps: 0, optimizer: OPT }).losses.reduce((a, b) => Math.max(a, b))));
  });

  it('gradient inputs Γ_64[2] match the float64 reference', async () => {
    const layout = mlpLayout('Inr', { kind: 'mlp', widths: [2, 32, 32, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
    const rng = new Rng(9);
    const theta = Float32Array.from(initMlpBatch(layout, 2, rng));
    const full = pixelGrid(28);
    const targets = loadImages('mnist', 2).pixels;
    const probes = probePixels(IMAGE_PIXELS, 64, rng);
    expect(new Set(probes).size).toBe(64);
    const got = await gradientInputs(gpu!, layout, theta, targets, 2, full, probes, 1);
    const want = gradientInputsReference(layout, theta, targets, 2, full, probes);
    expect(got.length).toBe(2 * 64 * layout.neuronCount * 2);
    expectClose(got, want, 1e-3, 1e-4);
    // the output layer's factor is f(x_i) − I(x_i): nonzero for a random INR
    expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(0.1);
  });
});
