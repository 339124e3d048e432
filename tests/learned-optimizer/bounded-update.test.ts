// Stability of a learned optimizer (issue 25): ES noise under outer Adam inflates F_ϕ's weights, and
// its output with them (measured on the committed `default` run: RMS 0.016 at initialisation, 26
// after 20 outer steps for DS on the CIFAR-10 stand-in, whose test loss then climbed from 2.4 to 6.1).
// The rule bounds the learned part by tanh (update-rule.ts). Here a DS whose ϕ is inflated the same
// way trains a small image MLP at a large α: with the bound the test loss never rises more than 10%
// above its step-0 value; the same F_ϕ unbounded (β·F_ϕ, the old rule) raises it past that, so the
// setting is one that blew networks up.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import type { ImageDataset } from '../../runtime/data/fashion-mnist.js';
import { imageMlpTask } from '../../runtime/tasks/learned-optimizer/image-mlp.js';
import type { InnerTask } from '../../runtime/tasks/learned-optimizer/inner-task.js';
import { LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { standardFeatures } from '../../runtime/tasks/learned-optimizer/features.js';
import { lowerUpdateNet, updateDirection } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { accumulateGradient, initialRuleState, ruleScalars, ruleValues } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';

const WIDTHS = [16, 16, 4];
const STEPS = 60;
/** Multiplies every weight of F_ϕ: 4 layers, so its output grows ~INFLATION⁴ (what ES drift does). */
const INFLATION = 6;

/** 4×4 images of 4 classes: a class-dependent mean pattern plus noise (learnable, not trivial). */
function images(): ImageDataset {
  const rng = new Rng(21);
  const means = Array.from({ length: 4 }, () => Float32Array.from({ length: 16 }, () => rng.normal()));
  const split = (count: number) => {
    const labels = Uint8Array.from({ length: count }, () => rng.int(4));
    const data = new Float32Array(count * 16);
    labels.forEach((y, i) => { for (let k = 0; k < 16; k++) data[i * 16 + k] = means[y]![k]! + 1.5 * rng.normal(); });
    return { images: data, labels, count };
  };
  return { name: 'blobs', size: 4, classes: 4, train: split(512), test: split(256) };
}

function dsOptimizer(): LearnedOptimizer {
  const file = join(import.meta.dirname, 'bounded.gmn');
  const source = `use std/optimizers\ntarget Small = mlp(widths: [${WIDTHS.join(', ')}], activation: relu)\n`;
  const { program, diagnostics } = checkFiles([file], { readFile: (p) => (p === file ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
  expect(diagnostics).toEqual([]);
  const layout = mlpLayout('Small', { kind: 'mlp', widths: WIDTHS, activation: { kind: 'relu' }, init: 'kaiming' });
  return new LearnedOptimizer('ds', lowerUpdateNet({ program, module: program.roots[0]!, net: 'ds_optimizer', args: new Map([['hidden', 16]]), target: layout, setSize: 32 }));
}

/** Test losses every 10 steps from step 0; `unbounded` applies θ ← θ − α(v + β·F_ϕ) (the old rule). */
function testLosses(task: InnerTask, optimizer: LearnedOptimizer, phi: Float64Array, unbounded: boolean): number[] {
  const rng = new Rng(5);
  const state = initialRuleState(task.initialTheta(rng));
  const data = rng.fork();
  const losses = [task.testLoss(state.theta)];
  for (let t = 1; t <= STEPS; t++) {
    const { grad } = task.trainLoss(state.theta, data);
    if (unbounded) {
      const scalars = optimizer.scalars(phi);
      accumulateGradient(state, grad, scalars);
      const F = updateDirection(optimizer.net!, phi.subarray(optimizer.scalarCount), standardFeatures({ theta: state.theta, grad, momenta: state.momenta }, state.step, task.tensors));
      const { alpha, beta } = ruleValues(scalars);
      for (let i = 0; i < F.length; i++) state.theta[i] = state.theta[i]! - alpha * (state.momentum[i]! + beta * F[i]!);
      state.step += 1;
    } else {
      optimizer.step(state, grad, phi, task.tensors);
    }
    if (t % 10 === 0) losses.push(task.testLoss(state.theta));
  }
  return losses;
}

describe('a learned optimizer with an inflated F_ϕ', () => {
  it('keeps the test loss within 10% of its step-0 value; the unbounded rule does not', () => {
    const layout = mlpLayout('Small', { kind: 'mlp', widths: WIDTHS, activation: { kind: 'relu' }, init: 'kaiming' });
    const task = imageMlpTask('blobs', layout, images(), { batch: 32, testExamples: 256 });
    const optimizer = dsOptimizer();
    const phi = optimizer.initialMeta({ alpha: 0.5, mu: 0.9, beta: 0.05 }, new Rng(2));
    for (let k = optimizer.scalarCount; k < phi.length; k++) phi[k] = phi[k]! * INFLATION;
    // The setting is the measured one: F_ϕ's output is large (RMS ≫ 1), so β·F_ϕ rivals the momentum term.
    const state = initialRuleState(task.initialTheta(new Rng(5)));
    const { grad } = task.trainLoss(state.theta, new Rng(6));
    accumulateGradient(state, grad, ruleScalars({ alpha: 0.5, mu: 0.9, beta: 0.05 }));
    const F = updateDirection(optimizer.net!, phi.subarray(optimizer.scalarCount), standardFeatures({ theta: state.theta, grad, momenta: state.momenta }, 0, task.tensors));
    expect(Math.sqrt(F.reduce((a, x) => a + x * x, 0) / F.length)).toBeGreaterThan(10);

    const bounded = testLosses(task, optimizer, phi, false);
    for (const loss of bounded) expect(loss).toBeLessThanOrEqual(1.1 * bounded[0]!);
    const old = testLosses(task, optimizer, phi, true);
    expect(Math.max(...old)).toBeGreaterThan(1.1 * old[0]!);
  }, 30_000);
});
