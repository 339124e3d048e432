// Evaluation curves on the device against evaluation.ts's float64 curves (the same initialisations,
// batches and recording steps per seed): Adam (one rate, and rates of its grid in one batch), and a learned optimizer (UNF + GradMetaNet) with a
// perturbed φ, agree to float32 accuracy at every recorded step; so do Adam and SGDM with the MLP
// kernels (targets/gpu-mlp-runs.ts) split into small tiles.
import { afterAll, describe, expect, it } from 'vitest';
import { deviceAdamCurves, deviceLearnedCurves } from '../../runtime/tasks/learned-optimizer/device-evaluation.js';
import { adamCurve, learnedCurve } from '../../runtime/tasks/learned-optimizer/evaluation.js';
import { PAPER_RULE } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { smallImageTask, smallOptimizer } from './device-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const BATCH = 5;
const task = smallImageTask(BATCH);
const SEEDS = [1, 2, 3];
const OPTIONS = { horizon: 7, every: 3 };

describe.skipIf(gpu === null)('evaluation curves on the device', () => {
  it('Adam: every seed\'s test-loss curve equals the float64 curve (steps 0, 3, 6, 7)', async () => {
    const [got] = await deviceAdamCurves(gpu!, task, [0.05], SEEDS, OPTIONS);
    SEEDS.forEach((seed, r) => {
      const want = adamCurve(task, 0.05, { ...OPTIONS, seed });
      expect(got![r]!.steps).toEqual([0, 3, 6, 7]);
      expect(got![r]!.steps).toEqual(want.steps);
      expectClose(got![r]!.losses, want.losses, 1e-4, 1e-5);
    });
  });

  // Adam's grid as one batch of rates × seeds: each rate's curves are those of the rate alone (up to
  // float32 order) and the float64 curves, and the rates differ, so no run read another's rate.
  it('Adam, three rates of the grid in one batch: every rate\'s and seed\'s curve equals the rate\'s own batch and the float64 curve', async () => {
    const rates = [0.2, 0.05, 0.01];
    const grid = await deviceAdamCurves(gpu!, task, rates, SEEDS, OPTIONS);
    expect(grid).toHaveLength(rates.length);
    for (const [i, lr] of rates.entries()) {
      const [alone] = await deviceAdamCurves(gpu!, task, [lr], SEEDS, OPTIONS);
      SEEDS.forEach((seed, r) => {
        expect(grid[i]![r]!.steps).toEqual([0, 3, 6, 7]);
        expectClose(grid[i]![r]!.losses, alone![r]!.losses, 1e-6, 1e-7);
        expectClose(grid[i]![r]!.losses, adamCurve(task, lr, { ...OPTIONS, seed }).losses, 1e-4, 1e-5);
      });
    }
    expect(grid[0]![0]!.losses[3]).not.toBeCloseTo(grid[2]![0]!.losses[3]!, 3);
  });

  // The default tiles hold the small MLP's every layer in one block and its 5 examples in one
  // group; these split them (partial blocks and groups, clamped lanes) and must not change a number.
  it.each([[2, 2, 2], [3, 1, 4], [1, 3, 1]])('Adam and SGDM with the MLP kernels tiled %i lanes × %i items × %i neurons equal the float64 curves', async (lanes, items, block) => {
    const tiles = { layers: { lanes, items, block }, grad: { lanes: items, items: lanes, block } };
    const [adam] = await deviceAdamCurves(gpu!, task, [0.05], SEEDS, { ...OPTIONS, tiles });
    const sgdm = smallOptimizer('sgdm', BATCH);
    const phi = sgdm.initialMeta(PAPER_RULE, new Rng(6));
    const learned = await deviceLearnedCurves(gpu!, task, sgdm, phi, SEEDS, { ...OPTIONS, tiles });
    SEEDS.forEach((seed, r) => {
      expectClose(adam![r]!.losses, adamCurve(task, 0.05, { ...OPTIONS, seed }).losses, 1e-4, 1e-5);
      expectClose(learned[r]!.losses, learnedCurve(task, sgdm, phi, { ...OPTIONS, seed }).losses, 1e-4, 1e-5);
    });
  });

  it('UNF + GradMetaNet with a perturbed φ: every seed\'s curve equals the float64 curve', async () => {
    const optimizer = smallOptimizer('unf_gradmetanet', BATCH);
    const rng = new Rng(6);
    const phi = optimizer.initialMeta(PAPER_RULE, rng).map((x) => x + 0.05 * rng.normal());
    phi[2] = Math.log(0.5);
    const got = await deviceLearnedCurves(gpu!, task, optimizer, phi, SEEDS, OPTIONS);
    SEEDS.forEach((seed, r) => {
      const want = learnedCurve(task, optimizer, phi, { ...OPTIONS, seed });
      expect(got[r]!.steps).toEqual(want.steps);
      expectClose(got[r]!.losses, want.losses, 1e-4, 1e-5);
    });
    // The curves move: the learned optimizer changes the test loss.
    expect(got[0]!.losses[3]).not.toBeCloseTo(got[0]!.losses[0]!, 3);
  });
});
