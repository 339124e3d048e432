// The GradMetaNet-augmented optimizers (paper §6.2, Eq. 11) in float64: the gradient-set input is the
// batch's Γ_b and six per-slot EMAs of it, channel by channel as written in closed form; inner steps
// of DS + GradMetaNet and UNF + GradMetaNet commute with permutations of the base MLP's hidden
// neurons (features, gradient sets, GradMetaNet_ψ, F_ϕ and the rule together), and a hidden-row
// permutation that is not a symmetry changes the step; particles unrolled together equal each alone.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import { ParticleSets } from '../../runtime/particles/particle-sets.js';
import { MOMENTUM_DECAYS } from '../../runtime/tasks/learned-optimizer/features.js';
import { GRAD_SET_CHANNELS, gradientSets } from '../../runtime/tasks/learned-optimizer/gradient-sets.js';
import { imageMlpTask } from '../../runtime/tasks/learned-optimizer/image-mlp.js';
import { LearnedOptimizerProblem } from '../../runtime/tasks/learned-optimizer/inner-task.js';
import { LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { lowerUpdateNet } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { initialRuleState, PAPER_RULE, type RuleState } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';
import { identity, inducedParamMap } from '../../runtime/verify/action.js';

describe('the gradient-set input Γ_b[14]', () => {
  it('channels 2k, 2k + 1 hold (a, g) of the current set (k = 0) and of its EMA with decay d_k (k ≥ 1)', () => {
    const rng = new Rng(5);
    const steps = [0, 1, 2].map(() => Float64Array.from({ length: 4 * 2 }, () => rng.normal()));
    const emas = MOMENTUM_DECAYS.map(() => new Float64Array(8));
    let out: Float64Array = new Float64Array();
    for (const f of steps) out = gradientSets(f, emas);
    expect(out.length).toBe(4 * GRAD_SET_CHANNELS);
    for (let i = 0; i < 4; i++) {
      for (let c = 0; c < 2; c++) {
        expect(out[i * 14 + c]).toBe(steps[2]![2 * i + c]);
        MOMENTUM_DECAYS.forEach((d, k) => {
          // e_3 = (1 − d)(f_3 + d f_2 + d² f_1), from e_0 = 0
          const closed = (1 - d) * (steps[2]![2 * i + c]! + d * steps[1]![2 * i + c]! + d * d * steps[0]![2 * i + c]!);
          expect(out[i * 14 + 2 * (k + 1) + c]).toBeCloseTo(closed, 12);
        });
      }
    }
  });
});

const layout = mlpLayout('Tiny', { kind: 'mlp', widths: [4, 3, 3], activation: { kind: 'relu' }, init: 'kaiming' });
const BATCH = 5;

function optimizer(net: string): LearnedOptimizer {
  const file = join(import.meta.dirname, 'gmn-opt.gmn');
  const source = 'use std/optimizers\ntarget Tiny = mlp(widths: [4, 3, 3], activation: relu)\n';
  const { program, diagnostics } = checkFiles([file], { readFile: (p) => (p === file ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
  expect(diagnostics).toEqual([]);
  const args = new Map([['hidden', 6], ['width', 6]]);
  return new LearnedOptimizer(net, lowerUpdateNet({ program, module: program.roots[0]!, net, args, target: layout, setSize: BATCH }));
}

function tinyTask(target: TargetLayout) {
  const rng = new Rng(8);
  const split = (count: number) => ({ images: Float32Array.from({ length: count * 4 }, () => rng.uniform()), labels: Uint8Array.from({ length: count }, () => rng.int(3)), count });
  return imageMlpTask('tiny', target, { name: 'tiny', size: 2, classes: 3, train: split(20), test: split(6) }, { batch: BATCH, testExamples: 6 });
}

describe.each(['ds_gradmetanet', 'unf_gradmetanet'])('%s', (net) => {
  const opt = optimizer(net);
  const task = tinyTask(layout);
  const phi = opt.initialMeta({ ...PAPER_RULE, beta: 0.5 }, new Rng(2));

  /** θ after `steps` inner steps from θ0, the batches drawn from seed 11. */
  function run(theta0: Float64Array, steps: number): RuleState {
    const state = initialRuleState(theta0);
    const data = new Rng(11);
    for (let t = 0; t < steps; t++) {
      const b = task.trainLoss(state.theta, data);
      opt.step(state, b.grad, phi, task.tensors, b.factors);
    }
    return state;
  }

  it('reads the gradient sets; its inner steps commute with permutations of the hidden neurons', () => {
    expect(opt.readsGradientSets).toBe(true);
    const theta = task.initialTheta(new Rng(3));
    const neurons = identity(layout.neuronCount);
    neurons.set([6, 4, 5], 4); // hidden layer: neurons 4..6 (after the 4 inputs), cycled
    const perm = inducedParamMap(layout, neurons);
    const permuted = Float64Array.from(perm, (src) => theta[src]!);
    const a = run(theta, 3).theta;
    const b = run(permuted, 3).theta;
    const moved = Math.max(...a.map((x, i) => Math.abs(x - theta[i]!)));
    expect(moved).toBeGreaterThan(1e-3);
    expect(Math.max(...Array.from(perm, (src, i) => Math.abs(b[i]! - a[src]!)))).toBeLessThan(1e-9);
    // Permuting the hidden rows of W_1 alone (not a symmetry) changes the function and the step.
    const rows = inducedParamMap(layout, neurons, true);
    const broken = run(Float64Array.from(rows, (src) => theta[src]!), 3).theta;
    expect(Math.max(...Array.from(perm, (src, i) => Math.abs(broken[i]! - a[src]!)))).toBeGreaterThan(1e-4);
  });

  it('particles unrolled together equal each particle unrolled alone', () => {
    const problem = new LearnedOptimizerProblem(task, opt);
    const rng = new Rng(1);
    const sets = ParticleSets.antithetic(phi, [phi.map(() => 0.01 * rng.normal())]);
    const starts = [problem.initialState(rng), problem.initialState(rng)];
    const together = problem.unroll(starts, sets, 2, [42]);
    for (let j = 0; j < 2; j++) {
      const alone = problem.unroll([starts[j]!], new ParticleSets(1, sets.size, Float64Array.from(sets.row(j))), 2, [42]);
      expect(alone.losses[0]).toBe(together.losses[j]);
      expect([...alone.states[0]!.theta]).toEqual([...together.states[j]!.theta]);
    }
  });
});
