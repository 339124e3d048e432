// A base task of the file as an inner problem: the target layout it trains (the regression's own,
// or an image task's target elaborated from the file) and, with its data loaded, the InnerTask.
// Image tasks: Fashion-MNIST and the CIFAR stand-ins (data/colour-images.ts, data/digit-pairs.ts);
// the language model: the LM1B stand-in on the licence texts (data/text-corpus.ts).
// Used by the meta-training run, by `gmn verify --params` on a meta-trained optimizer and when a
// meta-trained optimizer trains a network (use-optimizer.ts).
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import { lookup, type ResolvedModule } from '../../../compiler/resolve/resolve.js';
import { elaborateTarget } from '../../../compiler/spaces/elaborate.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import { loadColourFashionMnist } from '../../data/colour-images.js';
import { loadDigitPairs } from '../../data/digit-pairs.js';
import { loadFashionMnist, type ImageDataset } from '../../data/fashion-mnist.js';
import { loadLicenseCorpus } from '../../data/text-corpus.js';
import type { BaseTaskConfig } from './config.js';
import { imageMlpTask } from './image-mlp.js';
import type { InnerTask } from './inner-task.js';
import { languageModelTask } from './language-model.js';
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

/**
 * b of GradMetaNet's gradient sets on `base`: the batch's examples, or for a language model its
 * tokens (Γ has one item per token).
 */
export function gradientSetSize(base: BaseTaskConfig, layout: TargetLayout): number {
  return base.kind === 'language_model' && layout.spec.kind === 'transformer' ? base.batch * layout.spec.seq : base.batch;
}

/** `base` with its data loaded, on `layout`; `stage` hears what is being loaded. */
export function loadBaseTask(base: BaseTaskConfig, layout: TargetLayout, stage: (line: string) => void): InnerTask {
  if (base.kind === 'linear_regression') return linearRegressionTask(base.batch);
  try {
    if (base.kind === 'language_model') {
      stage(`loading the ${base.data} text`);
      return languageModelTask(base.label, layout, loadLicenseCorpus().data, { batch: base.batch });
    }
    return imageMlpTask(base.label, layout, loadImages(base, stage), { batch: base.batch, testExamples: TEST_EXAMPLES });
  } catch (e) {
    if (e instanceof RangeError) throw new DiagnosticError([error('run/bad-target', e.message, base.span)]);
    throw e;
  }
}

/** The images of an `image_mlp` task (cached; a missing package is a DataError naming it). */
function loadImages(base: Extract<BaseTaskConfig, { kind: 'image_mlp' }>, stage: (line: string) => void): ImageDataset {
  const at8 = (what: string) => {
    if (base.size !== 8) throw new DiagnosticError([error('run/unsupported-data', `${what} is built at 8×8 only`, base.span, 'use `size: 8`')]);
  };
  switch (base.data) {
    case 'fashion_mnist':
      stage(`loading Fashion-MNIST at ${base.size}×${base.size}`);
      return loadFashionMnist(base.size).data;
    case 'fashion_mnist_colour':
      at8('coloured Fashion-MNIST (the CIFAR-10 stand-in)');
      stage('loading coloured Fashion-MNIST at 8×8×3 (the CIFAR-10 stand-in)');
      return loadColourFashionMnist().data;
    case 'mnist_pairs':
      at8('MNIST digit pairs (the CIFAR-100 stand-in)');
      stage('loading MNIST digit pairs at 8×8×3 (the CIFAR-100 stand-in)');
      return loadDigitPairs().data;
    case 'mnist':
      throw new DiagnosticError([error('run/unsupported-data', 'the plain MNIST image task is not available', base.span, 'use `data: fashion_mnist`, `fashion_mnist_colour` or `mnist_pairs`')]);
  }
}
