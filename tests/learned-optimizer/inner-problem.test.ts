// Base tasks under a learned optimizer, in float64: the regression's and the image MLP's gradients against central
// differences and its expected loss against sampling; a batch of particles unrolled together equals
// each particle unrolled alone; PES meta-training of SGDM and of DS (F_ϕ from std/optimizers.gmn)
// on the Figure 8 regression lowers the loss at the horizon.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { ParticleSets } from '../../runtime/particles/particle-sets.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { imageMlpTask } from '../../runtime/tasks/learned-optimizer/image-mlp.js';
import { LearnedOptimizerProblem } from '../../runtime/tasks/learned-optimizer/inner-task.js';
import { LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { linearRegressionTask, REGRESSION_LAYOUT, regressionExpectedLoss } from '../../runtime/tasks/learned-optimizer/linear-regression.js';
import { PesMetaTrainer } from '../../runtime/tasks/learned-optimizer/meta-trainer.js';
import { lowerUpdateNet } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { initialRuleState, PAPER_RULE } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';

const task = linearRegressionTask(32);

function dsOptimizer(hidden: number): LearnedOptimizer {
  const file = join(import.meta.dirname, 'ds.gmn');
  const source = 'use std/optimizers\ntarget R = mlp(widths: [2, 1], activation: relu)\n';
  const { program, diagnostics } = checkFiles([file], { readFile: (p) => (p === file ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
  expect(diagnostics).toEqual([]);
  const net = lowerUpdateNet({ program, module: program.roots[0]!, net: 'ds_optimizer', args: new Map([['hidden', hidden]]), target: REGRESSION_LAYOUT, setSize: 32 });
  return new LearnedOptimizer('ds', net);
}

describe('the Figure 8 regression', () => {
  it('its gradient matches central differences of the batch loss', () => {
    const theta = Float64Array.of(0.7, -1.3);
    const { grad } = task.trainLoss(theta, new Rng(5));
    for (let k = 0; k < 2; k++) {
      const h = 1e-6;
      const up = Float64Array.from(theta, (x, i) => (i === k ? x + h : x));
      const down = Float64Array.from(theta, (x, i) => (i === k ? x - h : x));
      expect(grad[k]).toBeCloseTo((task.trainLoss(up, new Rng(5)).loss - task.trainLoss(down, new Rng(5)).loss) / (2 * h), 6);
    }
  });

  it('its closed-form expected loss matches the mean of sampled batch losses', () => {
    const theta = Float64Array.of(0.7, -1.3);
    const data = new Rng(9);
    const big = linearRegressionTask(20000);
    expect(big.trainLoss(theta, data).loss).toBeCloseTo(regressionExpectedLoss(theta), 1);
  });
});

describe('particles', () => {
  it('a batch of particles unrolled together equals each particle unrolled alone', () => {
    const optimizer = dsOptimizer(8);
    const problem = new LearnedOptimizerProblem(task, optimizer);
    const rng = new Rng(1);
    const phis = [0, 1].map(() => optimizer.initialMeta(PAPER_RULE, rng));
    const sets = ParticleSets.antithetic(phis[0]!, [phis[1]!.map((x) => 0.01 * x)]);
    const starts = [initialRuleState(task.initialTheta(rng)), initialRuleState(task.initialTheta(rng))];
    const together = problem.unroll(starts, sets, 3, [42]);
    for (let j = 0; j < 2; j++) {
      const alone = problem.unroll([starts[j]!], new ParticleSets(1, sets.size, Float64Array.from(sets.row(j))), 3, [42]);
      expect(alone.losses[0]).toBe(together.losses[j]);
      expect([...alone.states[0]!.theta]).toEqual([...together.states[j]!.theta]);
    }
  });
});

describe('PES meta-training on the regression (T = 10)', () => {
  /** The mean expected loss after T steps over fresh initialisations and batches. */
  function horizonLoss(problem: LearnedOptimizerProblem, phi: Float64Array, runs: number): number {
    const rng = new Rng(1234);
    let total = 0;
    for (let r = 0; r < runs; r++) {
      const { states } = problem.unroll([problem.initialState(rng)], new ParticleSets(1, phi.length, Float64Array.from(phi)), 10, [rng.nextU32()]);
      total += regressionExpectedLoss(states[0]!.theta) / runs;
    }
    return total;
  }

  for (const [label, make, outerSteps] of [['SGDM', () => new LearnedOptimizer('sgdm', undefined), 60], ['DS', () => dsOptimizer(8), 30]] as const) {
    it(`${label}: the loss after 10 steps falls`, async () => {
      const optimizer = make();
      const problem = new LearnedOptimizerProblem(task, optimizer);
      const phi0 = optimizer.initialMeta(PAPER_RULE, new Rng(2));
      const trainer = new PesMetaTrainer(problem, { pes: { pairs: 4, truncation: 5, horizon: 10, sigma: 0.01, accumulate: true, stagger: true, seed: 4 }, outerLr: 0.03, clip: 1 }, phi0);
      for (let s = 0; s < outerSteps; s++) await trainer.outerUpdate();
      const before = horizonLoss(problem, phi0, 40);
      const after = horizonLoss(problem, trainer.phi, 40);
      expect(after).toBeLessThan(0.7 * before);
    }, 30_000);
  }
});

describe('the image-MLP base task', () => {
  it('its mean batch gradient matches central differences of its batch loss, and its test loss is the mean NLL', () => {
    // A tiny stand-in dataset: 2×2 images, 3 classes, an MLP 4 → 3 → 3.
    const rng = new Rng(8);
    const split = (count: number) => ({ images: Float32Array.from({ length: count * 4 }, () => rng.uniform()), labels: Uint8Array.from({ length: count }, () => rng.int(3)), count });
    const data = { name: 'tiny', size: 2, classes: 3, train: split(20), test: split(6) };
    const layout = mlpLayout('Tiny', { kind: 'mlp', widths: [4, 3, 3], activation: { kind: 'tanh' }, init: 'kaiming' });
    const image = imageMlpTask('tiny', layout, data, { batch: 5, testExamples: 6 });
    const theta = image.initialTheta(new Rng(3));
    const { loss, grad } = image.trainLoss(theta, new Rng(11));
    expect(Number.isFinite(loss)).toBe(true);
    for (let k = 0; k < theta.length; k++) {
      const h = 1e-6;
      const up = Float64Array.from(theta, (x, i) => (i === k ? x + h : x));
      const down = Float64Array.from(theta, (x, i) => (i === k ? x - h : x));
      expect(grad[k], `θ[${k}]`).toBeCloseTo((image.trainLoss(up, new Rng(11)).loss - image.trainLoss(down, new Rng(11)).loss) / (2 * h), 6);
    }
    // A zero network predicts uniformly: the NLL is log 3 on every example.
    expect(image.testLoss(new Float64Array(theta.length))).toBeCloseTo(Math.log(3), 12);
    expect(image.tensors.map((t) => t.size)).toEqual([12, 3, 9, 3]);
  });
});
