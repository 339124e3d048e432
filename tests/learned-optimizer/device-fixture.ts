// What the device tests of the learned-optimizer task share: the update nets of std/optimizers.gmn
// lowered for a small MLP, and float32-exact random data (so that the device and the float64
// reference read the very same numbers).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import { imageMlpTask } from '../../runtime/tasks/learned-optimizer/image-mlp.js';
import type { InnerTask } from '../../runtime/tasks/learned-optimizer/inner-task.js';
import { LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { lowerUpdateNet } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { Rng } from '../../runtime/util/rng.js';

/** A 4 → 5 → 3 ReLU MLP (43 parameters, 12 neurons): 2×2 images, 3 classes. */
export const SMALL_MLP = mlpLayout('Small', { kind: 'mlp', widths: [4, 5, 3], activation: { kind: 'relu' }, init: 'kaiming' });

/** The optimizers of Table 1 by their `std/optimizers.gmn` net (`sgdm`: the rule alone). */
export const OPTIMIZER_NETS = ['sgdm', 'ds_optimizer', 'unf_optimizer', 'ds_gradmetanet', 'unf_gradmetanet'] as const;

export function smallOptimizer(net: (typeof OPTIMIZER_NETS)[number], setSize: number, layout: TargetLayout = SMALL_MLP): LearnedOptimizer {
  if (net === 'sgdm') return new LearnedOptimizer('sgdm', undefined);
  const file = join(import.meta.dirname, 'device-opt.gmn');
  const widths = layout.spec.kind === 'mlp' ? layout.spec.widths : [];
  const source = `use std/optimizers\ntarget ${layout.name} = mlp(widths: [${widths.join(', ')}], activation: relu)\n`;
  const { program, diagnostics } = checkFiles([file], { readFile: (p) => (p === file ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
  expect(diagnostics).toEqual([]);
  const args = new Map(net.endsWith('gradmetanet') ? [['hidden', 8], ['width', 8]] : [['hidden', 8]]);
  return new LearnedOptimizer(net, lowerUpdateNet({ program, module: program.roots[0]!, net, args, target: layout, setSize }));
}

/** n standard-normal values scaled by `scale`, rounded to float32. */
export function f32Normal(n: number, rng: Rng, scale = 1): Float64Array {
  return Float64Array.from(Float32Array.from({ length: n }, () => scale * rng.normal()));
}

/** An image task on SMALL_MLP: 40 random 2×2 training images (12 test), 3 classes, batches of `batch`. */
export function smallImageTask(batch: number): InnerTask {
  const rng = new Rng(8);
  const split = (count: number) => ({ images: Float32Array.from({ length: count * 4 }, () => rng.uniform()), labels: Uint8Array.from({ length: count }, () => rng.int(3)), count });
  const data = { name: 'small', size: 2, channels: 1, classes: 3, train: split(40), test: split(12) };
  return imageMlpTask('small', SMALL_MLP, data, { batch, testExamples: 12 });
}
