// The paper's metric: Adam's L* and N*, steps to reach L*, step-reduction factors, best losses,
// mean ± std; and the curves: every optimizer of one seed starts from the same initialisation.
import { describe, expect, it } from 'vitest';
import { adamCurve, bestPoint, learnedCurve, meanStd, scoreAgainstAdam, stepsToReach, tuneAdam } from '../../runtime/tasks/learned-optimizer/evaluation.js';
import { LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { linearRegressionTask } from '../../runtime/tasks/learned-optimizer/linear-regression.js';
import { PAPER_RULE } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';

describe('metric', () => {
  const adam = { steps: [0, 10, 20, 30, 40], losses: [2, 1, 0.5, 0.4, 0.45] };
  it('L* is the lowest loss and N* the first step reaching it', () => {
    expect(bestPoint(adam)).toEqual({ loss: 0.4, step: 30 });
    expect(stepsToReach({ steps: [0, 10, 20], losses: [2, 0.4, 0.1] }, 0.4)).toBe(10);
    expect(stepsToReach({ steps: [0, 10], losses: [2, 0.41] }, 0.4)).toBeUndefined();
  });

  it('scores an optimizer by N* ÷ its steps to L*, per seed, and its best loss', () => {
    const faster = { steps: [0, 10, 20, 30, 40], losses: [2, 0.39, 0.3, 0.35, 0.36] };
    const never = { steps: [0, 10, 20, 30, 40], losses: [2, 1.5, 1, 0.9, 0.8] };
    const score = scoreAgainstAdam('x', [faster, never], [adam, adam]);
    expect(score.reductions).toEqual([3, undefined]);
    expect(score.bestLosses).toEqual([0.3, 0.8]);
    const { mean, std } = meanStd([1, 2, 3]);
    expect(mean).toBe(2);
    expect(std).toBe(1);
  });
});

describe('curves on the regression', () => {
  const task = linearRegressionTask(16);
  it('Adam and SGDM start from the same initialisation for a seed, and Adam\'s first step moves every coordinate by lr', () => {
    const options = { horizon: 1, every: 1, seed: 5 };
    const a = adamCurve(task, 0.01, options);
    const s = learnedCurve(task, new LearnedOptimizer('sgdm', undefined), new LearnedOptimizer('sgdm', undefined).initialMeta(PAPER_RULE, new Rng(0)), options);
    expect(a.losses[0]).toBe(s.losses[0]);
    const rng = new Rng(5);
    const theta = task.initialTheta(rng);
    const { grad } = task.trainLoss(theta, rng.fork());
    const moved = theta.map((x, i) => x - 0.01 * Math.sign(grad[i]!)); // bias-corrected Adam's first step: ±lr
    expect(a.losses[1]).toBeCloseTo(task.testLoss(moved), 6);
  });

  it('the tuned grid prefers a learning rate that converges in the horizon', () => {
    const scores = tuneAdam(task, [0.0005, 0.05], [1, 2], { horizon: 40, every: 10 });
    expect(scores[1]!.meanBest).toBeLessThan(scores[0]!.meanBest);
  });
});
