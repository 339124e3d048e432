// A base task of the file as an inner problem: the target layout it trains (the regression's own,
// or an image task's target elaborated from the file) and, with its data loaded, the InnerTask.
// Used by the meta-training run, by `gmn verify --params` on a meta-trained optimizer and when a
// meta-trained optimizer trains a network (use-optimizer.ts).
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import { lookup, type ResolvedModule } from '../../../compiler/resolve/resolve.js';
import { elaborateTarget } from '../../../compiler/spaces/elaborate.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import { loadFashionMnist } from '../../data/fashion-mnist.js';
import type { BaseTaskConfig } from './config.js';
import { imageMlpTask } from './image-mlp.js';
import type { InnerTask } from './inner-task.js';
import { linearRegressionTask, REGRESSION_LAYOUT } from './linear-regression.js';

/** Test images the image tasks' test loss averages over. */
const TEST_EXAMPLES = 1000;

/** The layout of `base`'s network; `target` overrides an image task's target (e.g. a wider MLP). */
export function baseTaskLayout(module: ResolvedModule, base: BaseTaskConfig, target?: string): TargetLayout {
  if (base.kind === 'linear_regression') return REGRESSION_LAYOUT;
  const name = target ?? base.target;
  const sym = lookup(module, name);
  if (sym === undefined || sym.kind !== 'target') throw new DiagnosticError([error('run/unknown-target', `\`${name}\` is not a target declared in this file`, base.span)]);
  const elaborated = elaborateTarget(sym.decl);
  if (!elaborated.ok) throw new DiagnosticError(elaborated.diagnostics);
  return elaborated.value;
}

/** `base` with its data loaded, on `layout`; `stage` hears what is being loaded. */
export function loadBaseTask(base: BaseTaskConfig, layout: TargetLayout, stage: (line: string) => void): InnerTask {
  if (base.kind === 'linear_regression') return linearRegressionTask(base.batch);
  if (base.data !== 'fashion_mnist') {
    throw new DiagnosticError([error('run/unsupported-data', `the ${base.data} image task is not available yet`, base.span, 'use `data: fashion_mnist`')]);
  }
  stage(`loading Fashion-MNIST at ${base.size}×${base.size}`);
  const { data } = loadFashionMnist(base.size);
  try {
    return imageMlpTask(base.label, layout, data, { batch: base.batch, testExamples: TEST_EXAMPLES });
  } catch (e) {
    if (e instanceof RangeError) throw new DiagnosticError([error('run/bad-target', e.message, base.span)]);
    throw e;
  }
}
