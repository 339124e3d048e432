// A queued INR-editing run fits its dataset as independent jobs, one dispatch each
// (runtime/tasks/inr-editing/jobs.ts): each batch fitted on its own must give exactly the numbers of
// the whole fit, so the run's cache (and every result after it) is the local run's.
import { afterAll, describe, expect, it } from 'vitest';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { fitInrBatch, fitInrs, pixelGrid } from '../../runtime/inr/fit.js';
import { loadImages } from '../../runtime/inr/images.js';
import { Rng } from '../../runtime/util/rng.js';
import { openTestGpu } from '../device/gpu-fixture.js';

const layout = mlpLayout('Inr', { kind: 'mlp', widths: [2, 8, 8, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
const gpu = await openTestGpu();

afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('fitInrBatch', () => {
  it('fits INRs start… of a fit alone, bit for bit as within the whole fit (a last batch shorter)', async () => {
    const count = 5;
    const images = loadImages('mnist', count).pixels;
    const grid = pixelGrid(28);
    const options = { batch: 2, steps: 3, optimizer: { kind: 'adam' as const, lr: 5e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } };
    const whole = await fitInrs(gpu!, layout, images, count, grid, new Rng(4), options);
    const theta = new Float32Array(whole.theta.length);
    const psnr = new Float32Array(count);
    for (const start of [4, 0, 2]) {
      const batch = await fitInrBatch(gpu!, layout, images, count, grid, new Rng(4), start, options);
      theta.set(batch.theta, start * layout.paramCount);
      psnr.set(batch.psnr, start);
    }
    expect(theta).toEqual(whole.theta);
    expect(psnr).toEqual(whole.psnr);
  });
});
